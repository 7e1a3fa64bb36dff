/**
 * The susceptibility study (seed 002, experiment 3; Baker et al. 2504.18274): for each checkpoint
 * of a series, a full SGMCMC run and one run restricted to each component (an attention head, a
 * layer's MLP, the embeddings, …), every run recording at every draw the loss of the sampling data
 * it is measured on and each probe sample's losses, per sample and per token. From the records:
 * each component's susceptibility to every probe token and sample (slt/susceptibility.ts), its
 * response to each probe group (correct, incorrect) with a bootstrap interval over draws, the
 * components that respond to the two with opposite signs, and each component's weight-refined LLC.
 * Runs are written as they finish (`step-<N>/<component>/chain-<c>.safetensors`), a checkpoint's
 * results when its last run is in, the summary after each checkpoint; a rerun resumes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SusceptibilitySettings } from '../api/studies';
import { specFromConfig } from '../arch/families';
import { writeJsonAtomic } from '../atomicWrite';
import { loadParameters } from '../autodiff/load';
import { readJsonFile } from '../checkpoint/folder';
import { writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { heatmapPng } from '../plot/heatmap';
import { writePng } from '../plot/writePng';
import type { Interval } from '../probes/separation';
import { type ChainRecord, chainSteps } from '../sampling/chain';
import { readChainRecord } from '../sampling/record';
import { expandComponents, parseRestriction } from '../sampling/restriction';
import { defaultNbeta } from '../sampling/sgmcmc';
import { SampleLosses } from '../sampling/transformer';
import { bootstrapSusceptibilities, type Draws, fullOffsets, refinedLlc, stackDraws, susceptibilities } from '../slt/susceptibility';
import { malaAcceptance } from '../slt/mala';
import { mean } from '../slt/stats';
import { Tokenizer } from '../tokenizer';
import { samplingSamples } from './influence';
import { studyData } from './data/index';
import type { StudySample } from './data/samples';
import { observedSamples } from './data/tokenize';
import { DATA_FILE, SETTINGS_FILE, stepFolder, type StudyHooks, SUMMARY_FILE } from './layout';
import { plotOverSteps } from './plots';
import { chainFile, checkSameRun, sampleChains } from './sampleCheckpoint';
import { type Checkpoint, readSeries, seriesName } from './series';
import { tokenClasses } from './tokenClasses';
import { runShardsInProcesses } from './workers';

export const RESULT_FILE = 'result.json';
/** Per checkpoint: `chi.token` [probe tokens, components], `chi.sequence` and `chi.claim` [probe samples, components]. */
export const CHI_FILE = 'susceptibility.safetensors';
/** The probe tokens, in `chi.token`'s row order: sample, position, text, class. */
export const TOKENS_FILE = 'tokens.json';
/** The reference run every component is centred with. */
export const FULL_RUN = 'full';

export interface ProbeToken {
  sample: number;
  /** Token position in the sample (≥ 1: the predicted token). */
  position: number;
  /** Its characters in the sample's text, [start, end). */
  start: number;
  end: number;
  text: string;
  class: string;
}

export interface ComponentResult {
  name: string;
  /** Weights sampled. */
  sampled: number;
  /** nβ·E[φ]: the LLC of the component's weights. */
  llc: number;
  mala: number;
  /** χ of each probe group's mean loss, by observable (`sequence`, `claim`), with 95 % bootstrap intervals over draws. */
  groups: Record<string, Record<string, Interval>>;
  /** Whether χ(correct) and χ(incorrect) have opposite signs with both intervals clear of 0, by observable. */
  opposite: Record<string, boolean>;
}

export interface SusceptibilityRow {
  step: number;
  dir: string;
  /** L(θ*): the observed sampling samples' mean loss at the checkpoint. */
  initLoss: number;
  nbeta: number;
  full: { llc: number; mala: number };
  components: ComponentResult[];
}

export interface SusceptibilitySummary {
  study: 'susceptibility';
  series: string;
  settings: SusceptibilitySettings;
  rows: SusceptibilityRow[];
  planned: number[];
  finished: boolean;
}

