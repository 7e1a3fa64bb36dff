/**
 * Value → colour mapping for heatmaps. Sequential data uses viridis (perceptually uniform, readable
 * in greyscale and by colour-blind readers); signed data uses RdBu reversed, so negatives are blue,
 * positives red and zero white.
 */
import { interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';
import { color } from 'd3-color';

export interface ColorScale {
  vmin: number;
  vmax: number;
  diverging: boolean;
}

/** Position in [0, 1] along the colormap; diverging scales put 0 at 0.5 whatever vmin/vmax are. */
export function colormapPosition(value: number, s: ColorScale): number {
  const v = Math.min(s.vmax, Math.max(s.vmin, value));
  if (s.diverging) return v < 0 ? 0.5 - (0.5 * v) / s.vmin : 0.5 + (0.5 * v) / s.vmax;
  return s.vmax === s.vmin ? 0.5 : (v - s.vmin) / (s.vmax - s.vmin);
}

/** The colormap's colour at position t ∈ [0, 1], as `#rrggbb`. */
export function colormapColor(t: number, diverging: boolean): string {
  const css = diverging ? interpolateRdBu(1 - t) : interpolateViridis(t);
  return color(css)!.formatHex();
}

export function valueColor(value: number, s: ColorScale): string {
  return colormapColor(colormapPosition(value, s), s.diverging);
}

/** Relative luminance (WCAG) of a `#rrggbb` colour, to pick legible text on top of it. */
export function luminance(hex: string): number {
  const c = color(hex)!.rgb();
  const lin = (u: number) => {
    const x = u / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}
