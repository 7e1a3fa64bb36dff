/**
 * Turning a patching grid (row-major over its axes) into a 2-D matrix to draw: rows are layers,
 * columns tokens or heads. Axes that do not fit the view are reduced to the cell of largest |value|,
 * and that cell's full grid index is kept so a click can ask for exactly that patched run.
 */
import type { Axis, PatchGrid } from '../../../engine/src/api/types';
import type { Metric } from './protocol';

export interface View {
  id: string;
  label: string;
  /** The column axis. */
  x: Axis;
}

export interface Projection {
  xTitle: string;
  xLabels: string[];
  yLabels: string[];
  /** Row-major: values[row * xLabels.length + col]. */
  values: number[];
  /** The grid index (one entry per grid axis) behind matrix cell `i`. */
  gridIndex(i: number): number[];
  /** Tooltip lines for matrix cell `i` (its numbers; the title names the cell). */
  describe(i: number): string[];
  describeIndex(index: number[]): string;
}

/** The views a grid can be shown in: one per non-layer axis. */
export function viewsOf(grid: PatchGrid): View[] {
  const views: View[] = [];
  if (grid.axes.includes('pos')) views.push({ id: 'layer-pos', label: 'Layers × tokens', x: 'pos' });
  if (grid.axes.includes('head')) views.push({ id: 'layer-head', label: 'Layers × heads', x: 'head' });
  if (views.length === 0) views.push({ id: 'layer', label: 'Layers', x: 'layer' });
  return views;
}

/** A token as it reads on an axis: spaces and newlines made visible. */
export function visibleToken(text: string): string {
  return text.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥') || '∅';
}

export function projectGrid(grid: PatchGrid, metric: Metric, view: View): Projection {
  const { axes, shape } = grid;
  const values = grid.metrics[metric];
  const strides = axes.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const layerAxis = axes.indexOf('layer');
  const xAxis = view.x === 'layer' ? -1 : axes.indexOf(view.x);
  const nRows = layerAxis >= 0 && view.x !== 'layer' ? shape[layerAxis] : 1;
  const nCols = xAxis >= 0 ? shape[xAxis] : shape[layerAxis];
  const out: number[] = [];
  const indices: number[][] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      // Every grid cell with this (row, col); keep the one of largest magnitude.
      let best = -1;
      let bestIndex: number[] = [];
      const free = axes.map((_, k) => k).filter((k) => k !== xAxis && k !== layerAxis);
      const count = free.reduce((n, k) => n * shape[k], 1);
      for (let f = 0; f < count; f++) {
        const index = new Array<number>(axes.length).fill(0);
        if (view.x === 'layer') index[layerAxis] = c;
        else {
          if (layerAxis >= 0) index[layerAxis] = r;
          index[xAxis] = c;
        }
        let rest = f;
        for (let j = free.length - 1; j >= 0; j--) {
          index[free[j]] = rest % shape[free[j]];
          rest = Math.floor(rest / shape[free[j]]);
        }
        const flat = index.reduce((s, v, k) => s + v * strides[k], 0);
        if (best < 0 || Math.abs(values[flat]) > Math.abs(values[best])) {
          best = flat;
          bestIndex = index;
        }
      }
      out.push(values[best]);
      indices.push(bestIndex);
    }
  }
  const flatOf = (index: number[]) => index.reduce((s, v, k) => s + v * strides[k], 0);
  // Grids may cover a subset of layers, positions or heads: these map indices to the real ones.
  const layerOf = (i: number) => grid.layers?.[i] ?? i;
  const posOf = (i: number) => grid.positions?.[i] ?? i;
  const headOf = (i: number) => grid.heads?.[i] ?? i;
  const describeIndex = (index: number[]) =>
    axes
      .map((a, k) =>
        a === 'pos' ? `token ${posOf(index[k])} ${JSON.stringify(grid.tokens[posOf(index[k])]?.text ?? '?')}` : `${a} ${a === 'layer' ? layerOf(index[k]) : headOf(index[k])}`,
      )
      .join(', ');
  const xLabels = Array.from({ length: nCols }, (_, i) =>
    view.x === 'pos' ? `${posOf(i)}:${visibleToken(grid.tokens[posOf(i)]?.text ?? '')}` : String(view.x === 'head' ? headOf(i) : layerOf(i)),
  );
  return {
    xTitle: view.x === 'pos' ? 'token' : view.x,
    xLabels,
    yLabels: view.x === 'layer' ? ['all'] : Array.from({ length: nRows }, (_, l) => String(layerOf(l))),
    values: out,
    gridIndex: (i) => indices[i],
    describeIndex,
    describe: (i) => {
      const flat = flatOf(indices[i]);
      const m = grid.metrics;
      return [
        `normalized effect ${m.normalized[flat].toFixed(3)}`,
        `logit difference ${m.ld[flat].toFixed(3)}`,
        `patched top-1 ${m.success[flat] ? 'is' : 'is not'} the counterfactual answer (id ${m.top1[flat]})`,
      ];
    },
  };
}
