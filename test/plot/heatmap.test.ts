import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import { colormapColor } from '../../engine/src/plot/colormap';
import { heatmapLayout, heatmapPng, type HeatmapSpec } from '../../engine/src/plot/heatmap';
import { tokenLabel } from '../../engine/src/plot/label';
import { colorDistance, decode, hexToRgb } from './pixels';

// Tokens of a small program as a tokenizer splits it: leading spaces, newlines, punctuation.
const TOKENS = ['a', ' =', ' ', '3', '\n', 'b', ' =', ' a', ' +', ' 2', '\n', '#', ' b', ':'];

/** A layers × tokens grid in [0, 1] with a single maximum at (row 4, col 3) and minimum at (0, 0). */
function grid(rows: number, cols: number): number[] {
  const v: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v.push(0.05 + 0.8 * Math.exp(-((r - 4) ** 2 + (c - 3) ** 2) / 6));
  v[4 * cols + 3] = 1;
  v[0] = 0;
  return v;
}

function spec(overrides: Partial<HeatmapSpec> = {}): HeatmapSpec {
  const rows = 8;
  const cols = TOKENS.length;
  return {
    values: grid(rows, cols),
    rows,
    cols,
    rowLabels: Array.from({ length: rows }, (_, i) => String(i)),
    colLabels: TOKENS.map((t) => tokenLabel(t)),
    title: 'Residual patching',
    colorbarLabel: 'normalized LD',
    xLabel: 'token',
    yLabel: 'layer',
    vmin: 0,
    vmax: 1,
    ...overrides,
  };
}

function cellCenter(L: ReturnType<typeof heatmapLayout>, r: number, c: number): [number, number] {
  return [L.plot.x + (c + 0.5) * L.cellW, L.plot.y + (r + 0.5) * L.cellH];
}

test('the PNG has the layout size times the pixel scale', () => {
  const s = spec();
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  assert.equal(img.width, Math.round(L.width * L.pixelScale));
  assert.equal(img.height, Math.round(L.height * L.pixelScale));
});

test('extreme cells take the colormap end colours (viridis)', () => {
  const s = spec();
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  assert.ok(colorDistance(img.at(...cellCenter(L, 4, 3)), hexToRgb(colormapColor(1, false))) <= 2);
  assert.ok(colorDistance(img.at(...cellCenter(L, 0, 0)), hexToRgb(colormapColor(0, false))) <= 2);
  // The colorbar runs from vmin at the bottom to vmax at the top.
  const cb = L.colorbar;
  assert.ok(colorDistance(img.at(cb.x + cb.w / 2, cb.y + 2), hexToRgb(colormapColor(1, false))) <= 12);
  assert.ok(colorDistance(img.at(cb.x + cb.w / 2, cb.y + cb.h - 2), hexToRgb(colormapColor(0, false))) <= 12);
});

test('values outside vmin..vmax are clamped to the end colours, missing cells are grey', () => {
  const s = spec();
  const values = [...s.values];
  values[1] = 7;
  values[2] = -3;
  values[3] = NaN;
  const L = heatmapLayout({ ...s, values });
  const img = decode(heatmapPng({ ...s, values }), L.pixelScale);
  assert.ok(colorDistance(img.at(...cellCenter(L, 0, 1)), hexToRgb(colormapColor(1, false))) <= 2);
  assert.ok(colorDistance(img.at(...cellCenter(L, 0, 2)), hexToRgb(colormapColor(0, false))) <= 2);
  const [r, g, b] = img.at(...cellCenter(L, 0, 3));
  assert.ok(r === g && g === b && r > 180 && r < 240, `missing cell should be light grey, got ${[r, g, b]}`);
});

