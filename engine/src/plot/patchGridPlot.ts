/** A patching sweep's result (`PatchGrid`) as a heatmap: layers × tokens or layers × heads. */
import type { Axis, Intervention, PatchGrid } from '../api/types';
import { IntrospectError } from '../errors';
import { heatmapPng, type HeatmapSpec } from './heatmap';
import { tokenLabel } from './label';

/** The per-cell metrics a heatmap can show (`top1` holds token ids, not magnitudes). */
export type PatchMetric = 'normalized' | 'ld' | 'success';

export interface PatchGridPlotOptions {
  /** Default `normalized`. */
  metric?: PatchMetric;
  title?: string;
  /**
   * Labels of an axis's indices when the sweep covered a subset (e.g. layers [4, 8, 12]).
   * Defaults: 0, 1, … for layer and head; the grid's token text for pos.
   */
  axisLabels?: Partial<Record<Axis, readonly string[]>>;
  scale?: number;
}

const INTERVENTION_TITLE: Record<Intervention, string> = {
  resid: 'Residual stream patching',
  mlp: 'MLP output patching',
  heads: 'Attention head patching',
  knockout: 'Attention knockout',
};

const AXIS_TITLE: Record<Axis, string> = { layer: 'layer', pos: 'token', head: 'head' };

/**
 * How each metric is coloured: the normalized effect and success rate are 0..1 quantities
 * (viridis, fixed range so figures compare); the logit difference is signed (RdBu about 0).
 */
const METRIC: Record<PatchMetric, { label: string; diverging: boolean; range?: [number, number] }> = {
  normalized: { label: 'normalized logit difference', diverging: false, range: [0, 1] },
  ld: { label: 'logit difference (cf − clean answer)', diverging: true },
  success: { label: 'top-1 is the counterfactual answer', diverging: false, range: [0, 1] },
};

function axisLabels(grid: PatchGrid, axis: Axis, size: number, given?: readonly string[]): string[] {
  if (given) {
    if (given.length !== size) throw new IntrospectError(`expected ${size} labels for the ${axis} axis, got ${given.length}`, `axisLabels.${axis}`);
    return [...given];
  }
  if (axis !== 'pos') return Array.from({ length: size }, (_, i) => String(i));
  if (grid.tokens.length !== size)
    throw new IntrospectError(`the pos axis has ${size} entries but the grid has ${grid.tokens.length} tokens; pass axisLabels.pos`, 'patchGrid.tokens');
  return grid.tokens.map((t) => tokenLabel(t.text));
}

export function patchGridHeatmapSpec(grid: PatchGrid, options: PatchGridPlotOptions = {}): HeatmapSpec {
  const metric = options.metric ?? 'normalized';
  const m = METRIC[metric];
  if (!m) throw new IntrospectError(`unknown metric "${metric}" (${Object.keys(METRIC).join(', ')})`, 'metric');
  if (grid.axes.length < 1 || grid.axes.length > 2 || grid.shape.length !== grid.axes.length)
    throw new IntrospectError(`a heatmap needs a 1- or 2-axis grid, got axes [${grid.axes.join(', ')}] with shape [${grid.shape.join(', ')}]`, 'patchGrid.axes');
  // A single axis becomes one row, its values along the columns.
  const [rowAxis, colAxis] = grid.axes.length === 2 ? grid.axes : [undefined, grid.axes[0]];
  const [rows, cols] = grid.axes.length === 2 ? grid.shape : [1, grid.shape[0]];
  const answers = `clean "${tokenLabel(grid.cleanAnswer.text, 16)}" vs counterfactual "${tokenLabel(grid.cfAnswer.text, 16)}"`;
  return {
    values: grid.metrics[metric],
    rows,
    cols,
    rowLabels: rowAxis ? axisLabels(grid, rowAxis, rows, options.axisLabels?.[rowAxis]) : [''],
    colLabels: axisLabels(grid, colAxis, cols, options.axisLabels?.[colAxis]),
    title: options.title ?? `${INTERVENTION_TITLE[grid.intervention] ?? grid.intervention}: ${answers}`,
    colorbarLabel: m.label,
    xLabel: colAxis === 'pos' && grid.intervention === 'knockout' ? 'source token' : AXIS_TITLE[colAxis],
    yLabel: rowAxis ? AXIS_TITLE[rowAxis] : undefined,
    diverging: m.diverging,
    vmin: m.range?.[0],
    vmax: m.range?.[1],
    scale: options.scale,
  };
}

export function patchGridPng(grid: PatchGrid, options: PatchGridPlotOptions = {}): Buffer {
  return heatmapPng(patchGridHeatmapSpec(grid, options));
}
