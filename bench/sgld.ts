/**
 * Benchmark: SGLD steps per second against the engine's own training step, on the same model and
 * batch, measured in one run: the median of each one's step times after a warm-up step (the mean
 * with MALA, whose extra gradient run comes every 20th step). The blocks of steps alternate over
 * `--rounds` rounds (training, SGLD, RMSProp-SGLD, then again), so drift in the machine's speed
 * falls on all three alike.
 *
 *   node --import tsx bench/sgld.ts [--shape embedded|pythia-160m|all] [--steps N] [--rounds R] [--device cpu|webgpu|cuda]
 *
 * Shapes: the embedded model (models/program-tracer) and Pythia-160m's published shape (GPT-NeoX,
 * 12 layers, d 768, 12 heads, MLP 3072, rotary 25 %, vocab 50,304; random weights), batch 8 × 256
 * random tokens, float32. The training step is one gradient graph run, global-norm clipping and
 * AdamW; the SGLD steps are the sampler's chain loop (gradient run, update with seeded noise,
 * per-step diagnostics), plain and RMSProp-preconditioned, without and with the MALA estimate
 * (an extra gradient run every 20 steps).
 */
import { parseArgs } from 'node:util';
import type { Device } from '../engine/src/api/types';
import { makeBatch } from '../engine/src/autodiff/batch';
import { loadParameters } from '../engine/src/autodiff/load';
import { buildLossGraph } from '../engine/src/autodiff/lossGraph';
import { LossRunner } from '../engine/src/autodiff/runner';
import { runChain } from '../engine/src/sampling/chain';
import { fullRestriction } from '../engine/src/sampling/restriction';
import { SGMCMC_DEFAULTS } from '../engine/src/sampling/sgmcmc';
import { TransformerTarget } from '../engine/src/sampling/transformer';
import { Rng } from '../engine/src/tasks/rng';
import { AdamW, clipGradNorm } from '../engine/src/train/adamw';
import { modelDir } from './shapes';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: 'all' },
    steps: { type: 'string' },
    rounds: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
  },
});

async function bench(shape: string, steps: number, rounds: number, device: Device): Promise<void> {
  const dir = await modelDir(shape);
  const { layout, flat } = await loadParameters(dir);
  const rng = new Rng(1);
  const rows = Array.from({ length: 8 }, () => Array.from({ length: 256 }, () => rng.int(0, layout.spec.vocabSize - 1)));
  console.log(
    `\n${shape}: ${(layout.size / 1e6).toFixed(2)}M parameters, batch 8 × 256 tokens, float32, ${device}, ` +
      `${rounds} round${rounds > 1 ? 's' : ''} of ${steps} timed steps each (after one warm-up per block)`,
  );

  // Training: gradient run, clip, AdamW, as train() does each step.
  const runner = await LossRunner.create(buildLossGraph(layout, flat), layout.size, device);
  const batch = makeBatch(rows, { vocabSize: layout.spec.vocabSize });
  const theta = Float32Array.from(flat);
  const grad = new Float32Array(layout.size);
  const adam = new AdamW(layout.size, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 }, layout.slots.map((s) => [s.offset, s.offset + s.size, s.shape.length >= 2]));
  const trainStep = async () => {
    await runner.run(theta, batch, { into: grad });
    clipGradNorm(grad, 1);
    adam.step(theta, grad, 1e-4);
  };
  const trainBlock = async (): Promise<number[]> => {
    await trainStep();
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      await trainStep();
      times.push(performance.now() - t0);
    }
    return times;
  };

  const restriction = fullRestriction(layout);
  const target = await TransformerTarget.create(layout, flat, { rows }, { batchSize: 8, seed: 0, restriction, device });
  // Each step's time from the chain's own step hook; the first (allocating the chain) is the warm-up.
  const chainBlock = async (sampler: 'sgld' | 'rmsprop-sgld', malaEvery: number, n: number): Promise<number[]> => {
    const ends: number[] = [];
    const settings = { ...SGMCMC_DEFAULTS, sampler, epsilon: 1e-6, nbeta: 30, gamma: 100, draws: n + 1, burnIn: 0, every: 1, seed: 0, malaEvery };
    await runChain(target, restriction, settings, 0, [], { onStep: () => ends.push(performance.now()) });
    return ends.slice(1).map((t, i) => t - ends[i]);
  };

  // Rounds alternate the blocks, so that a machine slowing down or speeding up over the run
  // (other work, memory, thermals) weighs on the training step and the samplers alike.
  const times = { train: [] as number[], sgld: [] as number[], rmsprop: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    times.train.push(...(await trainBlock()));
    times.sgld.push(...(await chainBlock('sgld', 0, steps)));
    times.rmsprop.push(...(await chainBlock('rmsprop-sgld', 0, steps)));
  }
  await runner.release();
  const train = 1000 / median(times.train);
  console.log(`  training step (gradient + clip + AdamW)   ${train.toFixed(3)} steps/s`);
  const report = (name: string, rate: number) => {
    const slower = 100 * (train / rate - 1);
    console.log(`  ${name.padEnd(40)} ${rate.toFixed(3)} steps/s  = ${(rate / train).toFixed(3)}× the training step (${Math.abs(slower).toFixed(1)} % ${slower >= 0 ? 'slower' : 'faster'})`);
  };
  report('SGLD', 1000 / median(times.sgld));
  report('RMSProp-SGLD', 1000 / median(times.rmsprop));
  // MALA's extra gradient run comes every 20th step: its cost is in the mean, not the median.
  const mala = 'RMSProp-SGLD, MALA every 20 steps';
  if (steps * rounds < 20) console.log(`  ${mala.padEnd(40)} (needs --steps × --rounds ≥ 20)`);
  else {
    const t = await chainBlock('rmsprop-sgld', 20, steps * rounds);
    report(mala, 1000 / (t.reduce((a, b) => a + b, 0) / t.length));
  }
  await target.release();
}

/** Step times vary by seconds at Pythia's shape on a shared CPU: the median step, not the mean. */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const device = args.device as Device;
  const shapes = args.shape === 'all' ? ['embedded', 'pythia-160m'] : [args.shape!];
  for (const shape of shapes) {
    const embedded = shape === 'embedded';
    await bench(shape, Number(args.steps ?? (embedded ? 20 : 2)), Number(args.rounds ?? (embedded ? 2 : 3)), device);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
