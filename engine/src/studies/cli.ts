/**
 * Command-line entries of the developmental studies, for engine/src/cli.ts to dispatch to:
 *
 *   introspect study influence [--series DIR] [--steps ...] [--data binding-correctness|code-pairs|FILE] ... --out DIR
 *   introspect study emergence [--series DIR] [--steps ...] [--hook blocks.3.hook_resid_post] [--positions claim] [--sae relu|topk] ... --out DIR
 *   introspect llc --model DIR [--data ...] [--epsilon 1e-4[,3e-4,...]] [--nbeta 30[,...]] ... --out DIR
 *   introspect sae train --model DIR [--hook ...] [--data ...] ... --out DIR
 *
 * `influence` and `llc` take the sampler's flags; lists of ε and nβ make `llc` a calibration sweep.
 * `emergence` and `sae train` take the SAE's.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { type Flags, integer, MODEL_FLAGS, modelOptions, nonNegativeNumber, oneOf, parse, positiveInt, positiveNumber, required, stepList } from '../cliArgs';
import { IntrospectError } from '../errors';
import { linePlotPng } from '../plot/linePlot';
import { writePng } from '../plot/writePng';
import { progressBar } from '../progress';
import { type EmergenceSettings, type InfluenceSettings, type SusceptibilitySettings, POSITION_KINDS, SAE_KINDS, type SaeSettings, SAMPLERS, type SamplingSettings } from '../api/studies';
import { GENERATED_DATA, studyData } from './data/index';
import { EMERGENCE_STUDY, INFLUENCE_STUDY, SUSCEPTIBILITY_STUDY } from '../../../experiments/studies';
import { embeddedSeriesDir } from '../embedded';
import { printSubmitted, SLURM_FLAGS, SLURM_USAGE, slurmOptions } from '../slurm/cli';
import { submitStudy } from '../slurm/runs';
import { prepareInfluenceStudy, runInfluenceStudy } from './influence';
import { analyseCheckpoint, type EmergenceSummary, prepareEmergenceStudy, readEmergenceRow, runEmergenceStudy } from './emergence';
import { readStudySummary } from './folders';
import { SETTINGS_FILE } from './layout';
import { type ComponentResult, prepareSusceptibilityStudy, runSusceptibilityStudy } from './susceptibility';
import { studyUmap, UMAP_DEFAULTS } from './umap';
import { defaultWorkers } from './workers';
import { checkSameRun, SAMPLING_DEFAULTS, sampleCheckpoint } from './sampleCheckpoint';

/** The sampler's flags, their defaults a study's own. */
const samplingFlags = (d: SamplingSettings) =>
  ({
    sampler: { type: 'string', default: d.sampler },
    epsilon: { type: 'string', default: String(d.epsilon) },
    nbeta: { type: 'string' },
    gamma: { type: 'string', default: String(d.gamma) },
    'weight-decay': { type: 'string', default: String(d.weightDecay) },
    'bounding-box': { type: 'string' },
    noise: { type: 'string', default: String(d.noiseLevel) },
    'rms-alpha': { type: 'string', default: String(d.alpha) },
    'rms-eps': { type: 'string', default: String(d.rmsEps) },
    chains: { type: 'string', default: String(d.chains) },
    draws: { type: 'string', default: String(d.draws) },
    'burn-in': { type: 'string', default: String(d.burnIn) },
    every: { type: 'string', default: String(d.every) },
    batch: { type: 'string', default: String(d.batchSize) },
    seed: { type: 'string', default: String(d.seed) },
    'init-batches': { type: 'string', default: String(d.initBatches) },
    restrict: { type: 'string', default: d.restrict },
    'per-token': { type: 'boolean', default: d.perToken },
    'mala-every': { type: 'string', default: String(d.malaEvery) },
    'sampling-data': { type: 'string' },
    'sampling-size': { type: 'string', default: String(INFLUENCE_STUDY.defaults.samplingSize) },
    'data-seed': { type: 'string', default: '0' },
    out: { type: 'string' },
    device: MODEL_FLAGS.device,
  }) as const satisfies Flags;
const SAMPLING_FLAGS = samplingFlags(SAMPLING_DEFAULTS);

