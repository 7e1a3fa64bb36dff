/**
 * Averages of per-program patching grids over many programs: by target (referential depth of the
 * chain link, query variable, final token) × layer for token grids, by layer × head for head grids.
 * Which programs count is explicit: by default those the line-1/line-2 heuristic could answer are
 * left out (the seed's filter, to isolate the binding mechanism from the shallow shortcut), and so
 * are those the model gets wrong on the clean or the counterfactual prompt (a patch cannot move an
 * answer the model does not give).
 */
import type { Intervention, PatchGrid, TraceTarget } from '../api/types';
import type { TraceMetrics } from './metrics';

/** What one program contributes: its grids and what decides whether it is counted. */
export interface ProgramOutcome {
  /** The line-1/line-2 heuristic gives the right answer on this program. */
  heuristic: boolean;
  targets: TraceTarget[];
  grids: Partial<Record<Intervention, Omit<PatchGrid, 'tokens'>>>;
}

export interface AggregateFilter {
  /** Leave out programs the line-1/line-2 heuristic answers (default true). */
  excludeHeuristic: boolean;
  /** Count only programs whose clean and counterfactual top-1 are their answers (default true). */
  requireCorrect: boolean;
}

type MetricName = Exclude<keyof TraceMetrics, 'top1'>;
const METRICS: MetricName[] = ['normalized', 'success', 'ld', 'changed', 'seedLogit'];

/** Means over the programs counted; `n` of them. */
export type CellMeans = { n: number } & Record<MetricName, number>;

export interface InterventionAggregate {
  intervention: Intervention;
  /** Programs counted. */
  n: number;
  layers: number[];
  /** Token grids: per target label, one entry per layer. */
  byTarget?: Record<string, CellMeans[]>;
  /** Head grids: row-major layers × heads. */
  heads?: number[];
  byHead?: CellMeans[];
}

export function counted(p: ProgramOutcome, grid: Omit<PatchGrid, 'tokens'>, f: AggregateFilter): boolean {
  if (f.excludeHeuristic && p.heuristic) return false;
  if (f.requireCorrect && (grid.cleanTop1?.id !== grid.cleanAnswer.id || grid.cfTop1?.id !== grid.cfAnswer.id)) return false;
  return true;
}

export function aggregate(programs: ProgramOutcome[], intervention: Intervention, filter: AggregateFilter): InterventionAggregate {
  const sums = new Map<string, Acc>();
  const acc = (key: string) => {
    let a = sums.get(key);
    if (!a) sums.set(key, (a = newAcc()));
    return a;
  };
  let n = 0;
  let layers: number[] = [];
  let heads: number[] | undefined;
  const labels: string[] = [];
  for (const p of programs) {
    const g = p.grids[intervention];
    if (!g || !counted(p, g, filter)) continue;
    n++;
    layers = g.layers ?? range(g.shape[0]);
    if (g.axes.length === 2 && g.axes[1] === 'head') {
      heads = g.heads ?? range(g.shape[1]);
      for (let c = 0; c < g.shape[0] * g.shape[1]; c++) add(acc(`head:${c}`), g.metrics, c);
      continue;
    }
    if (g.axes.length !== 2 || g.axes[1] !== 'pos') continue;
    const positions = g.positions ?? range(g.shape[1]);
    for (const t of p.targets) {
      const col = positions.indexOf(t.pos);
      if (col < 0) continue;
      if (!labels.includes(t.label)) labels.push(t.label);
      for (let l = 0; l < g.shape[0]; l++) add(acc(`${t.label}:${l}`), g.metrics, l * g.shape[1] + col);
    }
  }
  const out: InterventionAggregate = { intervention, n, layers };
  if (heads) {
    out.heads = heads;
    out.byHead = range(layers.length * heads.length).map((c) => means(acc(`head:${c}`)));
  } else {
    out.byTarget = Object.fromEntries(sortLabels(labels).map((label) => [label, layers.map((_, l) => means(acc(`${label}:${l}`)))]));
  }
  return out;
}

type Acc = { n: number } & Record<MetricName, number>;
const newAcc = (): Acc => ({ n: 0, normalized: 0, success: 0, ld: 0, changed: 0, seedLogit: 0 });

function add(a: Acc, m: Omit<PatchGrid, 'tokens'>['metrics'], cell: number) {
  a.n++;
  for (const k of METRICS) a[k] += m[k]?.[cell] ?? NaN;
}

function means(a: Acc): CellMeans {
  const out = { n: a.n } as CellMeans;
  for (const k of METRICS) out[k] = a.n ? a[k] / a.n : NaN;
  return out;
}

/** Ref Depth 1, 2, ... RHS first, then the query variable and the final token. */
function sortLabels(labels: string[]): string[] {
  const rank = (l: string) => {
    const d = /^Ref Depth (\d+) RHS$/.exec(l);
    return d ? Number(d[1]) : l === 'Query variable' ? 1000 : 1001;
  };
  return [...labels].sort((a, b) => rank(a) - rank(b));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
