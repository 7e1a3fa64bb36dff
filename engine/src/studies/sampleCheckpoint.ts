/**
 * Sampling one checkpoint: its chains (each recorded as it finishes, so a killed run resumes at
 * the next unfinished chain), then the estimators over the records — the LLC and, with observed
 * samples, BIF matrices — written as `result.json` (which marks the checkpoint done),
 * `bif.safetensors` and diagnostic plots.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SamplingSettings } from '../api/studies';
import type { Device } from '../api/types';
import { writeJsonAtomic } from '../atomicWrite';
import { loadParameters } from '../autodiff/load';
import { writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { type ChainRecord, type ChainSettings, chainSteps, runChain } from '../sampling/chain';
import { readChainRecord, writeChainRecord } from '../sampling/record';
import { parseRestriction } from '../sampling/restriction';
import { defaultNbeta } from '../sampling/sgmcmc';
import { SampleLosses, TransformerTarget } from '../sampling/transformer';
import { type BifResult, bifEstimate } from '../slt/bif';
import { type LlcEstimate, llcEstimate } from '../slt/llc';
import { malaAcceptance } from '../slt/mala';
import { mean } from '../slt/stats';
import { Tokenizer } from '../tokenizer';
import { observedSamples, samplingExamples } from './data/tokenize';
import type { StudySample } from './data/samples';
import { plotBifMatrix, plotChainDiagnostics } from './plots';

/**
 * Defaults calibrated on the embedded model's series (docs/studies.md): RMSProp-SGLD with ε 3e-7
 * and γ 1e4 reaches a flat loss trace and MALA acceptance ~0.86 after ~150 steps; devinterp v2's
 * 4 chains × 200 draws and batch 32. nβ stays devinterp's batch / ln batch unless a study sets it.
 */
export const SAMPLING_DEFAULTS: SamplingSettings = {
  sampler: 'rmsprop-sgld',
  epsilon: 3e-7,
  gamma: 1e4,
  weightDecay: 0,
  noiseLevel: 1,
  alpha: 0.99,
  rmsEps: 0.1,
  chains: 4,
  draws: 200,
  burnIn: 150,
  every: 1,
  batchSize: 32,
  seed: 0,
  initBatches: 32,
  restrict: 'full',
  perToken: false,
  malaEvery: 20,
};

export interface CheckpointResult {
  dir: string;
  initLoss: number;
  nbeta: number;
  /** Coordinates sampled (the restriction's size). */
  sampled: number;
  llc: LlcEstimate;
  /** Mean MALA acceptance over each chain's steps measured after burn-in (NaN when none were). */
  mala: { mean: number; perChain: Record<number, number> };
  /** BIF of the observed samples by observable (`sequence`, `claim`): block means; matrices in bif.safetensors. */
  bif?: Record<string, Omit<BifResult, 'bif' | 'correlation'>>;
  /** Each group's mean loss at θ* by observable: how the checkpoint itself treats the groups. */
  atCenter?: Record<string, Record<string, number>>;
}

export const RESULT_FILE = 'result.json';
export const chainFile = (dir: string, chain: number) => join(dir, `chain-${chain}.safetensors`);

export interface CheckpointHooks {
  /** Record per-token losses of the first this many observed samples only (default: all, when the settings ask for per-token losses). */
  tokenSamples?: number;
  signal?: AbortSignal;
  /** Progress of chain `chain`: its steps done of its total. */
  onChain?: (chain: number, done: number, total: number) => void;
  device?: Device;
}

/** Results already written for this checkpoint folder, if it finished. */
export function finishedResult(outDir: string): CheckpointResult | undefined {
  const file = join(outDir, RESULT_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CheckpointResult) : undefined;
}

export async function sampleCheckpoint(
  modelDir: string,
  sampling: StudySample[],
  observed: StudySample[] | undefined,
  s: SamplingSettings,
  outDir: string,
  hooks: CheckpointHooks = {},
): Promise<CheckpointResult> {
  const done = finishedResult(outDir);
  if (done) return done;
  const run = await openCheckpoint(modelDir, sampling, observed, s, hooks.device);
  const { flat, restriction, target, observer, nbeta } = run;
  try {
    const records = await runChains(run, s, outDir, Array.from({ length: s.chains }, (_, c) => c), hooks);
    const initLoss = await target.initLoss(s.initBatches);
    const llc = llcEstimate(records, initLoss, nbeta);
    const result: CheckpointResult = {
      dir: modelDir,
      initLoss,
      nbeta,
      sampled: restriction.count,
      llc,
      mala: malaAcceptance(records, s.burnIn),
    };
    if (observed && observer) {
      const info = observed.map((o) => ({ group: o.group, pair: o.pair }));
      const center = await observer.observe(flat);
      const matrices: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
      result.bif = {};
      result.atCenter = {};
      for (const obs of ['sequence', 'claim'].filter((k) => k in observer.sizes)) {
        const { bif, correlation, ...rest } = bifEstimate(records, obs, info);
        result.bif[obs] = rest;
        const n = observed.length;
        matrices[`bif.${obs}`] = { dtype: 'float32', shape: [n, n], data: Float32Array.from(bif) };
        matrices[`correlation.${obs}`] = { dtype: 'float32', shape: [n, n], data: Float32Array.from(correlation) };
        result.atCenter[obs] = groupMeans(center[obs], info.map((i) => i.group));
        plotBifMatrix(join(outDir, `bif-${obs}.png`), bif, info, `BIF (−Cov of ${obs} losses over draws)`);
      }
      await writeSafetensors(join(outDir, 'bif.safetensors'), matrices);
    }
    plotChainDiagnostics(outDir, records, initLoss);
    writeJsonAtomic(join(outDir, RESULT_FILE), result);
    return result;
  } finally {
    await run.release();
  }
}

