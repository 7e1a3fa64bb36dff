/**
 * Benchmark: what a susceptibility study costs per component per checkpoint, measured in one run.
 *
 *   node --import tsx bench/susceptibility.ts [--shape embedded|pythia-160m|all] [--steps N] [--device cpu|webgpu|cuda]
 *
 * For each kind of component (one attention head, one MLP, the embeddings, the unembedding, and
 * the full run every checkpoint also needs): seconds per sampler step (RMSProp-SGLD restricted to
 * the component, batch as the study's), and seconds per draw to record the probe set's losses
 * (per token for the probes). Cost per component per checkpoint = chains × (burn-in + draws) steps
 * + chains × draws observations, at the study's default settings (experiments/studies.ts). Then the
 * same two components run in two worker processes at once (INTROSPECT_THREADS = cores / 2 each)
 * against one after the other (all cores each), as the study's --workers does: the wall-time ratio.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Device } from '../engine/src/api/types';
import { loadParameters } from '../engine/src/autodiff/load';
import { runChain } from '../engine/src/sampling/chain';
import { expandComponents, parseRestriction } from '../engine/src/sampling/restriction';
import { SGMCMC_DEFAULTS } from '../engine/src/sampling/sgmcmc';
import { type ObservedSample, SampleLosses, TransformerTarget } from '../engine/src/sampling/transformer';
import { bindingCorrectness, bindingData } from '../engine/src/studies/data/binding';
import { observedSamples, samplingExamples } from '../engine/src/studies/data/tokenize';
import { Rng } from '../engine/src/tasks/rng';
import { Tokenizer } from '../engine/src/tokenizer';
import { SUSCEPTIBILITY_STUDY } from '../experiments/studies';
import { modelDir, SHAPES } from './shapes';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: 'all' },
    steps: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    // Internal: time one component's steps in this process and print the seconds (the parallel measurement's workers).
    child: { type: 'string' },
  },
});
const device = args.device as Device;
const D = SUSCEPTIBILITY_STUDY.defaults;

/** The shape's data as the study would have it: binding programs on the embedded model; random 256-token rows (batch 8) on Pythia's shape. */
async function dataFor(shape: string, dir: string, vocab: number) {
  if (shape === 'embedded') {
    const tokenizer = await Tokenizer.fromDir(dir);
    const probes = bindingCorrectness(D.pairs, 0).samples;
    const sampling = bindingData(D.samplingSize, 1).samples;
    return { batchSize: D.sampling.batchSize, examples: samplingExamples(tokenizer, sampling), observed: observedSamples(tokenizer, [...probes, ...sampling.slice(0, D.samplingObserved)]), probes: probes.length };
  }
  const rng = new Rng(1);
  const row = () => Array.from({ length: 256 }, () => rng.int(0, vocab - 1));
  const observed: ObservedSample[] = Array.from({ length: 2 * D.pairs + D.samplingObserved }, () => ({ ids: row() }));
  return { batchSize: 8, examples: { rows: Array.from({ length: 64 }, row) }, observed, probes: 2 * D.pairs };
}

async function stepSeconds(shape: string, component: string, steps: number): Promise<number> {
  const dir = await modelDir(shape);
  const { layout, flat } = await loadParameters(dir);
  const data = await dataFor(shape, dir, layout.spec.vocabSize);
  const restriction = parseRestriction(component, layout);
  const target = await TransformerTarget.create(layout, flat, data.examples, { batchSize: data.batchSize, seed: 0, restriction, device });
  const chain = (draws: number) => runChain(target, restriction, { ...SGMCMC_DEFAULTS, ...D.sampling, nbeta: D.sampling.nbeta!, draws, burnIn: 0, every: 1, malaEvery: 0 }, 0);
  try {
    await chain(1);
    const t0 = performance.now();
    await chain(steps);
    return (performance.now() - t0) / 1000 / steps;
  } finally {
    await target.release();
  }
}

