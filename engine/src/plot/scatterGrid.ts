/**
 * Scatter plots of 2-d embeddings, one panel per frame (a checkpoint), points coloured by class,
 * in a grid with one legend; a single panel too, and the frames as an animated GIF. Axes are
 * unlabelled: embedding coordinates have no units, only the shapes matter.
 */
import { Resvg } from '@resvg/resvg-js';
import { applyPalette, GIFEncoder, quantize } from 'gifenc';
import { IntrospectError } from '../errors';
import { FONT_FAMILY, FONT_FILES, textWidth } from './font';
import { GAP, PAD, TITLE_SIZE } from './frame';
import { seriesStyle } from './palette';
import { svgToPng } from './rasterize';
import { n, rect, svgDocument, text } from './svg';

export interface ScatterFrame {
  title: string;
  /** [points × 2], row-major. */
  xy: ArrayLike<number>;
}

export interface ScatterGridSpec {
  frames: ScatterFrame[];
  /** Each point's class (the same points in every frame). */
  classes: readonly string[];
  /** Classes in legend and colour order (default: as they first appear). */
  order?: readonly string[];
  title: string;
  /** Panels per row; default: a near-square grid. */
  columns?: number;
  panel?: number;
}

const LABEL = 11;
const DOT = 1.8;

function checkSpec(s: ScatterGridSpec): void {
  if (!s.frames.length) throw new IntrospectError('has no frames', 'scatter');
  for (const f of s.frames) if (f.xy.length !== 2 * s.classes.length) throw new IntrospectError(`frame "${f.title}" has ${f.xy.length / 2} points for ${s.classes.length} classes`, 'scatter');
}

export function scatterGridSvg(s: ScatterGridSpec): string {
  checkSpec(s);
  const present = new Set(s.classes);
  const names = s.order ? [...s.order.filter((c) => present.has(c)), ...[...present].filter((c) => !s.order!.includes(c))] : [...present];
  const color = new Map(names.map((c, i) => [c, seriesStyle(i).color]));
  const cols = s.columns ?? Math.ceil(Math.sqrt(s.frames.length));
  const rows = Math.ceil(s.frames.length / cols);
  const P = s.panel ?? 220;
  const top = PAD + (s.title ? TITLE_SIZE * 1.4 + GAP : 0);
  const cell = P + LABEL * 1.6;
  const legendW = 24 + Math.max(...names.map((c) => textWidth(c, LABEL)));
  const width = PAD * 2 + cols * (P + GAP) + legendW;
  const height = top + rows * (cell + GAP) + PAD;
  const body: string[] = [];
  if (s.title) body.push(text(PAD, PAD + TITLE_SIZE, s.title, { size: TITLE_SIZE, weight: 'bold' }));
  s.frames.forEach((f, k) => {
    const x0 = PAD + (k % cols) * (P + GAP);
    const y0 = top + Math.floor(k / cols) * (cell + GAP);
    body.push(text(x0 + P / 2, y0 + LABEL, f.title, { size: LABEL, anchor: 'middle' }));
    const py = y0 + LABEL * 1.6;
    body.push(rect(x0, py, P, P, '#fafafa', 'stroke="#d0d0d0"'));
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < s.classes.length; i++) {
      const [x, y] = [f.xy[2 * i], f.xy[2 * i + 1]];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
    }
    const span = Math.max(maxX - minX, maxY - minY, 1e-12);
    const at = (v: number, lo: number, hi: number) => 6 + ((v - (lo + hi) / 2) / span + 0.5) * (P - 12);
    for (let i = 0; i < s.classes.length; i++) {
      const [x, y] = [f.xy[2 * i], f.xy[2 * i + 1]];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      body.push(`<circle cx="${n(x0 + at(x, minX, maxX))}" cy="${n(py + P - at(y, minY, maxY))}" r="${DOT}" fill="${color.get(s.classes[i])}" fill-opacity="0.7"/>`);
    }
  });
  const lx = PAD + cols * (P + GAP) + 4;
  names.forEach((c, i) => {
    const y = top + LABEL * 1.6 + i * LABEL * 1.6;
    body.push(`<circle cx="${n(lx + 5)}" cy="${n(y)}" r="4" fill="${color.get(c)}"/>`);
    body.push(text(lx + 14, y, c, { size: LABEL, baseline: 'middle' }));
  });
  return svgDocument(width, height, body);
}

export function scatterGridPng(s: ScatterGridSpec, scale = 2): Buffer {
  return svgToPng(scatterGridSvg(s), scale);
}

/** The frames as an animated GIF, one panel each, `delayMs` apart. */
export function scatterGif(s: ScatterGridSpec, delayMs = 800): Uint8Array {
  checkSpec(s);
  const gif = GIFEncoder();
  for (const f of s.frames) {
    const svg = scatterGridSvg({ ...s, frames: [f], columns: 1, panel: s.panel ?? 360 });
    const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: 1.5 }, font: { fontFiles: [...FONT_FILES], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY } }).render();
    const rgba = new Uint8Array(r.pixels);
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), r.width, r.height, { palette, delay: delayMs });
  }
  gif.finish();
  return gif.bytes();
}
