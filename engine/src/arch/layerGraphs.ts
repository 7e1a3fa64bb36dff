/**
 * The model split into one graph per stage — embedding, each block, the head — so a run can start
 * at any layer (from a cached residual) and at any position (with earlier positions' keys and
 * values from a cache). This is what lets a patching sweep skip the work a patch cannot change,
 * and what KV-cached generation runs on.
 */
import { BLOCK_HOOK_KINDS } from '../hooks';
import type { GraphBuilder } from '../onnx/builder';
import type { CanonicalWeights } from './canonical';
import type { ModelSpec } from './spec';
import { attentionAllowed, buildBlock, embed, fromF32, type GraphVariant, ropeTables, toF32, unembed } from './transformer';

/** Inputs: input_ids [B,T] int64, positions [B|1,T] int64. Output: x [B,T,D] float32. */
export function buildEmbedGraph(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights): void {
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  const positions = b.input('positions', 'int64', ['pos_batch', 'seq']);
  b.output(toF32(b, embed(b, s, w, ids, positions)), 'x', 'float32', ['batch', 'seq', s.dModel]);
}

/** Every hook of the block is exposed and patchable; attention can be knocked out. */
export const BLOCK_VARIANT: GraphVariant = { logits: 'last', hooks: true, patch: [...BLOCK_HOOK_KINDS], knockout: true };

/**
 * One block over T new positions after a prefix of P cached ones.
 * Inputs: x [B,T,D] f32, positions [B|1,T] int64, key_mask [B|1,P+T] int64 (0 = padding),
 * past_k / past_v [B|1,Hkv,P,dh] f32, plus the block's patch and knockout inputs.
 * Outputs: out [B,T,D], present_k / present_v [B,Hkv,P+T,dh] (the prefix with this block's own
 * keys and values appended), and every hook of the block.
 */
export function buildBlockGraph(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights, layer: number): void {
  const x = fromF32(b, b.input('x', 'float32', ['batch', 'seq', s.dModel]));
  const positions = b.input('positions', 'int64', ['pos_batch', 'seq']);
  const keyMask = b.input('key_mask', 'int64', ['mask_batch', 'keys']);
  const kv = ['past_batch', s.nKvHeads, 'past', s.dHead];
  const past = { k: fromF32(b, b.input('past_k', 'float32', kv)), v: fromF32(b, b.input('past_v', 'float32', kv)) };
  const ctx = { rope: s.rope ? ropeTables(b, s, positions) : undefined, allowed: attentionAllowed(b, positions, keyMask), past };
  const { out, k, v } = buildBlock(b, s, w.layers[layer], layer, x, ctx, BLOCK_VARIANT);
  const present = ['batch', s.nKvHeads, 'keys', s.dHead];
  b.output(toF32(b, out), 'out', 'float32', ['batch', 'seq', s.dModel]);
  b.output(toF32(b, k), 'present_k', 'float32', present);
  b.output(toF32(b, v), 'present_v', 'float32', present);
}

/** Input: x [B,T,D] f32. Output: logits [B,V] f32 at the last position. */
export function buildHeadGraph(b: GraphBuilder, s: ModelSpec, w: CanonicalWeights): void {
  const x = fromF32(b, b.input('x', 'float32', ['batch', 'seq', s.dModel]));
  const logits = unembed(b, s, w, x, 'last');
  b.output(toF32(b, logits), 'logits', 'float32', ['batch', s.vocabSize]);
}
