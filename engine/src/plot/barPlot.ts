/** Grouped bar charts: one group per category, one bar per series (e.g. accuracy per task per model). */
import { IntrospectError } from '../errors';
import { frameLayout, frameSvg, type FrameLayout, type FrameSpec } from './frame';
import { seriesStyle } from './palette';
import { svgToPng } from './rasterize';
import { line, rect, type Box } from './svg';
import { axisScale, type AxisScale } from './ticks';
import { lengthIs, nonEmpty, numbersOrNaN, range } from './validate';

export interface BarSeries {
  name: string;
  /** One value per category; NaN leaves the bar out. */
  values: readonly number[];
}

export interface BarPlotSpec {
  categories: readonly string[];
  series: readonly BarSeries[];
  title: string;
  xLabel?: string;
  yLabel: string;
  /** Fixed y range, e.g. [0, 1]; default from 0 (or the data minimum, if negative) to the data maximum. */
  yRange?: readonly [number, number];
  /** Device pixels per layout pixel; default 2. */
  scale?: number;
}

export interface BarPlotLayout {
  width: number;
  height: number;
  pixelScale: number;
  plot: Box;
  y: AxisScale;
  /** Each bar's rectangle in layout pixels, [series][category]; undefined where the value is NaN. */
  bars: (Box | undefined)[][];
}

function validate(spec: BarPlotSpec): void {
  nonEmpty(spec.categories, 'barPlot.categories', 'category');
  nonEmpty(spec.series, 'barPlot.series', 'series');
  spec.series.forEach((s, i) => {
    lengthIs(s.values, spec.categories.length, `barPlot.series[${i}].values`, `one value per category (${spec.categories.length})`);
    numbersOrNaN(s.values, `barPlot.series[${i}].values`);
  });
  if (spec.yRange) range(spec.yRange[0], spec.yRange[1], 'barPlot.yRange');
}

function build(spec: BarPlotSpec): { frame: FrameSpec; frameLayout: FrameLayout; layout: BarPlotLayout; colors: string[] } {
  validate(spec);
  const nCat = spec.categories.length;
  const nSer = spec.series.length;
  const slot = Math.min(120, Math.max(24, 640 / nCat));
  const plotW = slot * nCat;
  const plotH = 360;
  const values = spec.series.flatMap((s) => s.values.filter((v) => !Number.isNaN(v)));
  let y: AxisScale;
  if (spec.yRange) {
    const [lo, hi] = spec.yRange;
    y = axisScale({ lo, hi: hi + (hi - lo) * 0.03, length: plotH, flip: true, tickLo: lo, tickHi: hi });
  } else {
    // Bars grow from zero, so zero is always in range.
    const lo = Math.min(0, ...values);
    const hi = Math.max(0, ...values);
    if (lo === hi) throw new IntrospectError('every value is 0 or missing; give yRange to draw empty bars', 'barPlot.series');
    const pad = (hi - lo) * 0.05;
    y = axisScale({ lo: lo < 0 ? lo - pad : 0, hi: hi > 0 ? hi + pad : 0, length: plotH, flip: true });
  }
  const legend = nSer > 1 ? spec.series.map((s, i) => ({ name: s.name, color: seriesStyle(i).color, kind: 'box' as const })) : [];
  const frame: FrameSpec = {
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    plotW,
    plotH,
    xTicks: [],
    yTicks: y.ticks,
    xCategories: spec.categories.map((label, i) => ({ label, offset: (i + 0.5) * slot })),
    legend,
  };
  const f = frameLayout(frame);
  const barW = (slot * 0.8) / nSer;
  const zero = y.map(Math.min(Math.max(0, spec.yRange?.[0] ?? -Infinity), spec.yRange?.[1] ?? Infinity));
  const bars = spec.series.map((s, si) =>
    s.values.map((v, ci) => {
      if (Number.isNaN(v)) return undefined;
      const top = Math.min(y.map(v), zero);
      return { x: f.plot.x + ci * slot + slot * 0.1 + si * barW, y: f.plot.y + top, w: barW, h: Math.abs(y.map(v) - zero) };
    }),
  );
  const colors = spec.series.map((_, i) => seriesStyle(i).color);
  return { frame, frameLayout: f, layout: { width: f.width, height: f.height, pixelScale: spec.scale ?? 2, plot: f.plot, y, bars }, colors };
}

export function barPlotLayout(spec: BarPlotSpec): BarPlotLayout {
  return build(spec).layout;
}

export function barPlotSvg(spec: BarPlotSpec): string {
  const { frame, frameLayout: f, layout, colors } = build(spec);
  const content = layout.bars.flatMap((row, si) => row.flatMap((b) => (b ? [rect(b.x, b.y, b.w, b.h, colors[si])] : [])));
  // With negative bars the zero line is where bars grow from; mark it.
  if (layout.y.map(0) < layout.plot.h - 0.5) {
    const y0 = layout.plot.y + layout.y.map(0);
    content.push(line(layout.plot.x, y0, layout.plot.x + layout.plot.w, y0, '#444444', 1));
  }
  return frameSvg(frame, f, content);
}

export function barPlotPng(spec: BarPlotSpec): Buffer {
  return svgToPng(barPlotSvg(spec), spec.scale ?? 2);
}
