/**
 * Random-init tiny checkpoints in Hugging Face folder format (config.json, model.safetensors,
 * tokenizer.json), for any family, so any test or benchmark can make a real model on any machine.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParamInfo, specFromConfig } from '../arch/families';
import { writeFolderAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import { type StoredFloatDType, type TensorToWrite, writeSafetensors } from './safetensors';
import { wordLevelTokenizerJson } from './tokenizerJson';

export type TinyModelType = 'llama' | 'qwen2' | 'qwen3' | 'gpt2' | 'gpt_neox';

export interface TinyOptions {
  modelType: TinyModelType;
  nLayers?: number;
  dModel?: number;
  nHeads?: number;
  nKvHeads?: number;
  /** Qwen3 allows head_dim ≠ d_model / n_heads. */
  dHead?: number;
  dMlp?: number;
  tied?: boolean;
  maxPositions?: number;
  /** Token strings of a word-level vocabulary; default: letters, digits and code punctuation. */
  vocab?: string[];
  /** Pad the vocabulary up to this size (real models have unused slots too). */
  vocabSize?: number;
  /** Or a ready tokenizer.json object (then `vocabSize` must be given). */
  tokenizerJson?: object;
  dtype?: StoredFloatDType;
  seed?: number;
  /** Standard deviation of weight matrices. */
  initStd?: number;
  /** Full config.json instead of the generated one (for published shapes). */
  config?: Record<string, unknown>;
}

export const DEFAULT_VOCAB = [
  '[UNK]',
  ...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''),
  ...'= # : + - * ( ) , . [ ] < > ! _ /'.split(' '),
];

/** The config.json a tiny model of this family gets. */
export function tinyConfig(o: TinyOptions, vocabSize: number): Record<string, unknown> {
  const L = o.nLayers ?? 2;
  const d = o.dModel ?? 64;
  const H = o.nHeads ?? 4;
  const mlp = o.dMlp ?? 4 * d;
  const P = o.maxPositions ?? 256;
  switch (o.modelType) {
    case 'llama':
    case 'qwen2':
    case 'qwen3':
      return {
        architectures: [{ llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' }[o.modelType]],
        model_type: o.modelType,
        hidden_size: d,
        intermediate_size: mlp,
        num_hidden_layers: L,
        num_attention_heads: H,
        num_key_value_heads: o.nKvHeads ?? H,
        head_dim: o.dHead ?? d / H,
        hidden_act: 'silu',
        max_position_embeddings: P,
        rms_norm_eps: 1e-6,
        rope_theta: o.modelType === 'llama' ? 10000 : 1000000,
        tie_word_embeddings: o.tied ?? o.modelType !== 'llama',
        attention_bias: false,
        vocab_size: vocabSize,
        torch_dtype: o.dtype ?? 'float32',
      };
    case 'gpt2':
      return {
        architectures: ['GPT2LMHeadModel'],
        model_type: 'gpt2',
        n_embd: d,
        n_head: H,
        n_layer: L,
        n_inner: mlp,
        n_positions: P,
        activation_function: 'gelu_new',
        layer_norm_epsilon: 1e-5,
        tie_word_embeddings: o.tied ?? true,
        vocab_size: vocabSize,
        torch_dtype: o.dtype ?? 'float32',
      };
    case 'gpt_neox':
      return {
        architectures: ['GPTNeoXForCausalLM'],
        model_type: 'gpt_neox',
        hidden_size: d,
        intermediate_size: mlp,
        num_hidden_layers: L,
        num_attention_heads: H,
        hidden_act: 'gelu',
        max_position_embeddings: P,
        layer_norm_eps: 1e-5,
        rotary_pct: 0.25,
        rotary_emb_base: 10000,
        use_parallel_residual: true,
        attention_bias: true,
        tie_word_embeddings: o.tied ?? false,
        vocab_size: vocabSize,
        torch_dtype: o.dtype ?? 'float32',
      };
    default:
      throw new IntrospectError(`unknown model type "${String(o.modelType)}"`, 'modelType');
  }
}

/** Writes a random-init checkpoint folder at `dir` (atomically: built beside it, then renamed). */
export async function writeTinyCheckpoint(dir: string, o: TinyOptions): Promise<void> {
  let tokenizer = o.tokenizerJson;
  let vocabSize = o.vocabSize;
  if (!tokenizer) {
    const vocab = [...(o.vocab ?? DEFAULT_VOCAB)];
    for (let i = vocab.length; i < (o.vocabSize ?? 0); i++) vocab.push(`tok${i}`);
    tokenizer = wordLevelTokenizerJson(vocab);
    vocabSize = vocab.length;
  }
  if (!vocabSize) throw new IntrospectError('vocabSize is required with a tokenizerJson', 'vocabSize');
  const config = o.config ?? tinyConfig(o, vocabSize);
  const { family, spec } = specFromConfig(config, 'config.json');
  const rand = normalSampler(o.seed ?? 0);
  const std = o.initStd ?? 0.2;
  const tensors: Record<string, TensorToWrite> = {};
  for (const p of family.parameters(spec)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = isNormWeight(p);
    // Norm gains near 1 and small biases keep activations well scaled yet non-trivial.
    for (let i = 0; i < n; i++) data[i] = norm ? 1 + 0.1 * rand() : p.shape.length === 1 ? 0.05 * rand() : std * rand();
    tensors[p.name] = { dtype: o.dtype ?? 'float32', shape: p.shape, data };
  }
  await writeFolderAtomic(dir, async (tmp) => {
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 2));
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer));
    await writeSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
  });
}

/** A normalization layer's gain (RMSNorm/LayerNorm `weight`, in any family's naming). */
export const isNormWeight = (p: ParamInfo) => p.shape.length === 1 && /norm|ln_/.test(p.name) && p.name.endsWith('weight');

/** Seeded standard normal samples (mulberry32 + Box–Muller): the same seed gives the same model anywhere. */
export function normalSampler(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
