/**
 * A deeper model that computes the same function: new blocks inserted among its layers, their
 * residual-writing projections zero (so each new block starts as the identity) and their other
 * weights drawn as a fresh model's. Continued training then has depth to spare without losing what
 * the model has learned (Net2Net's "deeper" operator, Chen et al. 2016; progressive stacking).
 */
import { specFromConfig } from '../arch/families';
import { ParameterLayout } from '../autodiff/parameters';
import type { LoadedParameters } from '../autodiff/load';
import { isNormWeight, normalSampler } from '../checkpoint/tiny';
import { IntrospectError } from '../errors';

export interface DeepenOptions {
  /** Where new blocks go: k puts one after the model's first k layers (0 below all, nLayers on top; repeat k for two). */
  at: number[];
  seed: number;
  /** Standard deviation of the new blocks' weight matrices. */
  initStd: number;
}

/** `model.layers.3.mlp.up_proj.weight` → prefix, 3, suffix (Llama/Qwen `layers`, GPT-2 `h`). */
const LAYER_PARAM = /^(.*\.(?:layers|h)\.)(\d+)(\..+)$/;
/** What a block writes into the residual stream with, per family: zero makes the block the identity. */
const RESIDUAL_WRITER = /\.(o_proj|down_proj|c_proj|dense|dense_4h_to_h)\.(weight|bias)$/;

export function deepened(m: LoadedParameters, o: DeepenOptions): LoadedParameters {
  const layersKey = ['num_hidden_layers', 'n_layer'].find((k) => typeof m.config[k] === 'number');
  if (!layersKey) throw new IntrospectError('its config.json gives no layer count to grow', 'config.json');
  if ('layer_types' in m.config)
    throw new IntrospectError('its config.json has per-layer settings; growing such a model is not supported', 'config.json');
  const nOld = m.layout.spec.nLayers;
  for (const k of o.at)
    if (!Number.isInteger(k) || k < 0 || k > nOld)
      throw new IntrospectError(`a new block goes after 0 to ${nOld} of this model's layers, not ${k}`, 'at');

  // For each layer of the deeper model, the old layer it copies, or null for a new block.
  const source: (number | null)[] = [];
  for (let k = 0; k <= nOld; k++) source.push(...o.at.filter((a) => a === k).map(() => null), ...(k < nOld ? [k] : []));
  const config = { ...m.config, [layersKey]: source.length };
  const { family, spec } = specFromConfig(config, 'config.json');
  const layout = new ParameterLayout(family, spec);
  const old = m.layout.tensors(m.flat);
  const flat = new Float32Array(layout.size);
  const rand = normalSampler(o.seed);
  for (const s of layout.slots) {
    const at = LAYER_PARAM.exec(s.name);
    const from = at ? source[Number(at[2])] : undefined;
    const target = flat.subarray(s.offset, s.offset + s.size);
    if (from === undefined) target.set(old.get(s.name)!.data);
    else if (from !== null) target.set(old.get(`${at![1]}${from}${at![3]}`)!.data);
    else if (RESIDUAL_WRITER.test(s.name)) target.fill(0);
    else if (s.shape.length === 1) target.fill(isNormWeight(s) ? 1 : 0);
    else for (let i = 0; i < s.size; i++) target[i] = o.initStd * rand();
  }
  return { layout, flat, config };
}
