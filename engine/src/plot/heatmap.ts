/**
 * Heatmaps of a rows × cols grid (layers × tokens, layers × heads): colored cells, row and column
 * labels, axis titles, a colorbar and a title. Sizes adapt to the grid and to label lengths.
 */
import { scaleLinear } from 'd3-scale';
import { IntrospectError } from '../errors';
import { colormapColor, colormapPosition, luminance, valueColor, type ColorScale } from './colormap';
import { textWidth } from './font';
import { AXIS_TITLE_SIZE, GAP, PAD, TICK_SIZE, TITLE_SIZE } from './frame';
import { displayLabel } from './label';
import { svgToPng } from './rasterize';
import { line, n, rect, svgDocument, text, type Box } from './svg';
import { lengthIs, numbersOrNaN, positiveInt, range } from './validate';

export interface HeatmapSpec {
  /** Row-major, rows × cols. NaN marks a missing cell (drawn grey). */
  values: readonly number[];
  rows: number;
  cols: number;
  /** Drawn as given, with control characters made visible; pass token text through `tokenLabel` first to show spaces. */
  rowLabels: readonly string[];
  colLabels: readonly string[];
  title: string;
  colorbarLabel: string;
  /** Axis titles, e.g. "token" and "layer". */
  xLabel?: string;
  yLabel?: string;
  /** Signed data: RdBu centred on 0 (blue < 0 < red). Otherwise viridis. */
  diverging?: boolean;
  /**
   * Colour range; values outside are clamped. Defaults: the data's range; when diverging,
   * ±max|value|, or the mirror of the one bound given.
   */
  vmin?: number;
  vmax?: number;
  /** Print each value in its cell, where it fits. */
  annotate?: boolean;
  /** Device pixels per layout pixel; default 2, lowered so very large figures stay within 8000 px a side. */
  scale?: number;
}

/** Where everything goes, in layout pixels (multiply by `pixelScale` for PNG pixels). */
export interface HeatmapLayout {
  width: number;
  height: number;
  pixelScale: number;
  plot: Box;
  cellW: number;
  cellH: number;
  colorbar: Box;
  color: ColorScale;
  rowLabels: string[];
  colLabels: string[];
  rowLabelSize: number;
  colLabelSize: number;
  /** Column labels run bottom-to-top when they are wider than a cell. */
  rotateColLabels: boolean;
  /** Band under the plot holding the column labels. */
  colLabelBox: Box;
  /** Band left of the plot holding the row labels. */
  rowLabelBox: Box;
  ticks: { value: number; label: string; y: number }[];
  /** x of the colorbar's title (it runs bottom-to-top). */
  colorbarTitleX: number;
}

const COLORBAR_W = 14;
const MISSING = '#d9d9d9';

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function colorScale(spec: HeatmapSpec): ColorScale {
  const present = spec.values.filter((v) => !Number.isNaN(v));
  const diverging = spec.diverging ?? false;
  let lo = spec.vmin;
  let hi = spec.vmax;
  if (diverging) {
    // One bound given: mirror it, so the scale stays symmetric about 0 unless asked otherwise.
    const m = present.reduce((a, v) => Math.max(a, Math.abs(v)), 0) || 1;
    lo ??= hi !== undefined ? -hi : -m;
    hi ??= -lo;
    if (!(lo < 0 && hi > 0)) throw new IntrospectError(`a diverging colour range must contain 0, got [${lo}, ${hi}]`, 'heatmap.vmin/vmax');
  } else {
    const dmin = present.length ? present.reduce((a, v) => Math.min(a, v)) : 0;
    const dmax = present.length ? present.reduce((a, v) => Math.max(a, v)) : 1;
    lo ??= dmin;
    hi ??= dmax;
    // Widen a degenerate range on whichever side the caller left open.
    if (lo >= hi && spec.vmin === undefined) lo = spec.vmax === undefined ? hi - 0.5 : hi - 1;
    if (lo >= hi && spec.vmax === undefined) hi = lo + (spec.vmin === undefined ? 0.5 : 1);
  }
  range(lo, hi, 'heatmap.vmin/vmax');
  return { vmin: lo, vmax: hi, diverging };
}

