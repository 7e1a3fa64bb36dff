/**
 * The one typeface every plot uses: DejaVu Sans, shipped as TTF files inside the `dejavu-fonts-ttf`
 * npm package so rendering never depends on system fonts (CI machines have none). The same files
 * feed the rasterizer and the text measurements that size margins, so layout matches pixels.
 */
import { dirname, join } from 'node:path';
import { loadSync, type Font } from 'opentype.js';

export const FONT_FAMILY = 'DejaVu Sans';

type FontWeight = 'normal' | 'bold';

const fontDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/** TTF files handed to the rasterizer: regular and bold. */
export const FONT_FILES: readonly string[] = [join(fontDir, 'DejaVuSans.ttf'), join(fontDir, 'DejaVuSans-Bold.ttf')];

const loaded = new Map<FontWeight, Font>();

function font(weight: FontWeight): Font {
  let f = loaded.get(weight);
  if (!f) {
    f = loadSync(FONT_FILES[weight === 'bold' ? 1 : 0]);
    loaded.set(weight, f);
  }
  return f;
}

/** Advance width in px of `text` set at `size` px, as `renderable` will draw it. */
export function textWidth(text: string, size: number, weight: FontWeight = 'normal'): number {
  return font(weight).getAdvanceWidth(renderable(text), size, { kerning: true });
}

/**
 * `text` with every character the typeface lacks written as `\u{hex}`, and control characters
 * dropped (they are not even valid in XML), so nothing silently renders as blank or as a box.
 * Idempotent: its output is plain ASCII escapes and glyphs the font has.
 */
export function renderable(text: string): string {
  const f = font('normal');
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    out += f.charToGlyphIndex(ch) > 0 ? ch : `\\u{${cp.toString(16)}}`;
  }
  return out;
}
