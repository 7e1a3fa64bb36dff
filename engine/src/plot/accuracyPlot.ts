/** Benchmark summaries as accuracy-vs-length plots, one line per model, with 95% Wilson intervals. */
import { IntrospectError } from '../errors';
import { linePlotPng, type LineSeries } from './linePlot';
import { nonEmpty } from './validate';

export interface AccuracyCell {
  model: string;
  length: number;
  /** Fraction correct in [0, 1]. */
  accuracy: number;
  /** Samples behind the fraction. */
  n: number;
}

export interface AccuracySummary {
  byModelLength: readonly AccuracyCell[];
}

export interface AccuracyPlotOptions {
  title?: string;
  xLabel?: string;
  scale?: number;
}

/** Wilson score interval for a binomial proportion: stays inside [0, 1] and is sane at p = 0 or 1. */
export function wilsonInterval(p: number, count: number, z = 1.96): [number, number] {
  const z2 = z * z;
  const centre = (p + z2 / (2 * count)) / (1 + z2 / count);
  const half = (z / (1 + z2 / count)) * Math.sqrt((p * (1 - p)) / count + z2 / (4 * count * count));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** One series per model (in order of first appearance), points sorted by length. */
export function accuracySeries(summary: AccuracySummary): LineSeries[] {
  const cells = summary.byModelLength;
  nonEmpty(cells, 'summary.byModelLength', '(model, length) cell');
  const byModel = new Map<string, AccuracyCell[]>();
  cells.forEach((c, i) => {
    const f = `summary.byModelLength[${i}]`;
    if (typeof c.model !== 'string') throw new IntrospectError('expected a model name', `${f}.model`);
    if (!Number.isFinite(c.length)) throw new IntrospectError(`expected a finite length, got ${c.length}`, `${f}.length`);
    if (!(c.accuracy >= 0 && c.accuracy <= 1)) throw new IntrospectError(`expected an accuracy in [0, 1], got ${c.accuracy}`, `${f}.accuracy`);
    if (!Number.isInteger(c.n) || c.n < 1) throw new IntrospectError(`expected a positive sample count, got ${c.n}`, `${f}.n`);
    byModel.set(c.model, [...(byModel.get(c.model) ?? []), c]);
  });
  return [...byModel].map(([name, cs]) => {
    const sorted = [...cs].sort((a, b) => a.length - b.length);
    const intervals = sorted.map((c) => wilsonInterval(c.accuracy, c.n));
    return { name, xs: sorted.map((c) => c.length), ys: sorted.map((c) => c.accuracy), lo: intervals.map((i) => i[0]), hi: intervals.map((i) => i[1]) };
  });
}

/** Lengths become the x ticks when there are few enough to label each one. */
const MAX_LABELLED_LENGTHS = 16;

export function accuracyPlotPng(summary: AccuracySummary, options: AccuracyPlotOptions = {}): Buffer {
  const series = accuracySeries(summary);
  const lengths = [...new Set(series.flatMap((s) => s.xs))].sort((a, b) => a - b);
  return linePlotPng({
    series,
    xTicks: lengths.length <= MAX_LABELLED_LENGTHS ? lengths : undefined,
    title: options.title ?? 'Accuracy vs length',
    xLabel: options.xLabel ?? 'length',
    yLabel: 'accuracy (95% CI shaded)',
    yRange: [0, 1],
    scale: options.scale,
  });
}
