import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PatchGrid, TokenSpan } from '../../engine/src/api/types';
import { IntrospectError } from '../../engine/src/errors';
import { colormapColor } from '../../engine/src/plot/colormap';
import { heatmapLayout } from '../../engine/src/plot/heatmap';
import { tokenLabel } from '../../engine/src/plot/label';
import { patchGridHeatmapSpec, patchGridPng } from '../../engine/src/plot/patchGridPlot';
import { colorDistance, decode, hexToRgb } from './pixels';

const PROGRAM = 'a = 3\nb = a\nprint(b)';

/** The program split the way a BPE tokenizer would, with character spans into PROGRAM. */
function tokens(): TokenSpan[] {
  const pieces = ['a', ' =', ' 3', '\n', 'b', ' =', ' a', '\n', 'print', '(', 'b', ')'];
  let at = 0;
  return pieces.map((text, id) => {
    assert.equal(PROGRAM.slice(at, at + text.length), text);
    const span = { id, text, start: at, end: at + text.length };
    at += text.length;
    return span;
  });
}

/** A layer × pos grid whose patched LD moves from clean to counterfactual at the `3` token in middle layers. */
function grid(): PatchGrid {
  const toks = tokens();
  const layers = 4;
  const ldClean = -2;
  const ldCf = 3;
  const ld: number[] = [];
  for (let l = 0; l < layers; l++) for (let p = 0; p < toks.length; p++) ld.push(p === 2 ? ldCf - l * 1.5 : l === 3 && p === 10 ? ldCf : ldClean);
  ld[1] = 0;
  const normalized = ld.map((v) => (v - ldClean) / (ldCf - ldClean));
  return {
    intervention: 'resid',
    axes: ['layer', 'pos'],
    shape: [layers, toks.length],
    tokens: toks,
    cleanAnswer: { id: 100, text: '3', prob: 0.9, logit: 5 },
    cfAnswer: { id: 101, text: '7', prob: 0.8, logit: 4 },
    ldClean,
    ldCf,
    metrics: { ld, normalized, success: ld.map((v) => (v > 0 ? 1 : 0)), top1: ld.map((v) => (v > 0 ? 101 : 100)) },
  };
}

test('a layer × pos grid becomes layers down, tokens across, labelled with the token text', () => {
  const g = grid();
  const spec = patchGridHeatmapSpec(g);
  assert.equal(spec.rows, 4);
  assert.equal(spec.cols, g.tokens.length);
  assert.deepEqual(spec.colLabels, g.tokens.map((t) => tokenLabel(t.text)));
  assert.deepEqual(spec.rowLabels, ['0', '1', '2', '3']);
  assert.equal(spec.xLabel, 'token');
  assert.equal(spec.yLabel, 'layer');
  assert.match(spec.title, /"3".*"7"/);
  assert.equal(spec.values, g.metrics.normalized);
});

test('the normalized metric uses viridis over 0..1; full recovery cells are the top colour', () => {
  const g = grid();
  const spec = patchGridHeatmapSpec(g);
  const L = heatmapLayout(spec);
  const img = decode(patchGridPng(g), L.pixelScale);
  const center = (r: number, c: number) => [L.plot.x + (c + 0.5) * L.cellW, L.plot.y + (r + 0.5) * L.cellH] as const;
  assert.ok(colorDistance(img.at(...center(0, 2)), hexToRgb(colormapColor(1, false))) <= 2);
  assert.ok(colorDistance(img.at(...center(3, 10)), hexToRgb(colormapColor(1, false))) <= 2);
  assert.ok(colorDistance(img.at(...center(2, 5)), hexToRgb(colormapColor(0, false))) <= 2);
});

test('the logit difference is drawn diverging, zero white', () => {
  const g = grid();
  const spec = patchGridHeatmapSpec(g, { metric: 'ld' });
  assert.equal(spec.diverging, true);
  const L = heatmapLayout(spec);
  const img = decode(patchGridPng(g, { metric: 'ld' }), L.pixelScale);
  const zero = img.at(L.plot.x + 1.5 * L.cellW, L.plot.y + 0.5 * L.cellH);
  assert.ok(zero.every((c) => c >= 235), `LD 0 should be near white, got ${zero}`);
});

test('sweeps over a subset of layers take their labels from the caller', () => {
  const g = grid();
  const spec = patchGridHeatmapSpec(g, { axisLabels: { layer: ['4', '8', '12', '16'] } });
  assert.deepEqual(spec.rowLabels, ['4', '8', '12', '16']);
});

test('grids a heatmap cannot show are refused with the field named', () => {
  const g = grid();
  const err = (f: () => unknown, subject: string) =>
    assert.throws(f, (e: unknown) => e instanceof IntrospectError && e.subject === subject, `expected an error about ${subject}`);
  err(() => patchGridPng({ ...g, axes: ['layer', 'head', 'pos'], shape: [4, 2, 6] }), 'patchGrid.axes');
  err(() => patchGridPng({ ...g, tokens: g.tokens.slice(1) }), 'patchGrid.tokens');
  err(() => patchGridPng(g, { axisLabels: { layer: ['0'] } }), 'axisLabels.layer');
  err(() => patchGridPng(g, { metric: 'top1' as never }), 'metric');
});
