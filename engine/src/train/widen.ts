/**
 * A model with a larger vocabulary that computes the same function on the tokens it had: the
 * embedding and unembedding keep their rows, and the new tokens' rows are drawn as a fresh model's.
 * Continued training can then teach it text its old tokenizer could not write (the program kinds
 * beyond binding) without starting again. A new context length may be set with it: rotary models
 * have no position weights, so only the config changes.
 */
import { specFromConfig } from '../arch/families';
import { ParameterLayout } from '../autodiff/parameters';
import type { LoadedParameters } from '../autodiff/load';
import { normalSampler } from '../checkpoint/tiny';
import { IntrospectError } from '../errors';

export interface WidenOptions {
  vocabSize: number;
  /** The new context length (default: the model's). */
  maxPositions?: number;
  seed: number;
  /** Standard deviation of the new rows. */
  initStd: number;
}

export function widened(m: LoadedParameters, o: WidenOptions): LoadedParameters {
  const old = m.layout.spec;
  if (o.vocabSize < old.vocabSize) throw new IntrospectError(`a vocabulary of ${o.vocabSize} tokens cannot hold the model's ${old.vocabSize}`, 'vocabSize');
  if ('max_position_embeddings' in m.config === false && o.maxPositions !== undefined)
    throw new IntrospectError('its config.json gives no context length to change', 'config.json');
  const config = { ...m.config, vocab_size: o.vocabSize, ...(o.maxPositions !== undefined && { max_position_embeddings: o.maxPositions }) };
  const { family, spec } = specFromConfig(config, 'config.json');
  const layout = new ParameterLayout(family, spec);
  const tensors = m.layout.tensors(m.flat);
  const flat = new Float32Array(layout.size);
  const rand = normalSampler(o.seed);
  for (const s of layout.slots) {
    const from = tensors.get(s.name);
    if (!from || from.data.length > s.size) throw new IntrospectError(`${s.name} has no counterpart in the model`, 'widen');
    const target = flat.subarray(s.offset, s.offset + s.size);
    target.set(from.data);
    // Only the vocabulary-sized tensors grow; their old rows come first, as token ids do.
    for (let i = from.data.length; i < s.size; i++) target[i] = o.initStd * rand();
  }
  return { layout, flat, config };
}
