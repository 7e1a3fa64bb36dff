import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import { barPlotLayout, barPlotPng, type BarPlotSpec } from '../../engine/src/plot/barPlot';
import { seriesStyle } from '../../engine/src/plot/palette';
import { colorDistance, decode, hexToRgb } from './pixels';

const SPEC: BarPlotSpec = {
  categories: ['assignment', 'arithmetic', 'loop'],
  series: [
    { name: 'pythia-160m', values: [0.8, 0.4, 0.1] },
    { name: 'qwen-0.5b', values: [0.95, NaN, 0.5] },
  ],
  title: 'Accuracy by task',
  yLabel: 'accuracy',
  yRange: [0, 1],
};

test('bars are drawn in their series colour with heights proportional to value', () => {
  const L = barPlotLayout(SPEC);
  const img = decode(barPlotPng(SPEC), L.pixelScale);
  assert.equal(img.width, L.width * L.pixelScale);
  SPEC.series.forEach((s, si) => {
    const want = hexToRgb(seriesStyle(si).color);
    s.values.forEach((v, ci) => {
      const b = L.bars[si][ci];
      if (Number.isNaN(v)) return assert.equal(b, undefined);
      assert.ok(b);
      assert.ok(colorDistance(img.at(b.x + b.w / 2, b.y + b.h / 2), want) <= 2);
      assert.ok(Math.abs(b.h - (L.y.map(0) - L.y.map(v))) < 1e-9);
      // Just above the bar's top is background, not more bar.
      assert.ok(colorDistance(img.at(b.x + b.w / 2, b.y - 3), want) > 60);
    });
  });
  const b0 = L.bars[0][0]!;
  const b1 = L.bars[0][1]!;
  assert.ok(Math.abs(b0.h / b1.h - 2) < 1e-9, 'height ∝ value');
});

test('negative values hang below a zero line', () => {
  const spec: BarPlotSpec = { categories: ['L0', 'L1', 'L2'], series: [{ name: 'effect', values: [1, -0.5, 0.25] }], title: '', yLabel: 'Δ logit' };
  const L = barPlotLayout(spec);
  const zero = L.plot.y + L.y.map(0);
  assert.ok(Math.abs(L.bars[0][0]!.y + L.bars[0][0]!.h - zero) < 1e-9, 'positive bar ends at zero');
  assert.ok(Math.abs(L.bars[0][1]!.y - zero) < 1e-9, 'negative bar starts at zero');
  const img = decode(barPlotPng(spec), L.pixelScale);
  const between = L.plot.x + (L.bars[0][0]!.x + L.bars[0][0]!.w + L.bars[0][1]!.x) / 2 - L.plot.x;
  const [r, g, b] = img.at(between, zero);
  assert.ok(r < 120 && g < 120 && b < 120, 'zero line drawn between bars');
});

test('category labels are drawn under each group', () => {
  const L = barPlotLayout(SPEC);
  const img = decode(barPlotPng(SPEC), L.pixelScale);
  const slot = L.plot.w / SPEC.categories.length;
  for (let i = 0; i < SPEC.categories.length; i++) assert.ok(img.ink({ x: L.plot.x + i * slot + 2, y: L.plot.y + L.plot.h + 5, w: slot - 4, h: 14 }) > 20);
});

test('bad input names the field at fault', () => {
  const err = (f: () => unknown, subject: string) =>
    assert.throws(f, (e: unknown) => e instanceof IntrospectError && e.subject === subject, `expected an error about ${subject}`);
  err(() => barPlotPng({ ...SPEC, series: [{ name: 'x', values: [1] }] }), 'barPlot.series[0].values');
  err(() => barPlotPng({ ...SPEC, categories: [] }), 'barPlot.categories');
  err(() => barPlotPng({ ...SPEC, yRange: undefined, series: [{ name: 'x', values: [0, 0, NaN] }] }), 'barPlot.series');
});
