/**
 * The patching sweep without the work a patch cannot change. Patching (layer l, position p) leaves
 * every layer below l and every position before p exactly as in the clean run (attention is
 * causal), so each cell runs only layers l..L-1 over positions p..T-1, starting from the clean
 * run's cached residual and attending to the clean run's cached keys and values for positions < p.
 * A knockout cell (final position must not see p in layer l) changes only the final position.
 *
 * Cells are batched in order of their first changed position; within a batch, rows are sorted by
 * layer and join the batch at their own layer, so layer j runs only the rows already patched.
 */
import { IntrospectError } from './errors';
import type { BlockHookKind } from './hooks';
import { type HostTensor, LayeredRunner } from './layered';
import type { Cell, SweepPlan } from './patching';

interface Reference {
  /** Per layer, every hook of the clean (row 0) and source (row 1) runs: [R,T,D]. resid_pre is the block input. */
  hooks: Map<BlockHookKind, HostTensor>[];
  /** Per layer, the clean run's keys/values [1,Hkv,T,dh]. */
  k: HostTensor[];
  v: HostTensor[];
}

export async function incrementalSweep(p: SweepPlan): Promise<void> {
  const runner = await LayeredRunner.create(p.model);
  const ref = await reference(runner, p);
  const T = p.clean.length;
  const firstPos = (c: Cell) => (p.hook === 'knockout' ? T - 1 : c.pos);
  // Batches of cells with nearby first positions: a batch computes from its smallest one, and rows
  // whose own patch comes later recompute a few clean positions (exactly). The slack bounds that
  // waste to an eighth of the batch's work while keeping batches full in dense grids.
  const order = p.cells.map((_, i) => i).sort((a, b) => firstPos(p.cells[a]) - firstPos(p.cells[b]) || p.cells[a].layer - p.cells[b].layer);
  const V = p.model.spec.vocabSize;
  for (let i = 0; i < order.length; ) {
    if (p.signal?.aborted) throw new IntrospectError('cancelled');
    const p0 = firstPos(p.cells[order[i]]);
    const slack = Math.floor((T - p0) / 8);
    let j = i + 1;
    while (j < order.length && j - i < p.batchSize && firstPos(p.cells[order[j]]) - p0 <= slack) j++;
    const batch = order.slice(i, j).sort((a, b) => p.cells[a].layer - p.cells[b].layer);
    const logits = await runBatch(runner, p, ref, batch.map((c) => p.cells[c]), p0);
    batch.forEach((c, r) => p.record(c, logits.data.subarray(r * V, (r + 1) * V)));
    p.onProgress?.(j, order.length);
    i = j;
  }
}

/** Clean (and source) runs through every stage, caching what the cells start from. */
async function reference(runner: LayeredRunner, p: SweepPlan): Promise<Reference> {
  const { nLayers, nKvHeads, dHead } = p.model.spec;
  const T = p.clean.length;
  const rows = p.source ? [p.clean, p.source] : [p.clean];
  const ids = BigInt64Array.from(rows.flat(), BigInt);
  const positions = { data: BigInt64Array.from({ length: T }, (_, t) => BigInt(t)), shape: [1, T] };
  const keyMask = { data: new BigInt64Array(T).fill(1n), shape: [1, T] };
  const empty = { data: new Float32Array(0), shape: [1, nKvHeads, 0, dHead] };
  let x = await runner.embed(ids, [rows.length, T], positions);
  const out: Reference = { hooks: [], k: [], v: [] };
  const kinds: BlockHookKind[] = ['attn.hook_z', 'hook_attn_out', 'hook_mlp_out', 'hook_resid_post'];
  for (let l = 0; l < nLayers; l++) {
    const names = kinds.map((k) => `blocks.${l}.${k}`);
    const r = await runner.block(l, { x, positions, keyMask, pastK: empty, pastV: empty, fetch: ['out', 'present_k', 'present_v', ...names] });
    const hooks = new Map<BlockHookKind, HostTensor>([['hook_resid_pre', x]]);
    kinds.forEach((k, i) => hooks.set(k, r[names[i]]));
    out.hooks.push(hooks);
    out.k.push(firstRow(r.present_k));
    out.v.push(firstRow(r.present_v));
    x = r.out;
  }
  const logits = await runner.head(x);
  const V = p.model.spec.vocabSize;
  p.reference(logits.data.subarray(0, V), p.source ? logits.data.subarray(V, 2 * V) : undefined);
  return out;
}

