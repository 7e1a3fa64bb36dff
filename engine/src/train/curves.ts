/** Training-curve PNGs from the log: loss (training and held-out) and held-out accuracy by step. */
import { join } from 'node:path';
import { linePlotPng, type LineSeries } from '../plot/linePlot';
import { writePng } from '../plot/writePng';
import type { TrainRecord } from './trainer';

export const LOSS_PLOT = 'training-curve.png';
export const ACCURACY_PLOT = 'accuracy-curve.png';

export function plotTrainingCurves(outDir: string, history: TrainRecord[]): void {
  if (history.length < 2) return;
  const evals = history.filter((r) => r.evalLoss !== undefined);
  const series: LineSeries[] = [smoothed(history)];
  if (evals.length) series.push({ name: 'held-out loss', xs: evals.map((r) => r.step), ys: evals.map((r) => r.evalLoss!) });
  writePng(join(outDir, LOSS_PLOT), linePlotPng({ series, title: 'Training loss', xLabel: 'step', yLabel: 'cross-entropy' }));
  if (evals.length < 2) return;
  const xs = evals.map((r) => r.step);
  const accuracy: LineSeries[] = [{ name: 'held-out accuracy', xs, ys: evals.map((r) => r.evalAccuracy!) }];
  // With one target per row (an answer token) both accuracies are the same line.
  if (evals.some((r) => r.evalTokenAccuracy !== r.evalAccuracy))
    accuracy.push({ name: 'held-out token accuracy', xs, ys: evals.map((r) => r.evalTokenAccuracy!) });
  for (const name of Object.keys(evals[evals.length - 1].evalGroups ?? {}))
    accuracy.push({ name, xs, ys: evals.map((r) => r.evalGroups?.[name] ?? NaN) });
  // Phases (chance, plateau, systematic) are spread over orders of magnitude of steps.
  const logX = xs[0] > 0 && xs[xs.length - 1] / xs[0] >= 100;
  writePng(
    join(outDir, ACCURACY_PLOT),
    linePlotPng({ series: accuracy, title: 'Held-out accuracy', xLabel: 'step', yLabel: 'accuracy', yRange: [0, 1], logX }),
  );
}

/** Training loss averaged over windows, so the curve is readable with hundreds of noisy steps. */
function smoothed(history: TrainRecord[]): LineSeries {
  const window = Math.max(1, Math.floor(history.length / 100));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < history.length; i += window) {
    const part = history.slice(i, i + window);
    xs.push(part[part.length - 1].step);
    ys.push(part.reduce((a, r) => a + r.loss, 0) / part.length);
  }
  return { name: window > 1 ? `training loss (mean of ${window} steps)` : 'training loss', xs, ys };
}