test('a diverging map is white at zero, red for positive and blue for negative values', () => {
  const rows = 3;
  const cols = 4;
  const values = [0, 0.5, -0.5, 2, -2, 0, 0, 0, 0, 0, 0, 0];
  const s = spec({ values, rows, cols, rowLabels: ['L0', 'L1', 'L2'], colLabels: ['H0', 'H1', 'H2', 'H3'], diverging: true, vmin: undefined, vmax: undefined });
  const L = heatmapLayout(s);
  assert.deepEqual([L.color.vmin, L.color.vmax], [-2, 2], 'default range is symmetric about zero');
  assert.deepEqual(heatmapLayout({ ...s, vmax: 1 }).color, { vmin: -1, vmax: 1, diverging: true }, 'one bound is mirrored');
  const img = decode(heatmapPng(s), L.pixelScale);
  const zero = img.at(...cellCenter(L, 0, 0));
  assert.ok(zero.every((c) => c >= 235), `zero should be near white, got ${zero}`);
  const [pr, , pb] = img.at(...cellCenter(L, 0, 3));
  assert.ok(pr > 90 && pr > pb + 60, 'max positive is red');
  const [nr, , nb] = img.at(...cellCenter(L, 1, 0));
  assert.ok(nb > 70 && nb > nr + 40, 'max negative is blue');
  const half = img.at(...cellCenter(L, 0, 1));
  assert.ok(half[0] > half[2], 'mild positive leans red');
});

test('every column label is drawn, newlines and lone spaces included; an empty label leaves no ink', () => {
  const labels = TOKENS.map((t) => tokenLabel(t));
  labels[5] = '';
  const s = spec({ colLabels: labels });
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  for (let c = 0; c < s.cols; c++) {
    const strip = { x: L.plot.x + c * L.cellW + 1, y: L.colLabelBox.y, w: L.cellW - 2, h: L.colLabelBox.h };
    if (c === 5) assert.equal(img.ink(strip), 0, 'no label, no ink');
    else assert.ok(img.ink(strip) > 10, `label of column ${c} (${JSON.stringify(TOKENS[c])}) is missing`);
  }
});

test('row labels, axis titles, title and colorbar label are drawn', () => {
  const s = spec();
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  for (let r = 0; r < s.rows; r++) assert.ok(img.ink({ x: L.rowLabelBox.x, y: L.plot.y + r * L.cellH + 1, w: L.rowLabelBox.w, h: L.cellH - 2 }) > 5);
  assert.ok(img.ink({ x: 0, y: 0, w: L.width, h: L.plot.y - 2 }) > 100, 'title');
  assert.ok(img.ink({ x: 0, y: L.plot.y, w: L.rowLabelBox.x - 2, h: L.plot.h }) > 30, 'y axis title');
  assert.ok(img.ink({ x: L.plot.x, y: L.colLabelBox.y + L.colLabelBox.h + 1, w: L.plot.w, h: L.height - L.colLabelBox.y - L.colLabelBox.h - 1 }) > 30, 'x axis title');
  assert.ok(img.ink({ x: L.colorbarTitleX - 12, y: L.colorbar.y, w: 16, h: L.colorbar.h }) > 30, 'colorbar title');
  // Without titles those areas stay blank: the checks above see real text, not stray pixels.
  const bare = { ...s, title: '', xLabel: undefined, yLabel: undefined };
  const B = heatmapLayout(bare);
  const bareImg = decode(heatmapPng(bare), B.pixelScale);
  assert.equal(bareImg.ink({ x: 0, y: 0, w: B.colorbar.x, h: B.plot.y - 1 }), 0);
  assert.equal(bareImg.ink({ x: 0, y: B.plot.y, w: B.rowLabelBox.x - 1, h: B.plot.h }), 0);
});

