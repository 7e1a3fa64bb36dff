import { Resvg } from '@resvg/resvg-js';
import { FONT_FAMILY, FONT_FILES } from './font';

/** Renders an SVG document to PNG bytes, `scale` device pixels per SVG unit, with the bundled font only. */
export function svgToPng(svg: string, scale = 1): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles: [...FONT_FILES], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    shapeRendering: 2,
    textRendering: 1,
  });
  return resvg.render().asPng();
}
