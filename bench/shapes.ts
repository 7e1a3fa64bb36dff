/**
 * The model shapes the benchmarks measure: the embedded model, and Pythia-160m's published shape
 * (GPT-NeoX: 12 layers, d 768, 12 heads, MLP 3072, rotary 25 %, vocab 50,304) with random weights,
 * written once to ~/.cache/introspect/bench/.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeTinyCheckpoint } from '../engine/src/checkpoint/tiny';
import { embeddedModelDir } from '../engine/src/embedded';

export const SHAPES = ['embedded', 'pythia-160m'] as const;

const PYTHIA_160M = {
  architectures: ['GPTNeoXForCausalLM'],
  model_type: 'gpt_neox',
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  hidden_act: 'gelu',
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  max_position_embeddings: 2048,
  layer_norm_eps: 1e-5,
  use_parallel_residual: true,
  tie_word_embeddings: false,
  vocab_size: 50304,
};

/** A checkpoint folder of the shape. */
export async function modelDir(shape: string): Promise<string> {
  if (shape === 'embedded') return embeddedModelDir();
  const dir = join(homedir(), '.cache', 'introspect', 'bench', shape);
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  if (shape !== 'pythia-160m') throw new Error(`unknown shape ${shape} (${SHAPES.join(', ')})`);
  console.log(`writing a random-init ${shape} checkpoint to ${dir} ...`);
  await writeTinyCheckpoint(dir, { modelType: 'gpt_neox', config: PYTHIA_160M, vocabSize: PYTHIA_160M.vocab_size, initStd: 0.02 });
  return dir;
}
