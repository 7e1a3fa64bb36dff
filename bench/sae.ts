/**
 * Benchmark: SAE training tokens per second against a plain matrix-multiply ceiling, measured in
 * one run on the same machine.
 *
 *   node --import tsx bench/sae.ts [--shape study|pythia-160m|all] [--steps N] [--device cpu|webgpu|cuda]
 *
 * An SAE step (ReLU and TopK, d_in × latents, a batch of tokens) is the training loop's own work
 * per batch: the engine's gradient graph run, gradient clipping and Adam. Its matrix work is six
 * products of 2·batch·d·m FLOPs each (the encoder and decoder forward, and for each the gradients
 * of its input and weight); the ceiling is a graph of just those six MatMuls on the same shapes,
 * run by the same onnxruntime, whose tokens per second no SAE step can beat.
 * Shapes: `study`, the emergence study's default on the embedded model (d 64, 512 latents, batch
 * 256); `pythia-160m`, a residual-stream SAE of Pythia-160m (d 768, 6,144 latents = 8×, batch 4,096).
 */
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import type { Device } from '../engine/src/api/types';
import { sessionFor } from '../engine/src/autodiff/session';
import { GraphBuilder } from '../engine/src/onnx/builder';
import { NormalRng } from '../engine/src/sampling/normal';
import { Sae, SaeTrainer } from '../engine/src/sae/sae';
import { AdamW, clipGradNorm } from '../engine/src/train/adamw';

const { values: args } = parseArgs({ options: { shape: { type: 'string', default: 'all' }, steps: { type: 'string' }, device: { type: 'string', default: 'cpu' } } });
const device = args.device as Device;
const SHAPES = { study: { d: 64, m: 512, batch: 256, steps: 200 }, 'pythia-160m': { d: 768, m: 6144, batch: 4096, steps: 5 } } as const;

async function timed(steps: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up: the first run allocates
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await run();
  return (performance.now() - t0) / 1000 / steps;
}

/** Seconds per step of the six MatMuls an SAE step does. */
async function ceiling(d: number, m: number, batch: number, steps: number): Promise<number> {
  const b = new GraphBuilder('float32');
  const x = b.input('x', 'float32', [batch, d]);
  const w = b.input('w', 'float32', [d, m]);
  const v = b.input('v', 'float32', [m, d]);
  const h = b.matmul(x, w); // encoder
  const y = b.matmul(h, v); // decoder
  const t = (a: typeof x) => b.op('Transpose', [a], { perm: [1, 0] });
  const outs = [y, b.matmul(y, t(v)), b.matmul(t(h), y), b.matmul(h, t(w)), b.matmul(t(x), h)];
  // dy·vᵀ (decoder input), hᵀ·dy (decoder weight), dh·wᵀ (encoder input), xᵀ·dh (encoder weight).
  outs.forEach((o, i) => b.output(o, `o${i}`, 'float32', []));
  const { session } = await sessionFor(b, device);
  const rng = new NormalRng(0, 0, 1);
  const tensor = (rows: number, cols: number) => {
    const a = new Float32Array(rows * cols);
    rng.fill(a);
    return new ort.Tensor('float32', a, [rows, cols]);
  };
  const feeds = { x: tensor(batch, d), w: tensor(d, m), v: tensor(m, d) };
  try {
    return await timed(steps, async () => void (await session.run(feeds)));
  } finally {
    await session.release();
  }
}

async function saeStep(kind: 'relu' | 'topk', d: number, m: number, batch: number, steps: number): Promise<number> {
  const config = { kind, dIn: d, latents: m, ...(kind === 'topk' ? { k: 32 } : {}), inputScale: 1 };
  const sae = Sae.init(config, 0);
  const trainer = await SaeTrainer.create(config, device);
  const adam = new AdamW(sae.theta.length, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, [[0, sae.theta.length, false]]);
  const grad = new Float32Array(sae.theta.length);
  const x = new Float32Array(batch * d);
  new NormalRng(1, 0, 1).fill(x);
  const dead = new Uint8Array(m);
  try {
    return await timed(steps, async () => {
      await trainer.step(sae.theta, x, { l1: 1, dead }, grad);
      clipGradNorm(grad, 1);
      adam.step(sae.theta, grad, 1e-3);
    });
  } finally {
    await trainer.release();
  }
}

async function main(): Promise<void> {
  for (const [name, s] of Object.entries(SHAPES)) {
    if (args.shape !== 'all' && args.shape !== name) continue;
    const steps = args.steps ? Number(args.steps) : s.steps;
    const tokens = (sec: number) => Math.round(s.batch / sec).toLocaleString('en');
    const top = await ceiling(s.d, s.m, s.batch, steps);
    const gflops = (12 * s.batch * s.d * s.m) / top / 1e9;
    console.log(`${name}: d ${s.d}, ${s.m} latents, batch ${s.batch}, ${device}, ${steps} steps each`);
    console.log(`  matmul ceiling   ${tokens(top).padStart(10)} tokens/s  (${gflops.toFixed(1)} GFLOP/s in the six products)`);
    for (const kind of ['relu', 'topk'] as const) {
      const sec = await saeStep(kind, s.d, s.m, s.batch, steps);
      console.log(`  SAE ${kind.padEnd(5)}        ${tokens(sec).padStart(10)} tokens/s  = ${(top / sec).toFixed(2)}× the ceiling`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