function validate(spec: HeatmapSpec): void {
  positiveInt(spec.rows, 'heatmap.rows');
  positiveInt(spec.cols, 'heatmap.cols');
  lengthIs(spec.values, spec.rows * spec.cols, 'heatmap.values', `rows × cols = ${spec.rows} × ${spec.cols} = ${spec.rows * spec.cols} values`);
  numbersOrNaN(spec.values, 'heatmap.values');
  lengthIs(spec.rowLabels, spec.rows, 'heatmap.rowLabels', `${spec.rows} row labels`);
  lengthIs(spec.colLabels, spec.cols, 'heatmap.colLabels', `${spec.cols} column labels`);
}

export function heatmapLayout(spec: HeatmapSpec): HeatmapLayout {
  validate(spec);
  const color = colorScale(spec);
  const cellW = clamp(Math.round(1100 / spec.cols), 13, 40);
  const cellH = clamp(Math.round(520 / spec.rows), 13, 34);
  const plotW = cellW * spec.cols;
  const plotH = cellH * spec.rows;
  const rowLabelSize = Math.min(TICK_SIZE, cellH - 2);
  const colLabelSize = Math.min(TICK_SIZE, cellW - 2);
  const rowLabels = spec.rowLabels.map((l) => displayLabel(l));
  const colLabels = spec.colLabels.map((l) => displayLabel(l));
  const rowLabelW = Math.max(0, ...rowLabels.map((l) => textWidth(l, rowLabelSize)));
  const colLabelW = Math.max(0, ...colLabels.map((l) => textWidth(l, colLabelSize)));
  const rotateColLabels = colLabelW > cellW - 3;
  const colLabelH = rotateColLabels ? colLabelW : colLabelSize * 1.2;

  const yTitleW = spec.yLabel ? AXIS_TITLE_SIZE * 1.3 + GAP : 0;
  const plotX = PAD + yTitleW + rowLabelW + GAP;
  const plotY = PAD + (spec.title ? TITLE_SIZE * 1.4 + GAP : 0);
  const plot = { x: plotX, y: plotY, w: plotW, h: plotH };
  const colLabelBox = { x: plotX, y: plotY + plotH + 4, w: plotW, h: colLabelH };
  const rowLabelBox = { x: plotX - GAP - rowLabelW, y: plotY, w: rowLabelW, h: plotH };
  const bottom = colLabelBox.y + colLabelH + (spec.xLabel ? GAP + AXIS_TITLE_SIZE * 1.3 : 0) + PAD;

  // At least tall enough for a readable scale and for its own title, which runs along it.
  const colorbarTitleW = spec.colorbarLabel ? textWidth(spec.colorbarLabel, AXIS_TITLE_SIZE) + 12 : 0;
  const colorbar = { x: plotX + plotW + 18, y: plotY, w: COLORBAR_W, h: Math.max(plotH, 120, colorbarTitleW) };
  const lin = scaleLinear().domain([color.vmin, color.vmax]);
  const fmt = lin.tickFormat(5);
  const ticks = lin.ticks(5).map((value) => ({
    value,
    label: fmt(value),
    y: colorbar.y + colorbar.h * (1 - colormapPosition(value, color)),
  }));
  const tickLabelW = Math.max(0, ...ticks.map((t) => textWidth(t.label, TICK_SIZE)));
  const colorbarTitleX = colorbar.x + COLORBAR_W + 7 + tickLabelW + GAP + AXIS_TITLE_SIZE;
  const right = (spec.colorbarLabel ? colorbarTitleX + AXIS_TITLE_SIZE * 0.3 : colorbar.x + COLORBAR_W + 7 + tickLabelW) + PAD;

  const titleW = spec.title ? textWidth(spec.title, TITLE_SIZE, 'bold') + 2 * PAD : 0;
  const width = Math.ceil(Math.max(right, titleW));
  const height = Math.ceil(Math.max(bottom, colorbar.y + colorbar.h + PAD));
  const pixelScale = spec.scale ?? Math.min(2, 8000 / width, 8000 / height);
  return { width, height, pixelScale, plot, cellW, cellH, colorbar, color, rowLabels, colLabels, rowLabelSize, colLabelSize, rotateColLabels, colLabelBox, rowLabelBox, ticks, colorbarTitleX };
}

export function heatmapSvg(spec: HeatmapSpec): string {
  return drawHeatmap(spec, heatmapLayout(spec));
}

export function heatmapPng(spec: HeatmapSpec): Buffer {
  const layout = heatmapLayout(spec);
  return svgToPng(drawHeatmap(spec, layout), layout.pixelScale);
}

