/**
 * The four interventions of a trace as grids of patched runs, all batched: residual stream and MLP
 * output (layer × token) and attention knockout (layer × source token) through patching.patchSweep;
 * attention heads either per (layer, head, token) through patchSweep, or — the paper's head grid —
 * each head's output patched at every position at once (layer × head), which is done here.
 */
import type { Axis, Intervention } from '../api/types';
import { INTERVENTION_HOOK } from '../api/types';
import { IntrospectError } from '../errors';
import { hookName } from '../hooks';
import type { HookPatch, Knockout, LoadedModel } from '../model';
import { argmax, patchSweep } from '../patching';

export interface InterventionOptions {
  intervention: Intervention;
  layers?: number[];
  /**
   * Token positions of the `pos` axis (default: every token). For `heads`, leaving this out patches
   * each head at every position at once, giving a layer × head grid with no `pos` axis.
   */
  positions?: number[];
  /** Heads of a layer × head grid (default: all). */
  heads?: number[];
  /** Token ids whose patched logits are recorded per cell. */
  watch: number[];
  keepLogits?: boolean;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface InterventionResult {
  axes: Axis[];
  shape: number[];
  layers: number[];
  /** Token position of each `pos` index, when the grid has a `pos` axis. */
  positions?: number[];
  /** Head of each `head` index, when the grid has a `head` axis. */
  heads?: number[];
  cleanLogits: Float32Array;
  cfLogits: Float32Array;
  top1: Int32Array;
  /** [cells × watch]. */
  watched: Float32Array;
  logits?: Float32Array;
}

/** Runs one intervention over its grid; `cf` is the counterfactual prompt's ids (same length as `clean`). */
export async function runIntervention(model: LoadedModel, clean: number[], cf: number[], o: InterventionOptions): Promise<InterventionResult> {
  if (cf.length !== clean.length) throw new IntrospectError(`clean and counterfactual differ in length (${clean.length} vs ${cf.length} tokens)`);
  if (o.intervention === 'heads' && !o.positions) return headSweep(model, clean, cf, o);
  const hook = o.intervention === 'knockout' ? 'knockout' : INTERVENTION_HOOK[o.intervention];
  if (!hook) throw new IntrospectError(`unknown intervention "${o.intervention}" (resid, heads, mlp, knockout)`, 'intervention');
  const r = await patchSweep(model, clean, cf, {
    hook,
    perHead: o.intervention === 'heads',
    layers: o.layers,
    positions: o.positions,
    watch: o.watch,
    keepLogits: o.keepLogits,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  return {
    axes: r.axes,
    shape: r.shape,
    layers: r.layers,
    positions: r.positions,
    heads: r.axes.includes('head') ? Array.from({ length: model.spec.nHeads }, (_, h) => h) : undefined,
    cleanLogits: r.cleanLogits,
    cfLogits: r.sourceLogits!,
    top1: r.top1,
    watched: r.watched,
    logits: r.logits,
  };
}

/** Each (layer, head) cell replaces that head's output (attn.hook_z) at every position with the counterfactual's. */
async function headSweep(model: LoadedModel, clean: number[], cf: number[], o: InterventionOptions): Promise<InterventionResult> {
  const { nLayers, nHeads, dHead } = model.spec;
  const T = clean.length;
  const layers = o.layers ?? Array.from({ length: nLayers }, (_, l) => l);
  const heads = o.heads ?? Array.from({ length: nHeads }, (_, h) => h);
  for (const l of layers) if (!(Number.isInteger(l) && l >= 0 && l < nLayers)) throw new IntrospectError(`layer ${l} out of range [0, ${nLayers})`, 'layers');
  for (const h of heads) if (!(Number.isInteger(h) && h >= 0 && h < nHeads)) throw new IntrospectError(`head ${h} out of range [0, ${nHeads})`, 'heads');
  const zHooks = layers.map((l) => hookName(l, 'attn.hook_z'));
  const ref = await model.forward([clean, cf], { hooks: zHooks, logits: 'last' });
  const V = model.spec.vocabSize;
  const cfZ = new Map(layers.map((l, i) => [l, ref.hooks.get(zHooks[i])!.data.slice(T * nHeads * dHead, 2 * T * nHeads * dHead)]));

  const cells = layers.flatMap((layer) => heads.map((head) => ({ layer, head })));
  const top1 = new Int32Array(cells.length);
  const watched = new Float32Array(cells.length * o.watch.length);
  const logits = o.keepLogits ? new Float32Array(cells.length * V) : undefined;
  const batchSize = Math.max(1, o.batchSize ?? 64);
  for (let start = 0; start < cells.length; start += batchSize) {
    if (o.signal?.aborted) throw new IntrospectError('cancelled');
    const batch = cells.slice(start, start + batchSize);
    const B = batch.length;
    const masks = new Map<number, Uint8Array>();
    batch.forEach((c, r) => {
      let m = masks.get(c.layer);
      if (!m) masks.set(c.layer, (m = new Uint8Array(B * T * nHeads)));
      for (let t = 0; t < T; t++) m[(r * T + t) * nHeads + c.head] = 1;
    });
    const patches: HookPatch[] = [...masks].map(([layer, mask]) => ({
      hook: hookName(layer, 'attn.hook_z'),
      mask,
      maskShape: [B, T, nHeads],
      value: cfZ.get(layer)!,
      valueShape: [1, T, nHeads * dHead],
    }));
    const out = await model.forward(
      batch.map(() => clean),
      { logits: 'last', patches },
    );
    for (let r = 0; r < B; r++) {
      const row = out.logits.data.subarray(r * V, (r + 1) * V);
      const c = start + r;
      top1[c] = argmax(row);
      o.watch.forEach((id, w) => (watched[c * o.watch.length + w] = row[id]));
      logits?.set(row, c * V);
    }
    o.onProgress?.(start + B, cells.length);
  }
  return {
    axes: ['layer', 'head'],
    shape: [layers.length, heads.length],
    layers,
    heads,
    cleanLogits: ref.logits.data.slice(0, V),
    cfLogits: ref.logits.data.slice(V, 2 * V),
    top1,
    watched,
    logits,
  };
}

/**
 * One run of `ids` with attention from the final position to every `sources` token blocked in
 * every one of `layers` (all heads); returns the last-position logits.
 */
export async function knockoutLogits(model: LoadedModel, ids: number[], layers: number[], sources: number[]): Promise<Float32Array> {
  const T = ids.length;
  const { nLayers } = model.spec;
  for (const l of layers) if (!(Number.isInteger(l) && l >= 0 && l < nLayers)) throw new IntrospectError(`layer ${l} out of range [0, ${nLayers})`, 'layers');
  for (const p of sources) if (!(Number.isInteger(p) && p >= 0 && p < T)) throw new IntrospectError(`position ${p} out of range [0, ${T})`, 'sources');
  const mask = new Uint8Array(T * T);
  for (const p of sources) mask[(T - 1) * T + p] = 1;
  const knockouts: Knockout[] = layers.map((layer) => ({ layer, mask, shape: [1, 1, T, T] }));
  const out = await model.forward([ids], { logits: 'last', knockouts });
  return out.logits.data.slice(0, model.spec.vocabSize);
}