test('the layout adapts to many columns and to long labels', () => {
  const base = spec();
  const L = heatmapLayout(base);
  const cols = 300;
  const wide = heatmapLayout({ ...base, cols, values: grid(base.rows, cols), colLabels: Array.from({ length: cols }, (_, i) => tokenLabel(TOKENS[i % TOKENS.length])) });
  assert.ok(wide.width > L.width * 3, 'wide grids widen the figure');
  assert.ok(wide.cellW >= wide.colLabelSize + 1, 'each column keeps room for a label line');
  assert.ok(wide.width * wide.pixelScale <= 8000, 'very wide figures stay a sane PNG size');
  const tall = heatmapLayout({ ...base, rows: 400, values: grid(400, base.cols), rowLabels: Array.from({ length: 400 }, (_, i) => String(i)) });
  assert.ok(tall.height * tall.pixelScale <= 8000 && tall.cellH >= tall.rowLabelSize + 1);
  const longCols = heatmapLayout({ ...base, colLabels: base.colLabels.map((l) => `${l}_long_label`) });
  assert.ok(longCols.rotateColLabels);
  assert.ok(longCols.colLabelBox.h > L.colLabelBox.h, 'longer labels get a taller label band');
  const longRows = heatmapLayout({ ...base, rowLabels: base.rowLabels.map((l) => `blocks.${l}.hook_resid_pre`) });
  assert.ok(longRows.plot.x > L.plot.x + 50, 'longer row labels push the plot right');
  assert.ok(longRows.rowLabelBox.x >= 16, 'row labels stay inside the figure');
  const short = heatmapLayout({ ...base, colLabels: base.colLabels.map(() => 'x') });
  assert.equal(short.rotateColLabels, false, 'labels narrower than a cell stay horizontal');
});

test('annotations print values in contrasting ink', () => {
  const s = spec({ rows: 2, cols: 2, values: [0, 1, 0.25, 0.75], rowLabels: ['0', '1'], colLabels: ['a', 'b'], annotate: true });
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  const plain = decode(heatmapPng({ ...s, annotate: false }), L.pixelScale);
  const cell = { x: L.plot.x + L.cellW * 0.2, y: L.plot.y + L.cellH * 0.2, w: L.cellW * 0.6, h: L.cellH * 0.6 };
  // The dark viridis cell (value 0) gets white text: pixels much brighter than the cell colour appear.
  const count = (im: typeof img) => {
    let bright = 0;
    for (let y = cell.y; y < cell.y + cell.h; y += 0.5) for (let x = cell.x; x < cell.x + cell.w; x += 0.5) if (im.at(x, y)[1] > 150) bright++;
    return bright;
  };
  assert.equal(count(plain), 0);
  assert.ok(count(img) > 10);
});

test('bad input names the field at fault', () => {
  const s = spec();
  const err = (f: () => unknown, subject: string) =>
    assert.throws(f, (e: unknown) => e instanceof IntrospectError && e.subject === subject, `expected an error about ${subject}`);
  err(() => heatmapPng({ ...s, values: s.values.slice(1) }), 'heatmap.values');
  err(() => heatmapPng({ ...s, colLabels: s.colLabels.slice(1) }), 'heatmap.colLabels');
  err(() => heatmapPng({ ...s, rowLabels: [] }), 'heatmap.rowLabels');
  err(() => heatmapPng({ ...s, rows: 0 }), 'heatmap.rows');
  const inf = [...s.values];
  inf[7] = Infinity;
  err(() => heatmapPng({ ...s, values: inf }), 'heatmap.values[7]');
  err(() => heatmapPng({ ...s, vmin: 1, vmax: 0 }), 'heatmap.vmin/vmax');
  err(() => heatmapPng({ ...s, diverging: true, vmin: 0.1, vmax: 1 }), 'heatmap.vmin/vmax');
});

test('the colorbar is at least as tall as its title', () => {
  const s = spec({ rows: 1, values: grid(8, TOKENS.length).slice(0, TOKENS.length), rowLabels: ['0'], colorbarLabel: 'a rather long colorbar title for one row' });
  const L = heatmapLayout(s);
  const img = decode(heatmapPng(s), L.pixelScale);
  // Nothing of the title pokes out above or below the bar.
  const strip = { x: L.colorbarTitleX - 12, w: 16 };
  assert.equal(img.ink({ ...strip, y: 0, h: L.colorbar.y - 1 }), 0);
  assert.equal(img.ink({ ...strip, y: L.colorbar.y + L.colorbar.h + 1, h: L.height - L.colorbar.y - L.colorbar.h - 1 }), 0);
  assert.ok(img.ink({ ...strip, y: L.colorbar.y, h: L.colorbar.h }) > 100);
});
