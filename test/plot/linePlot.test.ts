import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import { linePlotLayout, linePlotPng, type LinePlotSpec } from '../../engine/src/plot/linePlot';
import { seriesStyle } from '../../engine/src/plot/palette';
import { overStepsSpec } from '../../engine/src/studies/plots';
import { colorDistance, decode, hexToRgb } from './pixels';

const STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 143000];

function training(): LinePlotSpec {
  return {
    series: [
      { name: 'train loss', xs: STEPS, ys: STEPS.map((s) => 8 / (1 + Math.log10(s))) },
      { name: 'held-out loss', xs: STEPS, ys: STEPS.map((s) => 9 / (1 + Math.log10(s))) },
    ],
    title: 'Training',
    xLabel: 'step',
    yLabel: 'loss',
    logX: true,
  };
}

function pointAt(L: ReturnType<typeof linePlotLayout>, x: number, y: number): [number, number] {
  return [L.plot.x + L.x.map(x), L.plot.y + L.y.map(y)];
}

test('the PNG has the layout size times the pixel scale', () => {
  const s = training();
  const L = linePlotLayout(s);
  const img = decode(linePlotPng(s), L.pixelScale);
  assert.equal(img.width, L.width * L.pixelScale);
  assert.equal(img.height, L.height * L.pixelScale);
});

test('each point is drawn in its series colour at its data position', () => {
  const s = training();
  const L = linePlotLayout(s);
  const img = decode(linePlotPng(s), L.pixelScale);
  s.series.forEach((ser, i) => {
    const want = hexToRgb(seriesStyle(i).color);
    for (const j of [0, 7, ser.xs.length - 1]) assert.ok(colorDistance(img.at(...pointAt(L, ser.xs[j], ser.ys[j])), want) <= 8, `series ${i} point ${j}`);
  });
});

test('a log x axis spaces decades evenly and labels large steps with SI prefixes', () => {
  const L = linePlotLayout(training());
  assert.ok(Math.abs(L.x.map(10) - L.x.map(1) - (L.x.map(100) - L.x.map(10))) < 1e-6);
  const labels = L.x.ticks.map((t) => t.label).filter(Boolean);
  assert.ok(labels.includes('1k') && labels.includes('100k'), `labels: ${labels}`);
  assert.ok(L.x.ticks.some((t) => !t.label), 'minor ticks between decades');
});

test('NaN leaves a gap in the line; consecutive points are joined', () => {
  const s: LinePlotSpec = { series: [{ name: '', xs: [1, 2, 3, 4, 5], ys: [0.2, 0.4, NaN, 0.8, 1.0] }], title: '', xLabel: 'x', yLabel: 'y' };
  const L = linePlotLayout(s);
  const img = decode(linePlotPng(s), L.pixelScale);
  const color = hexToRgb(seriesStyle(0).color);
  assert.ok(colorDistance(img.at(...pointAt(L, 1.5, 0.3)), color) <= 30, 'segment 1→2 is drawn');
  assert.ok(colorDistance(img.at(...pointAt(L, 4.5, 0.9)), color) <= 30, 'segment 4→5 is drawn');
  assert.ok(colorDistance(img.at(...pointAt(L, 3, 0.6)), color) > 100, 'nothing bridges the missing point');
});

test('a fixed y range keeps its ticks inside the range and clips what falls outside', () => {
  const s: LinePlotSpec = { series: [{ name: 'm', xs: [0, 1, 2], ys: [0.5, 1.5, 0.5] }], title: '', xLabel: 'x', yLabel: 'y', yRange: [0, 1] };
  const L = linePlotLayout(s);
  const values = L.y.ticks.map((t) => t.value);
  assert.equal(Math.min(...values), 0);
  assert.equal(Math.max(...values), 1);
  const img = decode(linePlotPng(s), L.pixelScale);
  assert.equal(img.ink({ x: L.plot.x, y: 0, w: L.plot.w, h: L.plot.y - 1 }), 0, 'nothing drawn above the plot');
});