/** Runs one batch of cells (sorted by layer) from position p0 on; returns last-position logits [B,V]. */
async function runBatch(runner: LayeredRunner, p: SweepPlan, ref: Reference, cells: Cell[], p0: number): Promise<HostTensor> {
  const { nLayers, nHeads, dModel } = p.model.spec;
  const T = p.clean.length;
  const Tn = T - p0; // positions each row computes
  const positions = { data: BigInt64Array.from({ length: Tn }, (_, t) => BigInt(p0 + t)), shape: [1, Tn] };
  const keyMask = { data: new BigInt64Array(T).fill(1n), shape: [1, T] };
  let x: HostTensor | undefined;
  let active = 0;
  for (let layer = cells[0].layer; layer < nLayers; layer++) {
    const joining = cells.slice(active).filter((c) => c.layer === layer);
    const B = active + joining.length;
    // Rows already running continue from their output; rows starting here take the clean residual.
    const next = new Float32Array(B * Tn * dModel);
    if (x) next.set(x.data);
    const resid = ref.hooks[layer].get('hook_resid_pre')!;
    for (let r = active; r < B; r++) next.set(resid.data.subarray(p0 * dModel, T * dModel), r * Tn * dModel);
    const run: Parameters<LayeredRunner['block']>[1] = {
      x: { data: next, shape: [B, Tn, dModel] },
      positions,
      keyMask,
      pastK: prefix(ref.k[layer], p0),
      pastV: prefix(ref.v[layer], p0),
      fetch: ['out'],
    };
    if (joining.length) {
      if (p.hook === 'knockout') {
        const mask = new Uint8Array(B * Tn * T);
        joining.forEach((c, i) => (mask[((active + i) * Tn + Tn - 1) * T + c.pos] = 1));
        run.knockout = { mask, shape: [B, 1, Tn, T] };
      } else if (p.hook === 'hook_resid_pre') {
        joining.forEach((c, i) => next.set(patchValue(p, ref, layer, c.pos, c.pos + 1).data, ((active + i) * Tn + c.pos - p0) * dModel));
      } else {
        const isZ = p.hook === 'attn.hook_z';
        const H = isZ ? nHeads : 1;
        const mask = new Uint8Array(B * Tn * H);
        joining.forEach((c, i) => {
          const at = ((active + i) * Tn + c.pos - p0) * H;
          if (isZ && p.perHead) mask[at + c.head!] = 1;
          else mask.fill(1, at, at + H);
        });
        run.patches = { [p.hook]: { mask, maskShape: isZ ? [B, Tn, nHeads] : [B, Tn], value: patchValue(p, ref, layer, p0, T) } };
      }
    }
    x = (await runner.block(layer, run)).out;
    active = B;
  }
  return runner.head(x!);
}

/**
 * The activation patched in at `layer` for positions [from, to), [1, to − from, D] (or [1,1,D]
 * where it does not depend on the position): the source run's, zeros, or the clean run's mean over positions.
 */
function patchValue(p: SweepPlan, ref: Reference, layer: number, from: number, to: number): HostTensor {
  const act = ref.hooks[layer].get(p.hook as BlockHookKind)!;
  const [, T, D] = act.shape;
  if (p.src === 'counterfactual') return { data: act.data.slice((T + from) * D, (T + to) * D), shape: [1, to - from, D] };
  if (p.src === 'zero') return { data: new Float32Array(D), shape: [1, 1, D] };
  const mean = new Float32Array(D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) mean[i] += act.data[t * D + i] / T;
  return { data: mean, shape: [1, 1, D] };
}

function firstRow(t: HostTensor): HostTensor {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: t.data.slice(0, size), shape: [1, ...t.shape.slice(1)] };
}

/** Keys/values [1,Hkv,T,dh] of the first n positions. */
function prefix(t: HostTensor, n: number): HostTensor {
  const [, H, T, dh] = t.shape;
  const out = new Float32Array(H * n * dh);
  for (let h = 0; h < H; h++) out.set(t.data.subarray(h * T * dh, (h * T + n) * dh), h * n * dh);
  return { data: out, shape: [1, H, n, dh] };
}