/** The study's samples: the probe samples first (their tokens are recorded), then the observed sampling samples, which make L. */
export function prepareSusceptibilityStudy(s: SusceptibilitySettings, outDir: string) {
  const series = readSeries(s.series, s.steps);
  checkSameRun(join(outDir, SETTINGS_FILE), s);
  const probes = studyData(s.data, s.pairs, s.dataSeed);
  const sampling = samplingSamples(s, probes.samples);
  writeJsonAtomic(join(outDir, DATA_FILE), probes);
  const observed = [...probes.samples, ...sampling.slice(0, s.samplingObserved)];
  return { series, probes: probes.samples, sampling, observed };
}

/** The components of a checkpoint's model, as restrictions, after the full run. */
export function runsOf(s: SusceptibilitySettings, modelDir: string): string[] {
  const file = join(modelDir, 'config.json');
  return [FULL_RUN, ...expandComponents(s.components, specFromConfig(readJsonFile(file), file).spec)];
}

export function readSusceptibilityRow(dir: string): SusceptibilityRow | undefined {
  const file = join(dir, RESULT_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SusceptibilityRow) : undefined;
}

export async function runSusceptibilityStudy(s: SusceptibilitySettings, outDir: string, hooks: StudyHooks = {}): Promise<SusceptibilitySummary> {
  const study = prepareSusceptibilityStudy(s, outDir);
  const { series } = study;
  const perRun = s.sampling.chains * chainSteps(s.sampling);
  const runs = series.map((c) => runsOf(s, c.dir).length);
  const total = runs.reduce((a, b) => a + b, 0) * perRun;
  const rows: SusceptibilityRow[] = [];
  const summary = (finished: boolean): SusceptibilitySummary => ({ study: 'susceptibility', series: seriesName(s.series), settings: s, rows, planned: series.map((c) => c.step), finished });
  let before = 0;
  for (const [k, c] of series.entries()) {
    const where = `step ${c.step} (${k + 1}/${series.length})`;
    const base = before;
    const row =
      readSusceptibilityRow(stepFolder(outDir, c.step)) ??
      (await analyseCheckpoint(c, s, study, outDir, { ...hooks, onProgress: (done, _t, message) => hooks.onProgress?.(base + done, total, `${where}: ${message}`) }));
    before += runs[k] * perRun;
    rows.push(row);
    writeJsonAtomic(join(outDir, SUMMARY_FILE), summary(false));
    plotSusceptibility(outDir, rows);
    hooks.onProgress?.(before, total, `${where}: done`);
  }
  const done = summary(true);
  writeJsonAtomic(join(outDir, SUMMARY_FILE), done);
  return done;
}

type Study = ReturnType<typeof prepareSusceptibilityStudy>;

/** One run (the full model, or a component) of a checkpoint: its chains, recorded in `step-<N>/<run>/`. */
export function sampleRun(c: Checkpoint, s: SusceptibilitySettings, study: Study, outDir: string, run: string, hooks: StudyHooks & { onChain?: (chain: number, done: number) => void } = {}): Promise<ChainRecord[]> {
  return sampleChains(c.dir, study.sampling, study.observed, { ...s.sampling, restrict: run, perToken: true }, join(stepFolder(outDir, c.step), run), {
    tokenSamples: study.probes.length,
    device: hooks.device,
    signal: hooks.signal,
    onChain: hooks.onChain,
  });
}

async function analyseCheckpoint(c: Checkpoint, s: SusceptibilitySettings, study: Study, outDir: string, hooks: StudyHooks): Promise<SusceptibilityRow> {
  const dir = stepFolder(outDir, c.step);
  const runs = runsOf(s, c.dir);
  const perChain = chainSteps(s.sampling);
  const perRun = s.sampling.chains * perChain;
  const pending = runs.filter((r) => !Array.from({ length: s.sampling.chains }, (_, ch) => existsSync(chainFile(join(dir, r), ch))).every(Boolean));
  let finished = runs.length - pending.length;
  if ((hooks.workers ?? 1) > 1 && pending.length > 1)
    await runShardsInProcesses(
      outDir,
      pending.map((component) => ({ step: c.step, component })),
      { workers: hooks.workers!, device: hooks.device, signal: hooks.signal, onDone: (shard) => hooks.onProgress?.(++finished * perRun, 0, `${shard.component} done (${finished}/${runs.length} runs)`) },
    );
  else
    for (const run of pending) {
      await sampleRun(c, s, study, outDir, run, {
        ...hooks,
        onChain: (chain, done) => hooks.onProgress?.(finished * perRun + chain * perChain + done, 0, `${run} (${finished + 1}/${runs.length} runs), chain ${chain + 1}/${s.sampling.chains}, ${done}/${perChain} steps`),
      });
      finished++;
    }
  hooks.onProgress?.(runs.length * perRun, 0, 'estimating');
  return estimate(c, s, study, outDir, runs);
}

