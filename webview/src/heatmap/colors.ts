/** Colour scales for the heatmap: diverging blue–white–red around 0, or two colours for success. */
import type { Metric } from './protocol';

/** The value range a metric is drawn over; symmetric around 0 for signed metrics. */
export function metricRange(metric: Metric, values: number[]): [number, number] {
  if (metric === 'success') return [0, 1];
  if (metric === 'normalized') return [-1, 1];
  const m = Math.max(1e-6, ...values.map((v) => Math.abs(v)).filter(Number.isFinite));
  return [-m, m];
}

function mix(a: number[], b: number[], t: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const BLUE = [49, 104, 178];
const WHITE = [247, 247, 247];
const RED = [200, 50, 48];

export function colorFor(metric: Metric, v: number, [lo, hi]: [number, number]): string {
  if (!Number.isFinite(v)) return 'rgb(128,128,128)';
  if (metric === 'success') return v >= 0.5 ? mix(WHITE, RED, 0.9) : mix(WHITE, BLUE, 0.15);
  const t = Math.max(-1, Math.min(1, v >= 0 ? v / hi : -v / lo));
  return t >= 0 ? mix(WHITE, RED, t) : mix(WHITE, BLUE, -t);
}
