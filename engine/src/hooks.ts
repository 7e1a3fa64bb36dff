/**
 * The one vocabulary of hook points, shared by the graph builder, the activation cache, the RPC
 * messages and the heatmap axes. Names follow TransformerLens: `blocks.{layer}.{kind}`.
 */

/** Hook kinds inside a block, in the order a forward pass reaches them. */
export const BLOCK_HOOK_KINDS = [
  'hook_resid_pre', // [batch, pos, d_model]  input of the block
  'attn.hook_z', // [batch, pos, n_heads * d_head]  per-head attention output, before the output projection
  'hook_attn_out', // [batch, pos, d_model]  attention output, after the output projection
  'hook_mlp_out', // [batch, pos, d_model]  MLP output
  'hook_resid_post', // [batch, pos, d_model]  output of the block
] as const;
export type BlockHookKind = (typeof BLOCK_HOOK_KINDS)[number];

export type BlockHookName = `blocks.${number}.${BlockHookKind}`;
/** Final logits, [batch, pos, vocab]. */
export type HookName = BlockHookName | 'logits';

export function hookName(layer: number, kind: BlockHookKind): BlockHookName {
  return `blocks.${layer}.${kind}`;
}

export interface ParsedHook {
  layer: number;
  kind: BlockHookKind;
}

/** Parses a block hook name; returns undefined for anything that is not one (including `logits`). */
export function parseHookName(name: string): ParsedHook | undefined {
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const kind = m[2] as BlockHookKind;
  if (!BLOCK_HOOK_KINDS.includes(kind)) return undefined;
  return { layer: Number(m[1]), kind };
}

/** Every hook name of a model with `nLayers` blocks, in forward order (the golden order). */
export function allHookNames(nLayers: number): HookName[] {
  const names: HookName[] = [];
  for (let l = 0; l < nLayers; l++) for (const k of BLOCK_HOOK_KINDS) names.push(hookName(l, k));
  names.push('logits');
  return names;
}

/** Whether a hook carries one slice per attention head (patchable per head). */
export function isPerHead(kind: BlockHookKind): boolean {
  return kind === 'attn.hook_z';
}
