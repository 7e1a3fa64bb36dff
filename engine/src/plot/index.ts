/** Server-side figures as PNG bytes: heatmaps, line, accuracy and bar plots, plus an atomic writer. */
export { heatmapLayout, heatmapPng, heatmapSvg, type HeatmapLayout, type HeatmapSpec } from './heatmap';
export { linePlotLayout, linePlotPng, linePlotSvg, type LinePlotLayout, type LinePlotSpec, type LineSeries } from './linePlot';
export { accuracyPlotPng, accuracySeries, wilsonInterval, type AccuracyCell, type AccuracyPlotOptions, type AccuracySummary } from './accuracyPlot';
export { barPlotLayout, barPlotPng, barPlotSvg, type BarPlotLayout, type BarPlotSpec, type BarSeries } from './barPlot';
export { displayLabel, tokenLabel } from './label';
export { writePng } from './writePng';
