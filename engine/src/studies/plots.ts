/** The studies' figures: chain diagnostics and BIF matrices per checkpoint, curves over a series. */
import { join } from 'node:path';
import { heatmapPng } from '../plot/heatmap';
import { type LinePlotSpec, linePlotPng, type LineSeries } from '../plot/linePlot';
import { writePng } from '../plot/writePng';
import type { ChainRecord, StepTrace } from '../sampling/chain';
import type { SampleInfo } from '../slt/bif';

const chainSeries = (records: ChainRecord[], trace: StepTrace, window = 1): LineSeries[] =>
  records.map((r) => ({ name: `chain ${r.chain}`, ...windowed(r.steps[trace], window) }));

/** Means over consecutive windows, so a long noisy trace stays readable. */
function windowed(values: Float32Array, window: number): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < values.length; i += window) {
    const part = Array.from(values.subarray(i, i + window)).filter((v) => !Number.isNaN(v));
    xs.push(Math.min(values.length, i + window));
    ys.push(part.length ? part.reduce((a, b) => a + b, 0) / part.length : NaN);
  }
  return { xs, ys };
}

/** Per checkpoint: loss traces against L(θ*), the update's terms, the distance from θ*, MALA acceptance. */
export function plotChainDiagnostics(outDir: string, records: ChainRecord[], initLoss: number): void {
  const steps = records[0]?.steps.loss.length ?? 0;
  if (steps < 2) return;
  const window = Math.max(1, Math.floor(steps / 200));
  const per = window > 1 ? ` (means of ${window} steps)` : '';
  const loss = chainSeries(records, 'loss', window);
  loss.push({ name: 'L(θ*)', xs: [1, steps], ys: [initLoss, initLoss] });
  writePng(join(outDir, 'diagnostics-loss.png'), linePlotPng({ series: loss, title: `Minibatch loss along each chain${per}`, xLabel: 'step', yLabel: 'loss' }));
  const terms: [StepTrace, string][] = [['gradTerm', 'gradient term ε/2·nβ·G·g'], ['localization', 'localization ε/2·G·γ(θ−θ*)'], ['noise', 'noise √ε·√G·η']];
  const norms = terms.map(([k, name]) => ({ name, ...windowed(meanOverChains(records, k), window) }));
  writePng(join(outDir, 'diagnostics-norms.png'), linePlotPng({ series: norms, title: `Norms of the update's terms, mean over chains${per}`, xLabel: 'step', yLabel: 'L2 norm' }));
  writePng(join(outDir, 'diagnostics-distance.png'), linePlotPng({ series: chainSeries(records, 'distance', window), title: '‖θ − θ*‖ along each chain', xLabel: 'step', yLabel: 'distance' }));
  const malaWindow = Math.max(window, 10);
  writePng(
    join(outDir, 'diagnostics-mala.png'),
    linePlotPng({ series: chainSeries(records, 'mala', malaWindow), title: `MALA acceptance (means of ${malaWindow} steps)`, xLabel: 'step', yLabel: 'acceptance', yRange: [0, 1] }),
  );
}

function meanOverChains(records: ChainRecord[], trace: StepTrace): Float32Array {
  const n = records[0].steps[trace].length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const vs = records.map((r) => r.steps[trace][i]).filter((v) => !Number.isNaN(v));
    out[i] = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : NaN;
  }
  return out;
}

/** A samples × samples matrix, samples ordered by group then pair so the blocks show. */
export function plotBifMatrix(file: string, matrix: Float64Array, info: SampleInfo[], title: string): void {
  const n = info.length;
  const groups = [...new Set(info.map((s) => s.group))];
  const order = info.map((_, i) => i).sort((a, b) => groups.indexOf(info[a].group) - groups.indexOf(info[b].group) || (info[a].pair ?? a) - (info[b].pair ?? b));
  const values = order.flatMap((i) => order.map((j) => (i === j ? NaN : matrix[i * n + j])));
  const labels = order.map((i) => `${info[i].group} ${info[i].pair ?? i}`);
  writePng(
    file,
    heatmapPng({ values, rows: n, cols: n, rowLabels: labels, colLabels: labels, title: `${title} (diagonal left out)`, colorbarLabel: 'BIF', diverging: true }),
  );
}

/** A curve per named series over training steps, log-x when the steps span two decades (step 0 then left out). */
export function plotOverSteps(file: string, series: LineSeries[], title: string, yLabel: string): void {
  const spec = overStepsSpec(series, title, yLabel);
  if (spec) writePng(file, linePlotPng(spec));
}

/** The plot plotOverSteps draws; undefined when no point is left to show. */
export function overStepsSpec(series: LineSeries[], title: string, yLabel: string): LinePlotSpec | undefined {
  const xs = series.flatMap((s) => [...s.xs]);
  const positive = xs.filter((x) => x > 0);
  const logX = positive.length > 1 && Math.max(...positive) / Math.min(...positive) >= 100;
  const shown = logX ? series.map((s) => keep(s, s.xs.map((x) => x > 0))) : series;
  if (shown.every((s) => s.xs.length === 0)) return undefined;
  return { series: shown, title: logX && xs.includes(0) ? `${title} (step 0 not shown on the log axis)` : title, xLabel: 'training step', yLabel, logX };
}

function keep(s: LineSeries, mask: boolean[]): LineSeries {
  const pick = (a: readonly number[] | undefined) => a?.filter((_, i) => mask[i]);
  return { ...s, xs: pick(s.xs)!, ys: pick(s.ys)!, ...(s.lo ? { lo: pick(s.lo), hi: pick(s.hi) } : {}) };
}