test('bands shade between lo and hi in the series colour', () => {
  const xs = [1, 2, 3, 4];
  const s: LinePlotSpec = { series: [{ name: 'm', xs, ys: [0.5, 0.5, 0.5, 0.5], lo: [0.2, 0.2, 0.2, 0.2], hi: [0.8, 0.8, 0.8, 0.8] }], title: '', xLabel: 'x', yLabel: 'y', yRange: [0, 1] };
  const L = linePlotLayout(s);
  const img = decode(linePlotPng(s), L.pixelScale);
  const inside = img.at(...pointAt(L, 2.25, 0.7));
  const outside = img.at(...pointAt(L, 2.25, 0.9));
  const [r, g, b] = hexToRgb(seriesStyle(0).color);
  // A 15% tint of the colour over white.
  const tint = [r, g, b].map((c) => Math.round(255 - 0.15 * (255 - c)));
  assert.ok(colorDistance(inside, tint as [number, number, number]) <= 4, `inside band ${inside} vs ${tint}`);
  assert.ok(outside.every((c) => c >= 225), 'outside the band is background or grid');
});

test('the legend is drawn for several series and left out for one unnamed series', () => {
  const s = training();
  const L = linePlotLayout(s);
  const legendArea = { x: L.plot.x + L.plot.w + 4, y: L.plot.y, w: L.width - L.plot.x - L.plot.w - 4, h: 60 };
  assert.ok(decode(linePlotPng(s), L.pixelScale).ink(legendArea) > 100);
  const one: LinePlotSpec = { ...s, series: [{ ...s.series[0], name: '' }] };
  const L1 = linePlotLayout(one);
  assert.ok(L1.width < L.width, 'no legend, narrower figure');
  assert.equal(decode(linePlotPng(one), L1.pixelScale).ink({ x: L1.plot.x + L1.plot.w + 12, y: L1.plot.y, w: L1.width - L1.plot.x - L1.plot.w - 12, h: 60 }), 0);
});

test('bad input names the field at fault', () => {
  const s = training();
  const err = (f: () => unknown, subject: string) =>
    assert.throws(f, (e: unknown) => e instanceof IntrospectError && e.subject === subject, `expected an error about ${subject}`);
  err(() => linePlotPng({ ...s, series: [{ name: 'a', xs: [0, 1], ys: [1, 2] }] }), 'linePlot.series[0].xs[0]');
  err(() => linePlotPng({ ...s, series: [s.series[0], { name: 'b', xs: [1, 2], ys: [1] }] }), 'linePlot.series[1].ys');
  err(() => linePlotPng({ ...s, series: [] }), 'linePlot.series');
  err(() => linePlotPng({ ...s, yRange: [1, 0] }), 'linePlot.yRange');
  err(() => linePlotPng({ ...s, logX: false, series: [{ name: 'a', xs: [1, NaN], ys: [1, 2] }] }), 'linePlot.series[0].xs[1]');
});

test('a points-only series marks its points with rings and draws no line between them', () => {
  const s: LinePlotSpec = {
    series: [
      { name: 'curve', xs: [1, 2, 3], ys: [0, 0, 0] },
      { name: 'events', xs: [1, 3], ys: [1, 1], points: true },
    ],
    title: '',
    xLabel: 'x',
    yLabel: 'y',
  };
  const L = linePlotLayout(s);
  const img = decode(linePlotPng(s), L.pixelScale);
  const color = hexToRgb(seriesStyle(1).color);
  const [cx, cy] = pointAt(L, 1, 1);
  const ring = [0, 1, 2, 3].some((k) => colorDistance(img.at(cx + 6 * Math.cos((k * Math.PI) / 2), cy + 6 * Math.sin((k * Math.PI) / 2)), color) <= 40);
  assert.ok(ring, 'a ring around the point');
  assert.ok(colorDistance(img.at(...pointAt(L, 2, 1)), color) > 100, 'no line between the points');
});

test('over training steps on a log axis, step 0 is left off and a points-only series stays points-only', () => {
  const spec = overStepsSpec(
    [
      { name: 'curve', xs: [0, 10, 1000], ys: [1, 2, 3] },
      { name: 'events', xs: [0, 10, 1000], ys: [1, 2, 3], points: true },
    ],
    'T',
    'y',
  )!;
  assert.equal(spec.logX, true);
  assert.equal(spec.title, 'T (step 0 not shown on the log axis)');
  assert.deepEqual(spec.series.map((s) => [s.xs, !!s.points]), [[[10, 1000], false], [[10, 1000], true]]);
});