/** Wall seconds of `components` run as worker processes, `parallel` at once. */
async function workers(shape: string, components: string[], steps: number, parallel: boolean): Promise<number> {
  const threads = parallel ? String(Math.max(1, Math.floor(availableParallelism() / components.length))) : '';
  const run = (c: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, __filename, '--shape', shape, '--steps', String(steps), '--device', device, '--child', c], {
        env: { ...process.env, INTROSPECT_THREADS: threads },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`worker for ${c} exited ${code}`))));
    });
  const t0 = performance.now();
  if (parallel) await Promise.all(components.map(run));
  else for (const c of components) await run(c);
  return (performance.now() - t0) / 1000;
}

async function bench(shape: string, steps: number): Promise<void> {
  const dir = await modelDir(shape);
  const { layout, flat } = await loadParameters(dir);
  const data = await dataFor(shape, dir, layout.spec.vocabSize);
  const all = expandComponents(D.components, layout.spec);
  const s = D.sampling;
  console.log(`\n${shape}: ${(layout.size / 1e6).toFixed(2)}M parameters, ${all.length} components (${D.components}) + the full run, ${device}; study defaults: ${s.chains} chains × (${s.burnIn} burn-in + ${s.draws} draws), ${data.observed.length} observed samples (${data.probes} probes per token), batch ${data.batchSize}`);
  const observer = await SampleLosses.create(layout, flat, data.observed, { perToken: data.probes, device });
  await observer.observe(flat);
  let t0 = performance.now();
  for (let i = 0; i < Math.max(1, Math.ceil(steps / 4)); i++) await observer.observe(flat);
  const observe = (performance.now() - t0) / 1000 / Math.max(1, Math.ceil(steps / 4));
  await observer.release();
  console.log(`  recording the probes' losses: ${observe.toFixed(3)} s per draw`);
  const kinds = [['full', 'full'], ['a head', 'l0.h0'], ['an MLP', 'l0.mlp'], ['embeddings', 'embed'], ['unembedding', 'unembed']];
  let total = 0;
  for (const [what, c] of kinds) {
    const step = await stepSeconds(shape, c, steps);
    const cost = s.chains * (s.burnIn + s.draws) * step + s.chains * s.draws * observe;
    const count = c === 'full' ? 1 : all.filter((x) => (c === 'l0.h0' ? /\.h\d+$/ : c === 'l0.mlp' ? /\.mlp$/ : new RegExp(`^${c}$`)).test(x)).length;
    total += count * cost;
    console.log(`  ${`${what} (${c})`.padEnd(26)} ${step.toFixed(3)} s per step → ${cost.toFixed(0).padStart(7)} s per component per checkpoint (× ${count})`);
  }
  console.log(`  one checkpoint, every run one after another: ${(total / 60).toFixed(1)} min`);
  const pair = ['l0.h0', 'l0.mlp'];
  const seq = await workers(shape, pair, steps, false);
  // Two workers of a large model may not fit in memory together: say so rather than stop.
  const par = await workers(shape, pair, steps, true).catch((e: Error) => e);
  if (par instanceof Error) console.log(`  ${pair.join(' and ')} one after another ${seq.toFixed(1)} s; two workers at once failed (${par.message}: killed for memory, most likely)`);
  else console.log(`  ${pair.join(' and ')} (${steps} steps each, process start included): one after another ${seq.toFixed(1)} s, two workers at once ${par.toFixed(1)} s = ${(seq / par).toFixed(2)}× faster (${availableParallelism()} cores)`);
}

async function main(): Promise<void> {
  if (args.child) {
    await stepSeconds(args.shape!, args.child, Number(args.steps));
    return;
  }
  const shapes = args.shape === 'all' ? [...SHAPES] : [args.shape!];
  for (const shape of shapes) await bench(shape, Number(args.steps ?? (shape === 'embedded' ? 40 : 2)));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
