/**
 * The patch and knockout inputs every instrumented graph takes, for one layer, in their idle
 * state (nothing patched, nothing knocked out): tiny tensors that broadcast over the activations.
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from '../arch/spec';
import { knockoutInput, patchMaskInput, patchValueInput } from '../arch/transformer';
import { BLOCK_HOOK_KINDS, isPerHead } from '../hooks';

export function idleInterventionFeeds(spec: ModelSpec, layer: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    [knockoutInput(layer)]: new ort.Tensor('bool', new Uint8Array(1), [1, 1, 1, 1]),
  };
  for (const kind of BLOCK_HOOK_KINDS) {
    // z is viewed per head inside the graph, so its idle value must hold one row of H × d_head.
    const width = isPerHead(kind) ? spec.nHeads * spec.dHead : 1;
    feeds[patchMaskInput(layer, kind)] = new ort.Tensor('bool', new Uint8Array(1), isPerHead(kind) ? [1, 1, 1] : [1, 1]);
    feeds[patchValueInput(layer, kind)] = new ort.Tensor('float32', new Float32Array(width), [1, 1, width]);
  }
  return feeds;
}
