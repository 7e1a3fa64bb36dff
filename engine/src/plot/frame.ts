/**
 * The shared frame of x/y charts: title, axis titles, gridlines, tick labels, axis lines and a
 * legend right of the plot. Margins are measured from the actual labels.
 */
import { textWidth } from './font';
import { displayLabel } from './label';
import { line, n, rect, svgDocument, text, type Box } from './svg';
import type { Tick } from './ticks';

/** Spacing and type sizes shared by every figure. */
export const PAD = 16;
export const GAP = 6;
export const TITLE_SIZE = 15;
export const AXIS_TITLE_SIZE = 12;
export const TICK_SIZE = 11;
const LEGEND_SIZE = 11;
const LEGEND_ROW = 18;
const SWATCH = 22;

interface LegendEntry {
  name: string;
  color: string;
  dash?: string;
  /** Line with a dot (line plots) or a filled square (bar plots). */
  kind: 'line' | 'point' | 'box';
}

export interface FrameSpec {
  title: string;
  xLabel?: string;
  yLabel?: string;
  plotW: number;
  plotH: number;
  /** Ticks with offsets relative to the plot's left (x) and top (y) edges. */
  xTicks: Tick[];
  yTicks: Tick[];
  /** Category names drawn under the plot instead of numeric x ticks (bar plots). */
  xCategories?: { offset: number; label: string }[];
  legend: LegendEntry[];
}

interface XLabels {
  /** Height of the band under the plot. */
  h: number;
  rotate: boolean;
  items: { offset: number; label: string }[];
}

function xLabels(spec: FrameSpec): XLabels {
  if (!spec.xCategories) return { h: TICK_SIZE * 1.3, rotate: false, items: spec.xTicks.filter((t) => t.label) };
  const items = spec.xCategories.map((c) => ({ offset: c.offset, label: displayLabel(c.label) }));
  const slot = spec.plotW / Math.max(1, items.length);
  const widest = Math.max(0, ...items.map((c) => textWidth(c.label, TICK_SIZE)));
  return widest > slot - 4 ? { h: widest, rotate: true, items } : { h: TICK_SIZE * 1.3, rotate: false, items };
}

export interface FrameLayout {
  width: number;
  height: number;
  plot: Box;
  xl: XLabels;
  legendNames: string[];
  /** Width of the widest y tick label. */
  yTickW: number;
}

export function frameLayout(spec: FrameSpec): FrameLayout {
  const yTickW = Math.max(0, ...spec.yTicks.filter((t) => t.label).map((t) => textWidth(t.label, TICK_SIZE)));
  const xl = xLabels(spec);
  const legendNames = spec.legend.map((e) => displayLabel(e.name, 40));
  const legendW = spec.legend.length ? 18 + SWATCH + GAP + Math.max(...legendNames.map((l) => textWidth(l, LEGEND_SIZE))) : 0;
  const x = PAD + (spec.yLabel ? AXIS_TITLE_SIZE * 1.3 + GAP : 0) + yTickW + 8;
  const y = PAD + (spec.title ? TITLE_SIZE * 1.4 + GAP : 0) + TICK_SIZE / 2;
  const plot = { x, y, w: spec.plotW, h: spec.plotH };
  const bottom = y + spec.plotH + 6 + xl.h + (spec.xLabel ? GAP + AXIS_TITLE_SIZE * 1.3 : 0) + PAD;
  const right = x + spec.plotW + legendW + PAD + (xl.rotate ? 0 : TICK_SIZE);
  const titleW = spec.title ? textWidth(spec.title, TITLE_SIZE, 'bold') + 2 * PAD : 0;
  const legendBottom = y + spec.legend.length * LEGEND_ROW + PAD;
  return { width: Math.ceil(Math.max(right, titleW)), height: Math.ceil(Math.max(bottom, legendBottom)), plot, xl, legendNames, yTickW };
}

