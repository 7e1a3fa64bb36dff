import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import { accuracyPlotPng, accuracySeries, wilsonInterval, type AccuracySummary } from '../../engine/src/plot/accuracyPlot';
import { linePlotLayout } from '../../engine/src/plot/linePlot';
import { seriesStyle } from '../../engine/src/plot/palette';
import { colorDistance, decode, hexToRgb } from './pixels';

/** Cells deliberately out of order, as a results folder may list them. */
const SUMMARY: AccuracySummary = {
  byModelLength: [
    { model: 'pythia-160m', length: 4, accuracy: 0.25, n: 40 },
    { model: 'qwen-0.5b', length: 2, accuracy: 0.9, n: 40 },
    { model: 'pythia-160m', length: 2, accuracy: 0.6, n: 40 },
    { model: 'qwen-0.5b', length: 4, accuracy: 0.7, n: 40 },
    { model: 'pythia-160m', length: 8, accuracy: 0, n: 40 },
    { model: 'qwen-0.5b', length: 8, accuracy: 0.45, n: 40 },
  ],
};

test('the Wilson interval contains p, stays in [0, 1] and narrows with more samples', () => {
  for (const p of [0, 0.1, 0.5, 0.97, 1]) {
    const [lo, hi] = wilsonInterval(p, 30);
    assert.ok(lo >= 0 && hi <= 1 && lo <= p && p <= hi, `p=${p}: [${lo}, ${hi}]`);
  }
  const [a, b] = wilsonInterval(0.5, 20);
  const [c, d] = wilsonInterval(0.5, 2000);
  assert.ok(d - c < (b - a) / 5);
  // Textbook value: p = 0.5, n = 100 → [0.404, 0.596].
  const [lo, hi] = wilsonInterval(0.5, 100);
  assert.ok(Math.abs(lo - 0.4038) < 5e-4 && Math.abs(hi - 0.5962) < 5e-4);
  // At p = 0 the interval still has width: zero successes in 40 is not proof of zero accuracy.
  assert.ok(wilsonInterval(0, 40)[1] > 0.05);
});

test('cells group into one series per model, sorted by length', () => {
  const series = accuracySeries(SUMMARY);
  assert.deepEqual(series.map((s) => s.name), ['pythia-160m', 'qwen-0.5b']);
  assert.deepEqual(series[0].xs, [2, 4, 8]);
  assert.deepEqual(series[0].ys, [0.6, 0.25, 0]);
  assert.deepEqual(series[1].ys, [0.9, 0.7, 0.45]);
  series[1].xs.forEach((_, i) => assert.deepEqual([series[1].lo![i], series[1].hi![i]], wilsonInterval(series[1].ys[i], 40)));
});

test('the plot draws each model at (length, accuracy) on a 0..1 axis with the measured lengths as ticks', () => {
  const png = accuracyPlotPng(SUMMARY);
  const series = accuracySeries(SUMMARY);
  const lengths = [2, 4, 8];
  // The same layout the convenience function renders with.
  const L = linePlotLayout({ series, xTicks: lengths, yRange: [0, 1], title: 'Accuracy vs length', xLabel: 'length', yLabel: 'accuracy (95% CI shaded)' });
  const img = decode(png, L.pixelScale);
  assert.equal(img.width, L.width * L.pixelScale);
  assert.deepEqual(L.x.ticks.map((t) => t.label), ['2', '4', '8']);
  series.forEach((s, i) => {
    const want = hexToRgb(seriesStyle(i).color);
    s.xs.forEach((x, j) => assert.ok(colorDistance(img.at(L.plot.x + L.x.map(x), L.plot.y + L.y.map(s.ys[j])), want) <= 8, `${s.name} at length ${x}`));
  });
});

test('bad summaries name the cell at fault', () => {
  const err = (f: () => unknown, subject: string) =>
    assert.throws(f, (e: unknown) => e instanceof IntrospectError && e.subject === subject, `expected an error about ${subject}`);
  const bad = (i: number, patch: object) => ({ byModelLength: SUMMARY.byModelLength.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  err(() => accuracyPlotPng(bad(3, { accuracy: 1.5 })), 'summary.byModelLength[3].accuracy');
  err(() => accuracyPlotPng(bad(1, { n: 0 })), 'summary.byModelLength[1].n');
  err(() => accuracyPlotPng(bad(0, { length: NaN })), 'summary.byModelLength[0].length');
  err(() => accuracyPlotPng({ byModelLength: [] }), 'summary.byModelLength');
});