/** The estimators over a checkpoint's records, one run at a time (a run's per-token records are large); writes its results. */
async function estimate(c: Checkpoint, s: SusceptibilitySettings, study: Study, outDir: string, runs: string[]): Promise<SusceptibilityRow> {
  const dir = stepFolder(outDir, c.step);
  const { layout, flat } = await loadParameters(c.dir);
  const tokenizer = await Tokenizer.fromDir(c.dir);
  const observed = observedSamples(tokenizer, study.observed);
  const P = study.probes.length;
  const nbeta = s.sampling.nbeta ?? defaultNbeta(s.sampling.batchSize);
  // A sampling sample's loss is the one the chains sample on: its claim's where it has one (samplingExamples).
  const trained = (seq: Float32Array, claim: Float32Array | undefined, at: number) => (observed[at].claim && claim ? claim[at] : seq[at]);
  const samplingLoss = (seq: Float32Array, claim: Float32Array | undefined, offset = 0) => mean(observed.slice(P).map((_, i) => trained(seq.subarray(offset), claim?.subarray(offset), P + i)));
  const center = await SampleLosses.create(layout, flat, observed, { perToken: false });
  const atCenter = await center.observe(flat);
  await center.release();
  const initLoss = samplingLoss(atCenter.sequence, atCenter.claim);
  const tokens = observed.slice(0, P).reduce((n, o) => n + o.ids.length - 1, 0);
  const groups = [...new Set(study.probes.map((p) => p.group))];
  const observables = ['sequence', ...(atCenter.claim && study.probes.some((p) => p.claim) ? ['claim'] : [])];
  const n = observed.length;
  const L = (r: ChainRecord, d: number) => samplingLoss(r.observables.sequence, r.observables.claim, d * n);
  const load = (run: string) => Promise.all(Array.from({ length: s.sampling.chains }, (_, ch) => readChainRecord(chainFile(join(dir, run), ch))));
  /** Each run's draws of one observable family: per token, per probe sample, or per group mean. */
  const views = (records: ChainRecord[]) => ({
    token: stackDraws(records, tokens, L, (r, d, into) => into.set(r.observables.token.subarray(d * tokens, (d + 1) * tokens))),
    ...Object.fromEntries(
      observables.flatMap((obs) => [
        [obs, stackDraws(records, P, L, (r, d, into) => into.set(r.observables[obs].subarray(d * n, d * n + P)))],
        [`${obs}.groups`, stackDraws(records, groups.length, L, (r, d, into) => groups.forEach((g, k) => (into[k] = mean(study.probes.flatMap((p, i) => (p.group === g ? [r.observables[obs][d * n + i]] : []))))))],
      ]),
    ),
  }) as Record<string, Draws>;
  const fullRecords = await load(FULL_RUN);
  const fullViews = views(fullRecords);
  const offsets = Object.fromEntries(Object.entries(fullViews).map(([k, v]) => [k, fullOffsets(v)]));
  const malaOf = (records: ChainRecord[]) => malaAcceptance(records, s.sampling.burnIn).mean;
  const full = { llc: refinedLlc(fullViews.token, initLoss, nbeta), mala: malaOf(fullRecords) };
  const components = runs.filter((r) => r !== FULL_RUN);
  const chi: Record<string, Float32Array> = { token: new Float32Array(tokens * components.length) };
  for (const obs of observables) chi[obs] = new Float32Array(P * components.length);
  const results: ComponentResult[] = [];
  for (const [j, name] of components.entries()) {
    const records = await load(name);
    const v = views(records);
    const put = (key: string, x: Float64Array) => x.forEach((value, i) => (chi[key][i * components.length + j] = value));
    put('token', susceptibilities(v.token, initLoss, offsets.token));
    const byGroup: ComponentResult['groups'] = {};
    const opposite: ComponentResult['opposite'] = {};
    for (const obs of observables) {
      put(obs, susceptibilities(v[obs], initLoss, offsets[obs]));
      const g = bootstrapSusceptibilities(v[`${obs}.groups`], initLoss, offsets[`${obs}.groups`], s.bootstrap, s.sampling.seed);
      byGroup[obs] = Object.fromEntries(groups.map((name, k) => [name, g[k]]));
      const [a, b] = [byGroup[obs].correct, byGroup[obs].incorrect];
      opposite[obs] = !!a && !!b && ((a.lo > 0 && b.hi < 0) || (a.hi < 0 && b.lo > 0));
    }
    results.push({ name, sampled: parseRestriction(name, layout).count, llc: refinedLlc(v.token, initLoss, nbeta), mala: malaOf(records), groups: byGroup, opposite });
  }
  await writeSafetensors(
    join(dir, CHI_FILE),
    Object.fromEntries(Object.entries(chi).map(([k, data]) => [`chi.${k}`, { dtype: 'float32' as const, shape: [data.length / components.length, components.length], data }])),
    { components: JSON.stringify(components) },
  );
  writeTokens(outDir, tokenizer, study.probes, tokens);
  plotCheckpoint(dir, c.step, results, observables);
  const row: SusceptibilityRow = { step: c.step, dir: c.dir, initLoss, nbeta, full, components: results };
  writeJsonAtomic(join(dir, RESULT_FILE), row);
  return row;
}