/** The whole figure: frame around `content` (already in figure coordinates, drawn clipped to the plot). */
export function frameSvg(spec: FrameSpec, layout: FrameLayout, content: string[]): string {
  const { plot, xl } = layout;
  const body: string[] = [];
  if (spec.title) {
    const half = textWidth(spec.title, TITLE_SIZE, 'bold') / 2;
    const cx = Math.min(Math.max(plot.x + plot.w / 2, PAD + half), layout.width - PAD - half);
    body.push(text(cx, PAD + TITLE_SIZE, spec.title, { size: TITLE_SIZE, anchor: 'middle', weight: 'bold' }));
  }
  for (const t of spec.yTicks) body.push(line(plot.x, plot.y + t.offset, plot.x + plot.w, plot.y + t.offset, t.label ? '#e3e3e3' : '#f2f2f2', 1));
  for (const t of spec.xTicks) body.push(line(plot.x + t.offset, plot.y, plot.x + t.offset, plot.y + plot.h, t.label ? '#e3e3e3' : '#f2f2f2', 1));

  body.push(`<clipPath id="plotArea">${rect(plot.x, plot.y, plot.w, plot.h, '#000000')}</clipPath>`);
  body.push(`<g clip-path="url(#plotArea)">`, ...content, '</g>');

  body.push(line(plot.x, plot.y, plot.x, plot.y + plot.h, '#444444', 1));
  body.push(line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, '#444444', 1));
  for (const t of spec.yTicks.filter((t) => t.label)) {
    body.push(line(plot.x - 4, plot.y + t.offset, plot.x, plot.y + t.offset, '#444444', 1));
    body.push(text(plot.x - 7, plot.y + t.offset, t.label, { size: TICK_SIZE, anchor: 'end', baseline: 'middle', fill: '#222222' }));
  }
  const ly = plot.y + plot.h + 6;
  for (const t of xl.items) {
    const x = plot.x + t.offset;
    body.push(line(x, plot.y + plot.h, x, plot.y + plot.h + 4, '#444444', 1));
    if (xl.rotate) body.push(text(x, ly, t.label, { size: TICK_SIZE, anchor: 'end', baseline: 'middle', rotate: -90, fill: '#222222' }));
    else body.push(text(x, ly, t.label, { size: TICK_SIZE, anchor: 'middle', baseline: 'hanging', fill: '#222222' }));
  }
  if (spec.xLabel) body.push(text(plot.x + plot.w / 2, ly + xl.h + GAP + AXIS_TITLE_SIZE, spec.xLabel, { size: AXIS_TITLE_SIZE, anchor: 'middle' }));
  if (spec.yLabel) {
    body.push(text(plot.x - 8 - layout.yTickW - GAP - AXIS_TITLE_SIZE * 0.3, plot.y + plot.h / 2, spec.yLabel, { size: AXIS_TITLE_SIZE, anchor: 'middle', rotate: -90 }));
  }

  spec.legend.forEach((e, i) => {
    const x = plot.x + plot.w + 18;
    const y = plot.y + i * LEGEND_ROW + LEGEND_ROW / 2;
    if (e.kind === 'line') {
      body.push(line(x, y, x + SWATCH, y, e.color, 2, e.dash ? `stroke-dasharray="${e.dash}"` : ''));
      body.push(`<circle cx="${n(x + SWATCH / 2)}" cy="${n(y)}" r="3" fill="${e.color}"/>`);
    } else if (e.kind === 'point') body.push(`<circle cx="${n(x + SWATCH / 2)}" cy="${n(y)}" r="5" fill="none" stroke="${e.color}" stroke-width="2"/>`);
    else body.push(rect(x + SWATCH / 2 - 6, y - 6, 12, 12, e.color));
    body.push(text(x + SWATCH + GAP, y, layout.legendNames[i], { size: LEGEND_SIZE, baseline: 'middle', fill: '#222222' }));
  });
  return svgDocument(layout.width, layout.height, body);
}