/**
 * One chain of a checkpoint, recorded (one job of a study split across jobs); the estimators run
 * when the study resumes with every chain there.
 */
export async function sampleChain(modelDir: string, sampling: StudySample[], observed: StudySample[] | undefined, s: SamplingSettings, outDir: string, chain: number, hooks: CheckpointHooks = {}): Promise<void> {
  if (!Number.isInteger(chain) || chain < 0 || chain >= s.chains) throw new IntrospectError(`chain ${chain} out of range (the study runs ${s.chains})`, 'chain');
  if (existsSync(chainFile(outDir, chain))) return;
  const run = await openCheckpoint(modelDir, sampling, observed, s, hooks.device);
  try {
    await runChains(run, s, outDir, [chain], hooks);
  } finally {
    await run.release();
  }
}

/** Every chain of a checkpoint under `s` (its restriction), recorded into `outDir` as each finishes; the records, read back where they were written before. */
export async function sampleChains(modelDir: string, sampling: StudySample[], observed: StudySample[] | undefined, s: SamplingSettings, outDir: string, hooks: CheckpointHooks = {}): Promise<ChainRecord[]> {
  const chains = Array.from({ length: s.chains }, (_, c) => c);
  if (chains.every((c) => existsSync(chainFile(outDir, c)))) return Promise.all(chains.map((c) => readChainRecord(chainFile(outDir, c))));
  const run = await openCheckpoint(modelDir, sampling, observed, s, hooks.device, hooks.tokenSamples);
  try {
    return await runChains(run, s, outDir, chains, hooks);
  } finally {
    await run.release();
  }
}

/** A checkpoint loaded for sampling: its parameters, restriction, target and observer. */
async function openCheckpoint(modelDir: string, sampling: StudySample[], observed: StudySample[] | undefined, s: SamplingSettings, device?: Device, tokenSamples?: number) {
  const { layout, flat } = await loadParameters(modelDir);
  const tokenizer = await Tokenizer.fromDir(modelDir);
  const restriction = parseRestriction(s.restrict, layout);
  const nbeta = s.nbeta ?? defaultNbeta(s.batchSize);
  const target = await TransformerTarget.create(layout, flat, samplingExamples(tokenizer, sampling), { batchSize: s.batchSize, seed: s.seed, restriction, device });
  const observer = observed ? await SampleLosses.create(layout, flat, observedSamples(tokenizer, observed), { perToken: s.perToken && (tokenSamples ?? true), device }) : undefined;
  return {
    flat,
    restriction,
    target,
    observer,
    nbeta,
    release: async () => {
      await target.release();
      await observer?.release();
    },
  };
}

/** The chains' records: read where written already, else sampled and written as each finishes. */
async function runChains(run: Awaited<ReturnType<typeof openCheckpoint>>, s: SamplingSettings, outDir: string, chains: number[], hooks: CheckpointHooks): Promise<ChainRecord[]> {
  mkdirSync(outDir, { recursive: true });
  const settings: ChainSettings = { ...s, nbeta: run.nbeta };
  const records: ChainRecord[] = [];
  for (const c of chains) {
    const file = chainFile(outDir, c);
    if (existsSync(file)) {
      records.push(await readChainRecord(file));
      hooks.onChain?.(c, chainSteps(s), chainSteps(s));
      continue;
    }
    const record = await runChain(run.target, run.restriction, settings, c, run.observer ? [run.observer] : [], {
      signal: hooks.signal,
      onStep: (d, t) => hooks.onChain?.(c, d, t),
    });
    await writeChainRecord(file, record);
    records.push(record);
  }
  return records;
}

function groupMeans(values: Float32Array, groups: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of new Set(groups)) out[g] = mean(groups.flatMap((x, i) => (x === g ? [values[i]] : [])));
  return out;
}

/** Checks a folder's recorded settings against this run's: a resumed run must be the same run. */
export function checkSameRun(file: string, settings: unknown): void {
  if (!existsSync(file)) {
    writeJsonAtomic(file, settings);
    return;
  }
  const before = JSON.parse(readFileSync(file, 'utf8'));
  if (JSON.stringify(before) !== JSON.stringify(settings))
    throw new IntrospectError('holds a run with other settings; resume it with the same ones or use another output folder', file);
}