type SamplingValues = { [K in keyof typeof SAMPLING_FLAGS]?: (typeof SAMPLING_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

const SAMPLING_USAGE =
  '[--sampler sgld|rmsprop-sgld] [--epsilon ε] [--nbeta nβ] [--gamma γ] [--weight-decay λ] [--bounding-box B] [--noise σ] [--chains 4] [--draws 200] [--burn-in 0] [--every 1] [--batch 32] [--seed 0] [--init-batches 32] [--restrict full|l0|l0.attn|l0.mlp|l0.h1|embed|unembed] [--sampling-data binding|study|study:<group>|FILE] [--sampling-size 1024] [--per-token] [--mala-every 20] [--device auto|cpu|webgpu|cuda] --out DIR';

export const STUDY_USAGE = `introspect study influence [--series DIR|org/name|list.json] [--steps 0,100,5000-10000/500] [--data ${GENERATED_DATA.join('|')}|FILE.jsonl] [--pairs 100] ${SAMPLING_USAGE} ${SLURM_USAGE}`;
export const LLC_USAGE = `introspect llc --model DIR [--data binding|${GENERATED_DATA.join('|')}|FILE.jsonl] [--pairs 100] (lists of --epsilon and --nbeta sweep them) ${SAMPLING_USAGE}`;

function samplingSettings(v: SamplingValues, epsilon: number, nbeta: number | undefined): SamplingSettings {
  const count = (k: 'chains' | 'draws' | 'every' | 'batch' | 'init-batches') => positiveInt(v[k], `--${k}`);
  const burnIn = integer(v['burn-in'], '--burn-in');
  if (burnIn < 0) throw new IntrospectError(`must be ≥ 0, got ${burnIn}`, '--burn-in');
  return {
    sampler: oneOf(v.sampler!, SAMPLERS, '--sampler'),
    epsilon,
    ...(nbeta === undefined ? {} : { nbeta }),
    gamma: nonNegativeNumber(v.gamma, '--gamma'),
    weightDecay: nonNegativeNumber(v['weight-decay'], '--weight-decay'),
    ...(v['bounding-box'] === undefined ? {} : { boundingBox: positiveNumber(v['bounding-box'], '--bounding-box') }),
    noiseLevel: nonNegativeNumber(v.noise, '--noise'),
    alpha: nonNegativeNumber(v['rms-alpha'], '--rms-alpha'),
    rmsEps: positiveNumber(v['rms-eps'], '--rms-eps'),
    chains: count('chains'),
    draws: count('draws'),
    burnIn,
    every: count('every'),
    batchSize: count('batch'),
    seed: integer(v.seed, '--seed'),
    initBatches: count('init-batches'),
    restrict: v.restrict!,
    perToken: v['per-token']!,
    malaEvery: integer(v['mala-every'], '--mala-every'),
  };
}

const numbers = (v: string, flag: string) => v.split(',').map((x) => positiveNumber(x.trim(), flag));

/** One progress bar for the whole study, its label the message's checkpoint. */
function bar(): (done: number, total: number, message: string) => void {
  const draw = progressBar('');
  return (done, total, message) => draw(done, total, message.split(':')[0]);
}

export async function runStudyCommand(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  if (kind === 'emergence') return runEmergenceCommand(rest);
  if (kind === 'susceptibility') return runSusceptibilityCommand(rest);
  if (kind === 'umap') return runUmapCommand(rest);
  if (kind !== 'influence') throw new IntrospectError(`unknown study "${kind ?? ''}" (influence, emergence, susceptibility, umap)`, 'study');
  const { values: v } = parse(rest, {
    ...SAMPLING_FLAGS,
    series: { type: 'string' },
    steps: { type: 'string' },
    data: { type: 'string', default: INFLUENCE_STUDY.defaults.data },
    pairs: { type: 'string', default: String(INFLUENCE_STUDY.defaults.pairs) },
    ...SLURM_FLAGS,
  });
  const out = required(v.out, '--out');
  const settings: InfluenceSettings = {
    series: v.series ?? embeddedSeriesDir(),
    ...(v.steps ? { steps: stepList(v.steps, '--steps') } : {}),
    data: v.data!,
    pairs: positiveInt(v.pairs, '--pairs'),
    samplingData: v['sampling-data'] ?? (v.data === 'binding-correctness' ? 'binding' : 'study'),
    samplingSize: positiveInt(v['sampling-size'], '--sampling-size'),
    dataSeed: integer(v['data-seed'], '--data-seed'),
    sampling: samplingSettings(v, positiveNumber(v.epsilon, '--epsilon'), v.nbeta === undefined ? INFLUENCE_STUDY.defaults.sampling.nbeta : positiveNumber(v.nbeta, '--nbeta')),
  };
  const slurm = slurmOptions(v);
  if (slurm) {
    // The folder and its settings first; the shards and the merge resume it.
    prepareInfluenceStudy(settings, out);
    return printSubmitted(submitStudy(out, modelOptions(v).device, slurm));
  }
  const progress = bar();
  const summary = await runInfluenceStudy(settings, out, { onProgress: progress, device: modelOptions(v).device });
  console.log(`wrote ${out}: ${summary.rows.length} checkpoints of ${summary.series}`);
  for (const r of summary.rows) {
    const blocks = Object.entries(r.result.bif ?? {}).map(([obs, b]) => `${obs}: ${b.blocks.map((x) => `${x.from}→${x.to} ${x.bif.toExponential(2)}`).join(', ')}`);
    console.log(`  step ${String(r.step).padStart(6)}  LLC ${r.result.llc.mean.toFixed(2)} ± ${r.result.llc.std.toFixed(2)}  MALA ${r.result.mala.mean.toFixed(2)}  ${blocks.join(' | ')}`);
  }
}

export async function runLlcCommand(argv: string[]): Promise<void> {
  const { values: v } = parse(argv, { ...SAMPLING_FLAGS, model: { type: 'string' }, data: { type: 'string', default: 'binding' }, pairs: { type: 'string', default: '100' } });
  const model = required(v.model, '--model');
  const out = required(v.out, '--out');
  const dataSeed = integer(v['data-seed'], '--data-seed');
  const size = positiveInt(v['sampling-size'], '--sampling-size');
  const samplingName = v['sampling-data'] ?? v.data!;
  const sampling = studyData(samplingName, samplingName === 'binding' ? size : positiveInt(v.pairs, '--pairs'), dataSeed).samples;
  const epsilons = numbers(v.epsilon!, '--epsilon');
  const nbetas = v.nbeta === undefined ? [undefined] : numbers(v.nbeta, '--nbeta');
  const cells: { epsilon: number; nbeta: number; llc: number; std: number; mala: number; failed: number }[] = [];
  const sweep = epsilons.length * nbetas.length > 1;
  for (const nbeta of nbetas)
    for (const epsilon of epsilons) {
      const s = samplingSettings(v, epsilon, nbeta);
      const dir = sweep ? join(out, `eps-${epsilon}_nbeta-${nbeta ?? 'default'}`) : out;
      const progress = progressBar(sweep ? `ε ${epsilon}, nβ ${nbeta ?? 'default'}` : 'sampling');
      const r = await sampleCheckpoint(model, sampling, undefined, s, dir, { onChain: (c, d, t) => progress(c * t + d, s.chains * t), device: modelOptions(v).device });
      cells.push({ epsilon, nbeta: r.nbeta, llc: r.llc.mean, std: r.llc.std, mala: r.mala.mean, failed: r.llc.failed.length });
      console.log(`ε ${epsilon}  nβ ${r.nbeta.toFixed(2)}: LLC ${r.llc.mean.toFixed(3)} ± ${r.llc.std.toFixed(3)} over ${s.chains - r.llc.failed.length} chains, MALA acceptance ${r.mala.mean.toFixed(3)}, L(θ*) ${r.initLoss.toFixed(4)}`);
      for (const f of r.llc.failed) console.log(`  ${f.error}`);
    }
  if (!sweep) return;
  writeJsonAtomic(join(out, 'sweep.json'), cells);
  const lines = (y: 'llc' | 'mala') =>
    [...new Set(cells.map((c) => c.nbeta))].map((nb) => {
      const row = cells.filter((c) => c.nbeta === nb);
      return { name: `nβ ${nb.toPrecision(3)}`, xs: row.map((c) => c.epsilon), ys: row.map((c) => c[y]), ...(y === 'llc' ? { lo: row.map((c) => c.llc - c.std), hi: row.map((c) => c.llc + c.std) } : {}) };
    });
  const logX = Math.max(...epsilons) / Math.min(...epsilons) >= 10;
  writePng(join(out, 'sweep-llc.png'), linePlotPng({ series: lines('llc'), title: 'LLC over step size and inverse temperature', xLabel: 'ε', yLabel: 'λ̂', logX }));
  writePng(join(out, 'sweep-mala.png'), linePlotPng({ series: lines('mala'), title: 'MALA acceptance', xLabel: 'ε', yLabel: 'acceptance', yRange: [0, 1], logX }));
  console.log(`wrote ${join(out, 'sweep.json')}, sweep-llc.png, sweep-mala.png`);
}

const E = EMERGENCE_STUDY.defaults;

const SAE_FLAGS = {
  hook: { type: 'string', default: E.hook },
  positions: { type: 'string', default: E.positions },
  data: { type: 'string', default: E.data },
  pairs: { type: 'string', default: String(E.pairs) },
  'data-seed': { type: 'string', default: String(E.dataSeed) },
  sae: { type: 'string', default: E.sae.kind },
  latents: { type: 'string', default: String(E.sae.latents) },
  k: { type: 'string', default: String(E.sae.k) },
  l1: { type: 'string', default: String(E.sae.l1) },
  lr: { type: 'string', default: String(E.sae.lr) },
  clip: { type: 'string', default: String(E.sae.clip) },
  batch: { type: 'string', default: String(E.sae.batch) },
  'sae-steps': { type: 'string', default: String(E.sae.steps) },
  seed: { type: 'string', default: String(E.sae.seed) },
  'warm-start': { type: 'boolean', default: E.sae.warmStart },
  'splice-samples': { type: 'string', default: String(E.spliceSamples) },
  'train-fraction': { type: 'string', default: String(E.trainFraction) },
  out: { type: 'string' },
  device: MODEL_FLAGS.device,
} as const satisfies Flags;

const SAE_USAGE = `[--hook ${E.hook}] [--positions ${POSITION_KINDS.join('|')}] [--data ${GENERATED_DATA.join('|')}|FILE.jsonl] [--pairs ${E.pairs}] [--sae ${SAE_KINDS.join('|')}] [--latents ${E.sae.latents}] [--k ${E.sae.k}] [--l1 ${E.sae.l1}] [--lr ${E.sae.lr}] [--clip ${E.sae.clip}] [--batch ${E.sae.batch}] [--sae-steps ${E.sae.steps}] [--seed 0] [--splice-samples ${E.spliceSamples}] [--train-fraction ${E.trainFraction}] [--device auto|cpu|webgpu|cuda] --out DIR`;
export const EMERGENCE_USAGE = `introspect study emergence [--series DIR|org/name|list.json] [--steps 0,100,5000-10000/500] [--warm-start] [--birth-accuracy ${E.birthAccuracy}] ${SAE_USAGE} ${SLURM_USAGE}`;
export const SAE_TRAIN_USAGE = `introspect sae train --model DIR ${SAE_USAGE}`;

type SaeValues = { [K in keyof typeof SAE_FLAGS]?: (typeof SAE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

function emergenceSettings(v: SaeValues, series: string, steps: number[] | undefined, birthAccuracy: number): EmergenceSettings {
  const sae: SaeSettings = {
    kind: oneOf(v.sae!, SAE_KINDS, '--sae'),
    latents: positiveInt(v.latents, '--latents'),
    k: positiveInt(v.k, '--k'),
    l1: nonNegativeNumber(v.l1, '--l1'),
    lr: positiveNumber(v.lr, '--lr'),
    clip: positiveNumber(v.clip, '--clip'),
    batch: positiveInt(v.batch, '--batch'),
    steps: positiveInt(v['sae-steps'], '--sae-steps'),
    seed: integer(v.seed, '--seed'),
    warmStart: v['warm-start']!,
  };
  if (sae.kind === 'topk' && sae.k > sae.latents) throw new IntrospectError(`must be at most --latents (${sae.latents}), got ${sae.k}`, '--k');
  const fraction = positiveNumber(v['train-fraction'], '--train-fraction');
  if (fraction >= 1) throw new IntrospectError(`must be below 1, got ${fraction}`, '--train-fraction');
  return {
    series,
    ...(steps ? { steps } : {}),
    hook: v.hook!,
    positions: oneOf(v.positions!, POSITION_KINDS, '--positions'),
    data: v.data!,
    pairs: positiveInt(v.pairs, '--pairs'),
    dataSeed: integer(v['data-seed'], '--data-seed'),
    sae,
    spliceSamples: positiveInt(v['splice-samples'], '--splice-samples'),
    trainFraction: fraction,
    birthAccuracy,
  };
}

async function runEmergenceCommand(argv: string[]): Promise<void> {
  const { values: v } = parse(argv, { ...SAE_FLAGS, series: { type: 'string' }, steps: { type: 'string' }, 'birth-accuracy': { type: 'string', default: String(E.birthAccuracy) }, ...SLURM_FLAGS });
  const out = required(v.out, '--out');
  const birth = positiveNumber(v['birth-accuracy'], '--birth-accuracy');
  if (birth <= 0.5 || birth > 1) throw new IntrospectError(`must be in (0.5, 1], got ${birth}`, '--birth-accuracy');
  const settings = emergenceSettings(v, v.series ?? embeddedSeriesDir(), v.steps ? stepList(v.steps, '--steps') : undefined, birth);
  const slurm = slurmOptions(v);
  if (slurm) {
    prepareEmergenceStudy(settings, out);
    return printSubmitted(submitStudy(out, modelOptions(v).device, slurm));
  }
  const summary = await runEmergenceStudy(settings, out, { onProgress: bar(), device: modelOptions(v).device });
  console.log(`wrote ${out}: ${summary.rows.length} checkpoints of ${summary.series}`);
  printEmergence(summary);
}

export function printEmergence(s: EmergenceSummary): void {
  const pct = (x: { value: number; lo: number; hi: number } | undefined) => (x ? `${(100 * x.value).toFixed(1)}% [${(100 * x.lo).toFixed(1)}, ${(100 * x.hi).toFixed(1)}]` : '—');
  for (const r of s.rows) {
    const m = s.matched.find((x) => x.step === r.step);
    console.log(
      `  step ${String(r.step).padStart(6)}  task ${(100 * r.taskAccuracy).toFixed(1)}%  SAE EV ${r.sae.explainedVariance.toFixed(3)} CE rec ${r.sae.ceLossRecovered.toFixed(3)} L0 ${r.sae.l0.toFixed(1)} dead ${(100 * r.sae.deadFraction).toFixed(0)}%  ` +
        `best latent ${r.correctness.top[0]?.latent ?? '—'} ${pct(r.correctness.top[0]?.heldOutAccuracy)}  matched ${m ? `${m.latent} ${(100 * m.heldOutAccuracy).toFixed(1)}% (cos ${m.cosine.toFixed(2)})` : '—'}  ` +
        `logistic ${pct(r.correctness.logistic.heldOutAccuracy)}  diff-means ${pct(r.correctness.differenceOfMeans.heldOutAccuracy)}`,
    );
  }
  console.log(s.birth === null ? `the matched latent never reaches ${100 * s.settings.birthAccuracy}% held-out accuracy` : `birth: step ${s.birth} (matched latent ≥ ${100 * s.settings.birthAccuracy}% held-out accuracy)`);
}

/** `introspect sae train`: one checkpoint's SAE, its metrics and correctness latents (one step of the emergence study). */
export async function runSaeCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'train') throw new IntrospectError(`unknown sae command "${sub ?? ''}" (train)`, 'sae');
  const { values: v } = parse(rest, { ...SAE_FLAGS, model: { type: 'string' } });
  const model = required(v.model, '--model');
  const out = required(v.out, '--out');
  const settings = emergenceSettings(v, model, undefined, E.birthAccuracy);
  const data = studyData(settings.data, settings.pairs, settings.dataSeed);
  checkSameRun(join(out, SETTINGS_FILE), settings);
  const draw = progressBar('SAE');
  const row = readEmergenceRow(out) ?? (await analyseCheckpoint(model, 0, data.samples, settings, out, { device: modelOptions(v).device, onProgress: (d, m) => draw(d, settings.sae.steps + 2, m.split(',')[0]) }));
  console.log(`wrote ${out}`);
  printEmergence({ study: 'emergence', series: model, settings, rows: [row], planned: [0], matched: [], birth: null, finished: true });
}

const X = SUSCEPTIBILITY_STUDY.defaults;
const SUSCEPTIBILITY_FLAGS = {
  ...samplingFlags(X.sampling),
  series: { type: 'string' },
  steps: { type: 'string' },
  data: { type: 'string', default: X.data },
  pairs: { type: 'string', default: String(X.pairs) },
  'sampling-observed': { type: 'string', default: String(X.samplingObserved) },
  components: { type: 'string', default: X.components },
  bootstrap: { type: 'string', default: String(X.bootstrap) },
  workers: { type: 'string' },
  ...SLURM_FLAGS,
} as const satisfies Flags;

export const SUSCEPTIBILITY_USAGE = `introspect study susceptibility [--series DIR|org/name|list.json] [--steps ...] [--data ${GENERATED_DATA.join('|')}|FILE.jsonl] [--pairs ${X.pairs}] [--components ${X.components}] [--sampling-observed ${X.samplingObserved}] [--bootstrap ${X.bootstrap}] [--workers N] ${SAMPLING_USAGE.replace(/\[--restrict [^\]]*\] /, '').replace('[--per-token] ', '')} ${SLURM_USAGE}`;
export const UMAP_USAGE = `introspect study umap <susceptibility study folder> [--neighbors ${UMAP_DEFAULTS.nNeighbors}] [--min-dist ${UMAP_DEFAULTS.minDist}] [--seed ${UMAP_DEFAULTS.seed}]`;

async function runSusceptibilityCommand(argv: string[]): Promise<void> {
  const { values: v } = parse(argv, SUSCEPTIBILITY_FLAGS);
  const out = required(v.out, '--out');
  const settings: SusceptibilitySettings = {
    series: v.series ?? embeddedSeriesDir(),
    ...(v.steps ? { steps: stepList(v.steps, '--steps') } : {}),
    data: v.data!,
    pairs: positiveInt(v.pairs, '--pairs'),
    dataSeed: integer(v['data-seed'], '--data-seed'),
    samplingData: v['sampling-data'] ?? (v.data === 'binding-correctness' ? 'binding' : 'study'),
    samplingSize: positiveInt(v['sampling-size'], '--sampling-size'),
    samplingObserved: positiveInt(v['sampling-observed'], '--sampling-observed'),
    components: v.components!,
    bootstrap: positiveInt(v.bootstrap, '--bootstrap'),
    sampling: { ...samplingSettings(v, positiveNumber(v.epsilon, '--epsilon'), v.nbeta === undefined ? X.sampling.nbeta : positiveNumber(v.nbeta, '--nbeta')), restrict: 'full', perToken: true },
  };
  const slurm = slurmOptions(v);
  if (slurm) {
    prepareSusceptibilityStudy(settings, out);
    return printSubmitted(submitStudy(out, modelOptions(v).device, slurm));
  }
  const workers = v.workers === undefined ? defaultWorkers() : positiveInt(v.workers, '--workers');
  const summary = await runSusceptibilityStudy(settings, out, { onProgress: bar(), device: modelOptions(v).device, workers });
  console.log(`wrote ${out}: ${summary.rows.length} checkpoints of ${summary.series}`);
  for (const r of summary.rows) {
    const opposite = r.components.filter((c) => Object.values(c.opposite).some(Boolean)).map((c) => c.name);
    const chi = (c: ComponentResult, g: string) => c.groups.sequence[g]?.value.toExponential(2) ?? '—';
    const strongest = [...r.components].sort((a, b) => Math.abs(b.groups.sequence.incorrect?.value ?? 0) - Math.abs(a.groups.sequence.incorrect?.value ?? 0))[0];
    console.log(
      `  step ${String(r.step).padStart(6)}  LLC full ${r.full.llc.toFixed(2)}  strongest ${strongest?.name ?? '—'} (χ correct ${strongest ? chi(strongest, 'correct') : '—'}, incorrect ${strongest ? chi(strongest, 'incorrect') : '—'})  opposite signs: ${opposite.join(', ') || 'none'}`,
    );
  }
}

async function runUmapCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, { neighbors: { type: 'string', default: String(UMAP_DEFAULTS.nNeighbors) }, 'min-dist': { type: 'string', default: String(UMAP_DEFAULTS.minDist) }, seed: { type: 'string', default: String(UMAP_DEFAULTS.seed) } }, true);
  if (positionals.length !== 1) throw new IntrospectError('name the susceptibility study folder', 'folder');
  const dir = positionals[0];
  const draw = progressBar('UMAP');
  const frames = await studyUmap(dir, readStudySummary(dir), { nNeighbors: positiveInt(v.neighbors, '--neighbors'), minDist: nonNegativeNumber(v['min-dist'], '--min-dist'), seed: integer(v.seed, '--seed'), onProgress: (d, t) => draw(d, t) });
  console.log(`wrote ${join(dir, 'umap.json')}, umap-grid.png, umap.gif, pca-grid.png: ${frames.steps.length} checkpoints × ${frames.tokens.length} tokens × ${frames.components.length} components`);
  frames.steps.forEach((step, k) => {
    const pc1 = frames.pc1[k];
    const sameSign = pc1.every((x) => x >= 0) || pc1.every((x) => x <= 0);
    console.log(`  step ${String(step).padStart(6)}  PCA variance ${frames.pcaVariance[k].map((x) => (100 * x).toFixed(1) + '%').join(' / ')}  PC1 loadings ${sameSign ? 'all one sign (a uniform mode)' : 'of both signs'}`);
  });
}
