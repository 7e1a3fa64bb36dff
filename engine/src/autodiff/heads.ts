/**
 * One attention head's share of a projection's gradient, the same way for every family: in the
 * canonical orientation q/k/v are [d_model, heads·d_head] (the head's columns) and o is
 * [heads·d_head, d_model] (the head's rows). For k and v, `head` counts key-value heads.
 */
import type { ModelSpec } from '../arch/spec';
import { IntrospectError } from '../errors';
import type { LossAndGradients } from './runner';

export type Projection = 'q' | 'k' | 'v' | 'o';

export const projectionWeight = (layer: number, p: Projection) => `blocks.${layer}.attn.${p}.weight`;

/** [d_model, d_head] for q/k/v, [d_head, d_model] for o. */
export function headGradient(r: LossAndGradients, spec: ModelSpec, layer: number, p: Projection, head: number): Float32Array {
  const heads = p === 'k' || p === 'v' ? spec.nKvHeads : spec.nHeads;
  if (!Number.isInteger(head) || head < 0 || head >= heads) throw new IntrospectError(`head ${head} out of range [0, ${heads})`, 'head');
  const g = r.weights.get(projectionWeight(layer, p));
  if (!g) throw new IntrospectError('this projection was not differentiated (include its parameter in `params`)', projectionWeight(layer, p));
  const { dModel: d, dHead: dh } = spec;
  if (p === 'o') return g.slice(head * dh * d, (head + 1) * dh * d);
  const cols = heads * dh;
  const out = new Float32Array(d * dh);
  for (let i = 0; i < d; i++) out.set(g.subarray(i * cols + head * dh, i * cols + (head + 1) * dh), i * dh);
  return out;
}
