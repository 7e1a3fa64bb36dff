/** Minimal SVG markup builders: every plot is an SVG string first, rasterized afterwards. */
import { FONT_FAMILY, renderable } from './font';

/** A rectangle in layout pixels. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/** Coordinates rounded to 0.01 px: keeps the markup short without visible error. */
export function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

interface TextOptions {
  size: number;
  anchor?: 'start' | 'middle' | 'end';
  /** Vertical alignment of the text box around y. */
  baseline?: 'middle' | 'hanging' | 'alphabetic';
  weight?: 'normal' | 'bold';
  fill?: string;
  /** Rotation in degrees about (x, y). */
  rotate?: number;
}

export function text(x: number, y: number, content: string, o: TextOptions): string {
  const attrs = [
    `x="${n(x)}"`,
    `y="${n(y)}"`,
    `font-size="${o.size}"`,
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
    o.baseline && o.baseline !== 'alphabetic' ? `dominant-baseline="${o.baseline === 'middle' ? 'central' : 'hanging'}"` : '',
    o.weight === 'bold' ? 'font-weight="bold"' : '',
    o.fill ? `fill="${o.fill}"` : '',
    o.rotate ? `transform="rotate(${o.rotate} ${n(x)} ${n(y)})"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')} xml:space="preserve">${escapeXml(renderable(content))}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${extra ? ' ' + extra : ''}/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, extra = ''): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="${width}"${extra ? ' ' + extra : ''}/>`;
}

export function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" font-family="${FONT_FAMILY}">`,
    rect(0, 0, Math.ceil(width), Math.ceil(height), '#ffffff'),
    ...body,
    '</svg>',
  ].join('\n');
}
