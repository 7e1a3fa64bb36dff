/**
 * A GPT-2 checkpoint whose weights are set by hand so that its answer provably flows through one
 * known token position: layers 0 and 2 do nothing (all weights zero), and in layer 1 head 0 of the
 * final position attends only to position `copyPos` (learned position embeddings, query and key
 * weights that match the final position with `copyPos`), and copies that token's identity through
 * its value and output projections into a residual subspace the unembedding reads. Head 1 and every
 * MLP are zero. So the model outputs the token at `copyPos`, and nothing else matters.
 *
 * Residual layout (one-hot): token ids in [0, V), positions in [V, V + P), answer in [ANS, ANS + V).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { specFromConfig } from '../../engine/src/arch/families';
import { type TensorToWrite, writeSafetensors } from '../../engine/src/checkpoint/safetensors';
import { tinyConfig } from '../../engine/src/checkpoint/tiny';
import { charTokenizerJson, CODE_CHARS } from '../../engine/src/checkpoint/tokenizerJson';

export const COPY_LAYER = 1;
export const COPY_HEAD = 0;
const D = 256;
const P = 64;
/** Attention logit scale: the copied position wins the softmax by ~50 nats. */
const QK = 5;

export async function writeCopyModel(dir: string, copyPos: number, finalPos: number): Promise<void> {
  const V = CODE_CHARS.length + 3;
  const ANS = V + P;
  if (ANS + V > D || finalPos >= P) throw new Error('copy model too small for this vocabulary or prompt');
  const config = tinyConfig({ modelType: 'gpt2', nLayers: 3, dModel: D, nHeads: 2, dMlp: 8, maxPositions: P, tied: false }, V);
  const { family, spec } = specFromConfig(config, 'config.json');
  const tensors: Record<string, TensorToWrite> = {};
  for (const p of family.parameters(spec)) {
    const data = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    if (/ln_\d|ln_f/.test(p.name) && p.name.endsWith('weight')) data.fill(1);
    tensors[p.name] = { dtype: 'float32', shape: p.shape, data };
  }
  const set = (name: string, row: number, col: number, v: number) => {
    const t = tensors[name];
    t.data[row * t.shape[1] + col] = v;
  };
  for (let tok = 0; tok < V; tok++) set('transformer.wte.weight', tok, tok, 1);
  for (let pos = 0; pos < P; pos++) set('transformer.wpe.weight', pos, V + pos, 1);
  // Conv1D weights are [in, out]; c_attn's columns are q | k | v, head 0 first within each.
  const attn = `transformer.h.${COPY_LAYER}.attn`;
  set(`${attn}.c_attn.weight`, V + finalPos, copyPos, QK); // the final position's query asks for key slot copyPos
  for (let pos = 0; pos < P; pos++) set(`${attn}.c_attn.weight`, V + pos, D + pos, 1); // position j's key is slot j
  for (let tok = 0; tok < V; tok++) {
    set(`${attn}.c_attn.weight`, tok, 2 * D + tok, 1); // value: the token's identity
    set(`${attn}.c_proj.weight`, tok, ANS + tok, 1); // written to the answer subspace
    set('lm_head.weight', tok, ANS + tok, 1); // which the unembedding reads
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(charTokenizerJson()));
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}
