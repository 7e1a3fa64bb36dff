/**
 * Heatmap PNGs of tracing results: one program's grid (layers × its tokens, labelled with the
 * token text, or layers × heads) and averages over programs (layers × targets, layers × heads).
 */
import type { PatchGrid } from '../api/types';
import { IntrospectError } from '../errors';
import { type HeatmapSpec, heatmapPng } from '../plot/heatmap';
import { tokenLabel } from '../plot/label';
import type { InterventionAggregate } from './aggregate';

export type PlotMetric = 'normalized' | 'success' | 'ld' | 'changed' | 'seedLogit';

const METRIC_LABEL: Record<PlotMetric, string> = {
  normalized: 'normalized effect',
  success: 'patched top-1 = cf answer',
  ld: 'logit difference (cf − clean)',
  changed: 'top-1 changed',
  seedLogit: "seed's normalized cf logit",
};

const INTERVENTION_LABEL = { resid: 'residual stream', heads: 'attention heads', mlp: 'MLP outputs', knockout: 'attention knockout' };

function colour(metric: PlotMetric): Pick<HeatmapSpec, 'diverging' | 'vmin' | 'vmax'> {
  if (metric === 'success' || metric === 'changed') return { vmin: 0, vmax: 1 };
  return { diverging: true };
}

/** One program's grid. A layer × head × token grid is shown per layer × head, at each cell's strongest token. */
export function gridHeatmapPng(grid: Omit<PatchGrid, 'tokens'> & { tokens: PatchGrid['tokens'] }, metric: PlotMetric, title: string): Buffer {
  const values = grid.metrics[metric];
  if (!values) throw new IntrospectError(`the grid has no "${metric}" metric`, 'metric');
  const [L, second] = grid.shape;
  const layers = grid.layers ?? Array.from({ length: L }, (_, l) => l);
  const rowLabels = layers.map(String);
  let cols: number;
  let colLabels: string[];
  let cells: number[];
  if (grid.axes[1] === 'pos') {
    const positions = grid.positions ?? grid.tokens.map((_, p) => p);
    cols = second;
    colLabels = positions.map((p) => tokenLabel(grid.tokens[p]?.text ?? '?'));
    cells = values;
  } else {
    const heads = grid.heads ?? Array.from({ length: second }, (_, h) => h);
    const per = grid.axes.length === 3 ? grid.shape[2] : 1;
    cols = second;
    colLabels = heads.map(String);
    cells = Array.from({ length: L * second }, (_, c) => {
      const slice = values.slice(c * per, (c + 1) * per);
      return slice.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
    });
  }
  return heatmapPng({
    values: cells,
    rows: L,
    cols,
    rowLabels,
    colLabels,
    title,
    colorbarLabel: METRIC_LABEL[metric],
    xLabel: grid.axes[1] === 'pos' ? 'token' : 'head',
    yLabel: 'layer',
    ...colour(metric),
  });
}

/** Averages over programs: layers × targets (Ref Depth k RHS, query, final) or layers × heads. */
export function aggregateHeatmapPng(agg: InterventionAggregate, metric: PlotMetric, title: string): Buffer {
  const L = agg.layers.length;
  let colLabels: string[];
  let values: number[];
  if (agg.byHead && agg.heads) {
    colLabels = agg.heads.map(String);
    values = agg.byHead.map((c) => c[metric]);
  } else {
    const labels = Object.keys(agg.byTarget ?? {});
    if (labels.length === 0) throw new IntrospectError(`no program was counted for ${agg.intervention}`, 'aggregate');
    colLabels = labels;
    values = agg.layers.flatMap((_, l) => labels.map((label) => agg.byTarget![label][l][metric]));
  }
  return heatmapPng({
    values,
    rows: L,
    cols: colLabels.length,
    rowLabels: agg.layers.map(String),
    colLabels,
    title,
    colorbarLabel: METRIC_LABEL[metric],
    xLabel: agg.byHead ? 'head' : 'target',
    yLabel: 'layer',
    ...colour(metric),
  });
}

export function interventionTitle(intervention: keyof typeof INTERVENTION_LABEL): string {
  return INTERVENTION_LABEL[intervention];
}
