import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PatchGrid } from '../../engine/src/api/types';
import { colorFor, metricRange } from '../../webview/src/heatmap/colors';
import { projectGrid, viewsOf, visibleToken } from '../../webview/src/heatmap/grid';

function grid(axes: PatchGrid['axes'], shape: number[], normalized: number[]): PatchGrid {
  const n = normalized.length;
  const tokens = ['a', ' =', ' 5', '\n', '#a', ':'].slice(0, shape[axes.indexOf('pos')] ?? 0).map((text, i) => ({ id: i, text, start: i, end: i + 1 }));
  return {
    intervention: axes.includes('head') ? 'heads' : 'resid',
    axes,
    shape,
    tokens,
    cleanAnswer: { id: 1, text: '5', prob: 0.5, logit: 2 },
    cfAnswer: { id: 2, text: '7', prob: 0.4, logit: 1 },
    ldClean: -1,
    ldCf: 1,
    metrics: { ld: normalized.map((v) => 2 * v - 1), normalized, success: normalized.map((v) => (v > 0.5 ? 1 : 0)), top1: normalized.map((_, i) => i) },
  };
}

test('a layer × pos grid is drawn as is, tokens labelled and made visible', () => {
  const g = grid(['layer', 'pos'], [2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]);
  assert.deepEqual(viewsOf(g).map((v) => v.id), ['layer-pos']);
  const p = projectGrid(g, 'normalized', viewsOf(g)[0]);
  assert.deepEqual(p.xLabels, ['0:a', '1:·=', '2:·5']);
  assert.deepEqual(p.yLabels, ['0', '1']);
  assert.deepEqual(p.values, [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]);
  assert.deepEqual(p.gridIndex(4), [1, 1]);
  assert.equal(p.describeIndex(p.gridIndex(5)), 'layer 1, token 2 " 5"');
  assert.match(p.describe(5).join('\n'), /normalized effect 0\.900[\s\S]*logit difference 0\.800[\s\S]*is the counterfactual answer/);
  assert.deepEqual(projectGrid(g, 'success', viewsOf(g)[0]).values, [0, 0, 0, 0, 0, 1]);
});

test('a layer × head × pos grid reduces the hidden axis to its largest-magnitude cell', () => {
  // layer 0: head 0 = [0.1, -0.8], head 1 = [0.3, 0.2]; layer 1: head 0 = [0, 0.5], head 1 = [-0.6, 0.1]
  const g = grid(['layer', 'head', 'pos'], [2, 2, 2], [0.1, -0.8, 0.3, 0.2, 0, 0.5, -0.6, 0.1]);
  const [byPos, byHead] = viewsOf(g);
  assert.equal(byPos.id, 'layer-pos');
  assert.equal(byHead.id, 'layer-head');
  const p = projectGrid(g, 'normalized', byPos);
  assert.deepEqual(p.values, [0.3, -0.8, -0.6, 0.5]);
  assert.deepEqual(p.gridIndex(1), [0, 0, 1]); // layer 0, head 0, pos 1
  const h = projectGrid(g, 'normalized', byHead);
  assert.deepEqual(h.xLabels, ['0', '1']);
  assert.deepEqual(h.values, [-0.8, 0.3, 0.5, -0.6]);
  assert.deepEqual(h.gridIndex(3), [1, 1, 0]);
});

test('colour scales are diverging around zero and clamp', () => {
  assert.deepEqual(metricRange('normalized', [5]), [-1, 1]);
  assert.deepEqual(metricRange('ld', [-3, 2]), [-3, 3]);
  assert.equal(colorFor('normalized', 0, [-1, 1]), 'rgb(247,247,247)');
  assert.equal(colorFor('normalized', 1, [-1, 1]), 'rgb(200,50,48)');
  assert.equal(colorFor('normalized', -7, [-1, 1]), 'rgb(49,104,178)');
  assert.equal(visibleToken(''), '∅');
});