/** The probe tokens, once per study (every checkpoint of a series tokenizes alike; a count that differs is an error). */
function writeTokens(outDir: string, tokenizer: Tokenizer, probes: StudySample[], count: number): void {
  const file = join(outDir, TOKENS_FILE);
  if (existsSync(file)) {
    const have = (readJsonFile(file) as ProbeToken[]).length;
    if (have !== count) throw new IntrospectError(`this checkpoint's tokenizer gives ${count} probe tokens, an earlier one ${have}: the series' checkpoints must share a tokenizer`, file);
    return;
  }
  const tokens: ProbeToken[] = probes.flatMap((p, sample) => {
    const spans = tokenizer.encode(p.text).map((t): [number, number] => [t.start, t.end]);
    const classes = tokenClasses(p.text, spans);
    return spans.slice(1).map(([start, end], i) => ({ sample, position: i + 1, start, end, text: p.text.slice(start, end), class: classes[i + 1] }));
  });
  writeJsonAtomic(file, tokens);
}

/** Components × (observable, group) heatmap of one checkpoint. */
function plotCheckpoint(dir: string, step: number, results: ComponentResult[], observables: string[]): void {
  const cols = observables.flatMap((obs) => Object.keys(results[0]?.groups[obs] ?? {}).map((g) => ({ obs, g })));
  if (!results.length || !cols.length) return;
  writePng(
    join(dir, 'susceptibility.png'),
    heatmapPng({
      values: results.flatMap((r) => cols.map(({ obs, g }) => r.groups[obs][g].value)),
      rows: results.length,
      cols: cols.length,
      rowLabels: results.map((r) => `${r.name}${Object.values(r.opposite).some(Boolean) ? ' ±' : ''}`),
      colLabels: cols.map(({ obs, g }) => `${g} (${obs})`),
      title: `Susceptibilities at step ${step} (± : opposite signs for correct and incorrect)`,
      colorbarLabel: 'χ',
      xLabel: 'perturbation',
      yLabel: 'component',
      diverging: true,
    }),
  );
}

/** Over the series: each component's χ for each group (the sequence losses), and the components' LLCs. */
function plotSusceptibility(outDir: string, rows: SusceptibilityRow[]): void {
  const steps = rows.map((r) => r.step);
  const names = rows[0].components.map((c) => c.name);
  const groups = Object.keys(rows[0].components[0]?.groups.sequence ?? {});
  for (const g of groups)
    plotOverSteps(
      join(outDir, `susceptibility-${g}.png`),
      names.map((name) => ({ name, xs: steps, ys: rows.map((r) => r.components.find((c) => c.name === name)?.groups.sequence[g].value ?? NaN) })),
      `χ of each component to ${g} samples (sequence losses)`,
      'χ',
    );
  plotOverSteps(
    join(outDir, 'llc-components.png'),
    [{ name: 'full', xs: steps, ys: rows.map((r) => r.full.llc) }, ...names.map((name) => ({ name, xs: steps, ys: rows.map((r) => r.components.find((c) => c.name === name)?.llc ?? NaN) }))],
    'Weight-refined LLC per component',
    'λ̂',
  );
}
