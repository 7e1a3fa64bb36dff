/**
 * Batched activation patching. One generic sweep over a grid of cells — (layer, pos) or
 * (layer, head, pos) — in which each batch row patches one cell of the clean run from a source
 * (the counterfactual run, zeros or the mean), or knocks out attention from the final position
 * to one source token. All cells of a batch run in one forward pass; no per-cell host round trips.
 */
import type { Axis } from './api/types';
import { IntrospectError } from './errors';
import { type BlockHookKind, hookName, type HookName } from './hooks';
import { incrementalSweep } from './incrementalSweep';
import type { Activation, HookPatch, Knockout, LoadedModel } from './model';

export type PatchSource = 'counterfactual' | 'zero' | 'mean';

export interface SweepOptions {
  /** The hook patched (ignored for knockout sweeps). */
  hook: BlockHookKind | 'knockout';
  /** Patch each head of attn.hook_z separately (adds a `head` axis). */
  perHead?: boolean;
  source?: PatchSource;
  layers?: number[];
  positions?: number[];
  /** Rows per forward pass. */
  batchSize?: number;
  /**
   * Token ids whose last-position logits are recorded for every cell, or a function choosing them
   * from the clean and source runs' last-position logits (e.g. both runs' top-1 answers).
   */
  watch?: number[] | ((clean: Float32Array, source?: Float32Array) => number[]);
  /** Keep every cell's full last-position logits (small vocabularies only). */
  keepLogits?: boolean;
  /**
   * `incremental` (default) skips the work a patch cannot change: layers below the patched one start
   * from the clean run's cached residual, positions before it reuse the clean run's keys and values.
   * `full` runs the whole model for every cell (the baseline).
   */
  method?: 'incremental' | 'full';
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SweepResult {
  axes: Axis[];
  shape: number[];
  layers: number[];
  positions: number[];
  /** Last-position logits of the clean and source runs, [V] each. */
  cleanLogits: Float32Array;
  sourceLogits?: Float32Array;
  /** The watched token ids. */
  watch: number[];
  /** Per cell (row-major over axes): top-1 id, and logits of `watch` tokens [cells × watch]. */
  top1: Int32Array;
  watched: Float32Array;
  /** [cells × V] when `keepLogits`. */
  logits?: Float32Array;
}

export interface Cell {
  layer: number;
  pos: number;
  head?: number;
}

export async function patchSweep(
  model: LoadedModel,
  clean: number[],
  source: number[] | undefined,
  opts: SweepOptions,
): Promise<SweepResult> {
  const { nLayers, nHeads } = model.spec;
  const T = clean.length;
  const src = opts.source ?? 'counterfactual';
  if (T === 0) throw new IntrospectError('empty program: nothing to patch');
  if (opts.hook !== 'knockout' && src === 'counterfactual') {
    if (!source) throw new IntrospectError('a counterfactual input is needed to patch from it');
    if (source.length !== T)
      throw new IntrospectError(`clean and counterfactual differ in length (${T} vs ${source.length} tokens)`);
  }
  const layers = opts.layers ?? Array.from({ length: nLayers }, (_, l) => l);
  const positions = opts.positions ?? Array.from({ length: T }, (_, p) => p);
  for (const l of layers) if (l < 0 || l >= nLayers) throw new IntrospectError(`layer ${l} out of range [0, ${nLayers})`);
  for (const p of positions) if (p < 0 || p >= T) throw new IntrospectError(`position ${p} out of range [0, ${T})`);
  const perHead = opts.hook === 'attn.hook_z' && !!opts.perHead;
  const cells: Cell[] = [];
  for (const layer of layers)
    if (perHead) for (let head = 0; head < nHeads; head++) for (const pos of positions) cells.push({ layer, head, pos });
    else for (const pos of positions) cells.push({ layer, pos });

  const V = model.spec.vocabSize;
  let cleanLogits = new Float32Array(V);
  let sourceLogits: Float32Array | undefined;
  let watch: number[] = [];
  let watched = new Float32Array(0);
  const top1 = new Int32Array(cells.length);
  const logits = opts.keepLogits ? new Float32Array(cells.length * V) : undefined;
  const plan: SweepPlan = {
    model,
    clean,
    source: src === 'counterfactual' || (source && source.length === T) ? source : undefined,
    hook: opts.hook,
    src,
    perHead,
    cells,
    batchSize: Math.max(1, opts.batchSize ?? 64),
    signal: opts.signal,
    onProgress: opts.onProgress,
    reference(c, s) {
      cleanLogits = c.slice();
      sourceLogits = s?.slice();
      watch = typeof opts.watch === 'function' ? opts.watch(cleanLogits, sourceLogits) : (opts.watch ?? []);
      watched = new Float32Array(cells.length * watch.length);
    },
    record(c, row) {
      top1[c] = argmax(row);
      for (let w = 0; w < watch.length; w++) watched[c * watch.length + w] = row[watch[w]];
      logits?.set(row, c * V);
    },
  };
  await ((opts.method ?? 'incremental') === 'incremental' ? incrementalSweep(plan) : fullSweep(plan));
  const axes: Axis[] = perHead ? ['layer', 'head', 'pos'] : ['layer', 'pos'];
  const shape = perHead ? [layers.length, nHeads, positions.length] : [layers.length, positions.length];
  return { axes, shape, layers, positions, cleanLogits, sourceLogits, watch, top1, watched, logits };
}

/** What a sweep strategy gets: the cells to run, and where to report the reference and each cell's logits. */
export interface SweepPlan {
  model: LoadedModel;
  clean: number[];
  source?: number[];
  hook: BlockHookKind | 'knockout';
  src: PatchSource;
  perHead: boolean;
  cells: Cell[];
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Last-position logits of the unpatched clean (and source) run. */
  reference(clean: Float32Array, source?: Float32Array): void;
  /** Last-position logits [V] of cell `c`'s patched run. */
  record(c: number, logits: Float32Array): void;
}

/**
 * Every cell a full forward pass of the whole model, batched — the brute-force baseline, and the
 * reference the incremental strategy is tested against.
 */
async function fullSweep(p: SweepPlan): Promise<void> {
  const { model, clean, cells, hook } = p;
  const T = clean.length;
  const V = model.spec.vocabSize;
  const layers = [...new Set(cells.map((c) => c.layer))];
  // Reference runs: clean and source together, caching the patched hook at every layer used.
  const hooks: HookName[] = hook === 'knockout' ? [] : layers.map((l) => hookName(l, hook));
  const ref = await model.forward(p.source ? [clean, p.source] : [clean], { hooks, logits: 'last' });
  p.reference(ref.logits.data.subarray(0, V), p.source ? ref.logits.data.subarray(V, 2 * V) : undefined);
  const values = new Map<number, Activation>();
  if (hook !== 'knockout') for (const l of layers) values.set(l, sourceValue(ref.hooks.get(hookName(l, hook))!, p.src, T));

  for (let start = 0; start < cells.length; start += p.batchSize) {
    if (p.signal?.aborted) throw new IntrospectError('cancelled');
    const batch = cells.slice(start, start + p.batchSize);
    const run =
      hook === 'knockout'
        ? { knockouts: knockoutMasks(batch, T) }
        : { patches: patchMasks(batch, T, model.spec.nHeads, hook, p.perHead, values) };
    const out = await model.forward(
      batch.map(() => clean),
      { logits: 'last', ...run },
    );
    batch.forEach((_, r) => p.record(start + r, out.logits.data.subarray(r * V, (r + 1) * V)));
    p.onProgress?.(Math.min(start + batch.length, cells.length), cells.length);
  }
}

/** The value patched in: the source row's activation, zeros, or the clean run's mean over positions. */
function sourceValue(act: Activation, src: PatchSource, T: number): Activation {
  const D = act.shape[2];
  if (src === 'counterfactual') return { data: act.data.slice(T * D, 2 * T * D), shape: [1, T, D] };
  if (src === 'zero') return { data: new Float32Array(D), shape: [1, 1, D] };
  const mean = new Float32Array(D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) mean[i] += act.data[t * D + i] / T;
  return { data: mean, shape: [1, 1, D] };
}

function patchMasks(
  batch: Cell[],
  T: number,
  H: number,
  kind: BlockHookKind,
  perHead: boolean,
  values: Map<number, Activation>,
): HookPatch[] {
  const B = batch.length;
  const isZ = kind === 'attn.hook_z';
  const byLayer = new Map<number, Uint8Array>();
  batch.forEach((c, r) => {
    let m = byLayer.get(c.layer);
    if (!m) byLayer.set(c.layer, (m = new Uint8Array(B * T * (isZ ? H : 1))));
    if (!isZ) m[r * T + c.pos] = 1;
    else if (perHead) m[(r * T + c.pos) * H + c.head!] = 1;
    else m.fill(1, (r * T + c.pos) * H, (r * T + c.pos + 1) * H);
  });
  return [...byLayer].map(([layer, mask]) => {
    const v = values.get(layer)!;
    return {
      hook: hookName(layer, kind),
      mask,
      maskShape: isZ ? [B, T, H] : [B, T],
      value: v.data,
      valueShape: v.shape,
    };
  });
}

/** Blocks attention from the final position to each cell's source position, in the cell's layer. */
function knockoutMasks(batch: Cell[], T: number): Knockout[] {
  const B = batch.length;
  const byLayer = new Map<number, Uint8Array>();
  batch.forEach((c, r) => {
    let m = byLayer.get(c.layer);
    if (!m) byLayer.set(c.layer, (m = new Uint8Array(B * T * T)));
    m[r * T * T + (T - 1) * T + c.pos] = 1;
  });
  return [...byLayer].map(([layer, mask]) => ({ layer, mask, shape: [B, 1, T, T] }));
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
