/** Line plots: one line per series (accuracy vs length per model, loss or accuracy vs training step). */
import { IntrospectError } from '../errors';
import { frameLayout, frameSvg, type FrameSpec } from './frame';
import { seriesStyle } from './palette';
import { svgToPng } from './rasterize';
import { n, type Box } from './svg';
import { axisScale, type AxisScale } from './ticks';
import { finiteNumbers, lengthIs, nonEmpty, numbersOrNaN, range } from './validate';

export interface LineSeries {
  name: string;
  xs: readonly number[];
  /** NaN leaves a gap in the line. */
  ys: readonly number[];
  /** Optional band drawn behind the line, e.g. a confidence interval: lower and upper y per x. */
  lo?: readonly number[];
  hi?: readonly number[];
  /** Marks at the points only, no line (events on a curve: a peak, a sign change). */
  points?: boolean;
}

export interface LinePlotSpec {
  series: readonly LineSeries[];
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (checkpoint steps); every x must then be > 0. */
  logX?: boolean;
  /** Fixed y range, e.g. [0, 1] for accuracy; points outside are clipped. Default: the data's range. */
  yRange?: readonly [number, number];
  /** Explicit x tick values, e.g. the lengths a benchmark measured. Default: chosen by d3. */
  xTicks?: readonly number[];
  /** Plot area size in layout pixels; default 640 × 380. */
  plotWidth?: number;
  plotHeight?: number;
  /** Device pixels per layout pixel; default 2. */
  scale?: number;
}

export interface LinePlotLayout {
  width: number;
  height: number;
  pixelScale: number;
  plot: Box;
  /** Data → px offset from the plot's left / top edge. */
  x: AxisScale;
  y: AxisScale;
}

const MAX_MARKED_POINTS = 60;

function validate(spec: LinePlotSpec): void {
  nonEmpty(spec.series, 'linePlot.series', 'series');
  spec.series.forEach((s, i) => {
    const f = `linePlot.series[${i}]`;
    finiteNumbers(s.xs, `${f}.xs`);
    lengthIs(s.ys, s.xs.length, `${f}.ys`, `one y per x (${s.xs.length})`);
    numbersOrNaN(s.ys, `${f}.ys`);
    for (const k of ['lo', 'hi'] as const) {
      const band = s[k];
      if (band) {
        lengthIs(band, s.xs.length, `${f}.${k}`, `one value per x (${s.xs.length})`);
        numbersOrNaN(band, `${f}.${k}`);
      }
    }
    const j = spec.logX ? s.xs.findIndex((x) => x <= 0) : -1;
    if (j >= 0) throw new IntrospectError(`must be > 0 on a log x axis, got ${s.xs[j]}`, `${f}.xs[${j}]`);
  });
  if (spec.yRange) range(spec.yRange[0], spec.yRange[1], 'linePlot.yRange');
  if (spec.xTicks) finiteNumbers(spec.xTicks, 'linePlot.xTicks');
}

/** [lo, hi] widened by `frac` of its span on each side (in log space for log axes). */
function padded(lo: number, hi: number, frac: number, log: boolean): [number, number] {
  if (log) {
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    const d = (b - a || 1) * frac;
    return [10 ** (a - d), 10 ** (b + d)];
  }
  const d = (hi - lo || Math.abs(lo) || 1) * frac;
  return [lo - d, hi + d];
}

function extent(values: number[]): [number, number] | undefined {
  const v = values.filter((x) => !Number.isNaN(x));
  return v.length ? [v.reduce((a, b) => Math.min(a, b)), v.reduce((a, b) => Math.max(a, b))] : undefined;
}