function drawHeatmap(spec: HeatmapSpec, L: HeatmapLayout): string {
  const { plot, cellW, cellH, colorbar: cb } = L;
  const body: string[] = [];

  if (spec.title) {
    // Centred over the plot, but kept inside the figure when the title is the widest thing.
    const half = textWidth(spec.title, TITLE_SIZE, 'bold') / 2;
    const cx = clamp(plot.x + plot.w / 2, PAD + half, L.width - PAD - half);
    body.push(text(cx, PAD + TITLE_SIZE, spec.title, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold' }));
  }

  const annotateFmt = scaleLinear().domain([L.color.vmin, L.color.vmax]).tickFormat(50);
  for (let r = 0; r < spec.rows; r++) {
    for (let c = 0; c < spec.cols; c++) {
      const v = spec.values[r * spec.cols + c];
      const fill = Number.isNaN(v) ? MISSING : valueColor(v, L.color);
      const x = plot.x + c * cellW;
      const y = plot.y + r * cellH;
      // Cells overlap by a hair so no background seams show between them after antialiasing.
      body.push(rect(x, y, cellW + 0.5, cellH + 0.5, fill));
      if (spec.annotate && !Number.isNaN(v)) {
        const s = annotateFmt(v);
        const size = Math.min(10, cellH - 3);
        if (textWidth(s, size) <= cellW - 4)
          body.push(text(x + cellW / 2, y + cellH / 2, s, { size, anchor: 'middle', baseline: 'middle', fill: luminance(fill) > 0.4 ? '#000000' : '#ffffff' }));
      }
    }
  }
  body.push(`<rect x="${n(plot.x)}" y="${n(plot.y)}" width="${n(plot.w)}" height="${n(plot.h)}" fill="none" stroke="#444444" stroke-width="0.8"/>`);

  L.rowLabels.forEach((l, r) => {
    body.push(text(plot.x - GAP, plot.y + (r + 0.5) * cellH, l, { size: L.rowLabelSize, anchor: 'end', baseline: 'middle', fill: '#222222' }));
  });
  L.colLabels.forEach((l, c) => {
    const cx = plot.x + (c + 0.5) * cellW;
    if (L.rotateColLabels) body.push(text(cx, L.colLabelBox.y, l, { size: L.colLabelSize, anchor: 'end', baseline: 'middle', rotate: -90, fill: '#222222' }));
    else body.push(text(cx, L.colLabelBox.y, l, { size: L.colLabelSize, anchor: 'middle', baseline: 'hanging', fill: '#222222' }));
  });
  if (spec.xLabel) {
    const y = L.colLabelBox.y + L.colLabelBox.h + GAP + AXIS_TITLE_SIZE;
    body.push(text(plot.x + plot.w / 2, y, spec.xLabel, { size: AXIS_TITLE_SIZE, anchor: 'middle' }));
  }
  if (spec.yLabel) {
    const x = L.rowLabelBox.x - GAP - AXIS_TITLE_SIZE * 0.3;
    body.push(text(x, plot.y + plot.h / 2, spec.yLabel, { size: AXIS_TITLE_SIZE, anchor: 'middle', rotate: -90 }));
  }

  // Colorbar: the full colormap bottom (vmin) to top (vmax), ticks placed by the same mapping as cells.
  const stops = Array.from({ length: 65 }, (_, i) => {
    const t = i / 64;
    return `<stop offset="${n(t)}" stop-color="${colormapColor(t, L.color.diverging)}"/>`;
  });
  body.push(`<defs><linearGradient id="cbar" x1="0" y1="1" x2="0" y2="0">${stops.join('')}</linearGradient></defs>`);
  body.push(rect(cb.x, cb.y, cb.w, cb.h, 'url(#cbar)', 'stroke="#444444" stroke-width="0.8"'));
  for (const t of L.ticks) {
    body.push(line(cb.x + cb.w, t.y, cb.x + cb.w + 4, t.y, '#444444', 0.8));
    body.push(text(cb.x + cb.w + 7, t.y, t.label, { size: TICK_SIZE, baseline: 'middle', fill: '#222222' }));
  }
  if (spec.colorbarLabel) {
    body.push(text(L.colorbarTitleX, cb.y + cb.h / 2, spec.colorbarLabel, { size: AXIS_TITLE_SIZE, anchor: 'middle', rotate: -90 }));
  }
  return svgDocument(L.width, L.height, body);
}