function frameSpec(spec: LinePlotSpec): { frame: FrameSpec; x: AxisScale; y: AxisScale } {
  validate(spec);
  const plotW = spec.plotWidth ?? 640;
  const plotH = spec.plotHeight ?? 380;
  const log = spec.logX ?? false;
  const [xmin, xmax] = extent(spec.series.flatMap((s) => [...s.xs])) ?? [1, 10];
  const [xlo, xhi] = padded(xmin, xmax, 0.03, log);
  const x = axisScale({ lo: xlo, hi: xhi, length: plotW, log, at: spec.xTicks });
  let y: AxisScale;
  if (spec.yRange) {
    const [lo, hi] = padded(spec.yRange[0], spec.yRange[1], 0.03, false);
    y = axisScale({ lo, hi, length: plotH, flip: true, tickLo: spec.yRange[0], tickHi: spec.yRange[1] });
  } else {
    const [ymin, ymax] = extent(spec.series.flatMap((s) => [...s.ys, ...(s.lo ?? []), ...(s.hi ?? [])])) ?? [0, 1];
    const [lo, hi] = padded(ymin, ymax, 0.05, false);
    y = axisScale({ lo, hi, length: plotH, flip: true });
  }
  const legend =
    spec.series.length > 1 || spec.series[0].name ? spec.series.map((s, i) => ({ name: s.name, ...seriesStyle(i), kind: s.points ? ('point' as const) : ('line' as const) })) : [];
  return { frame: { title: spec.title, xLabel: spec.xLabel, yLabel: spec.yLabel, plotW, plotH, xTicks: x.ticks, yTicks: y.ticks, legend }, x, y };
}

export function linePlotLayout(spec: LinePlotSpec): LinePlotLayout {
  const { frame, x, y } = frameSpec(spec);
  const f = frameLayout(frame);
  return { width: f.width, height: f.height, pixelScale: spec.scale ?? 2, plot: f.plot, x, y };
}

/** Runs of consecutive points where `ok` holds, as index lists. */
function runs(count: number, ok: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < count; i++) {
    if (ok(i)) cur.push(i);
    else if (cur.length) (out.push(cur), (cur = []));
  }
  if (cur.length) out.push(cur);
  return out;
}

export function linePlotSvg(spec: LinePlotSpec): string {
  const { frame, x, y } = frameSpec(spec);
  const layout = frameLayout(frame);
  const { plot } = layout;
  const px = (v: number) => plot.x + x.map(v);
  const py = (v: number) => plot.y + y.map(v);
  const content: string[] = [];
  spec.series.forEach((s, si) => {
    const { color, dash } = seriesStyle(si);
    // Sorted by x so a series given out of order still draws as a function of x.
    const order = s.xs.map((_, i) => i).sort((a, b) => s.xs[a] - s.xs[b]);
    const { lo, hi } = s;
    if (lo && hi) {
      for (const run of runs(order.length, (k) => !Number.isNaN(lo[order[k]]) && !Number.isNaN(hi[order[k]]))) {
        const idx = run.map((k) => order[k]);
        const pts = [...idx.map((i) => `${n(px(s.xs[i]))},${n(py(hi[i]))}`), ...idx.reverse().map((i) => `${n(px(s.xs[i]))},${n(py(lo[i]))}`)];
        content.push(`<polygon points="${pts.join(' ')}" fill="${color}" fill-opacity="0.15"/>`);
      }
    }
    if (s.points) {
      s.xs.forEach((xv, i) => {
        if (!Number.isNaN(s.ys[i])) content.push(`<circle cx="${n(px(xv))}" cy="${n(py(s.ys[i]))}" r="6" fill="none" stroke="${color}" stroke-width="2.2"/>`);
      });
      return;
    }
    for (const run of runs(order.length, (k) => !Number.isNaN(s.ys[order[k]]))) {
      const pts = run.map((k) => `${n(px(s.xs[order[k]]))},${n(py(s.ys[order[k]]))}`);
      content.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    if (s.xs.length <= MAX_MARKED_POINTS)
      s.xs.forEach((xv, i) => {
        if (!Number.isNaN(s.ys[i])) content.push(`<circle cx="${n(px(xv))}" cy="${n(py(s.ys[i]))}" r="3.2" fill="${color}" stroke="#ffffff" stroke-width="0.8"/>`);
      });
  });
  return frameSvg(frame, layout, content);
}

export function linePlotPng(spec: LinePlotSpec): Buffer {
  return svgToPng(linePlotSvg(spec), spec.scale ?? 2);
}
