/**
 * The batch causal-tracing experiment (the seed's `full_token_layer_patching`): many seeded
 * variable binding programs in the paper's format (arXiv 2505.20896), for every (assignment lines,
 * hops) pair; each traced with every chosen intervention. Writes, after every program and
 * atomically, `intervention_results.json` (every program, every cell) and `patch_results.json`
 * (averages by target × layer and layer × head); a rerun into the same folder with the same config
 * resumes where it stopped. Heatmap PNGs of the averages are written at the end, and of each
 * program's grids as it finishes when `programPlots` is on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Intervention, ModelInfo, PatchGrid, TokenSpan, TraceTarget } from '../api/types';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import type { LoadedModel } from '../model';
import { bindingProgram } from '../tasks/binding';
import { Rng } from '../tasks/rng';
import { traceGrid } from '../trace';
import { type AggregateFilter, aggregate, counted, type InterventionAggregate } from './aggregate';
import { Attributor, compareWithPatching } from './attribution';
import { traceProgram } from './chain';
import { makeCounterfactual } from './counterfactual';
import { aggregateHeatmapPng, gridHeatmapPng, interventionTitle, type PlotMetric } from './heatmaps';
import { traceTargets } from './targets';

export interface TraceExperimentConfig {
  /** Assignment lines per program (the paper: 16). */
  seqLens: number[];
  /** Hops of the queried variable (1..4). */
  hops: number[];
  /** Programs per (seqLen, hops). */
  programs: number;
  seed: number;
  interventions: Intervention[];
  /** Patch every token (full heatmaps) or only the targets (chain right-hand sides, query, final). */
  positions: 'targets' | 'all';
  filter: AggregateFilter;
  batchSize: number;
  /** Write a heatmap PNG per program and intervention. */
  programPlots: boolean;
  /** Also estimate each grid by attribution patching and record its correlation with real patching. */
  attribution: boolean;
}

export const DEFAULT_EXPERIMENT: TraceExperimentConfig = {
  seqLens: [16],
  hops: [1, 2, 3],
  programs: 10,
  seed: 0,
  interventions: ['resid'],
  positions: 'targets',
  filter: { excludeHeuristic: true, requireCorrect: true },
  batchSize: 64,
  programPlots: false,
  attribution: false,
};

export type ProgramGrid = Omit<PatchGrid, 'tokens' | 'prompt' | 'cfPrompt' | 'targets'> & {
  /** Attribution patching's normalized estimate at the same cells, and its Pearson r with `metrics.normalized`. */
  attribution?: { normalized: number[]; r: number };
};

export interface ProgramRecord {
  id: string;
  seed: number;
  seqLen: number;
  hops: number;
  prompt: string;
  variable: string;
  answer: number;
  /** The line-1/line-2 heuristic answers this program right. */
  heuristic: boolean;
  status: 'done' | 'skipped';
  /** Why a program was skipped (no counterfactual lines up with it). */
  reason?: string;
  cfPrompt?: string;
  tokens?: TokenSpan[];
  targets?: TraceTarget[];
  grids?: Partial<Record<Intervention, ProgramGrid>>;
}

export interface InterventionResultsFile {
  model: ModelInfo;
  config: TraceExperimentConfig;
  programs: ProgramRecord[];
}

export interface PatchResultsFile {
  model: ModelInfo;
  config: TraceExperimentConfig;
  counts: { planned: number; done: number; skipped: number; heuristic: number; wrong: Partial<Record<Intervention, number>> };
  aggregates: InterventionAggregate[];
  /** The same averages per number of hops. */
  byHops: Record<string, InterventionAggregate[]>;
  /** Mean Pearson r of attribution patching with real patching over the programs counted (with `attribution`). */
  attribution?: Partial<Record<Intervention, { n: number; meanR: number }>>;
}

export interface ExperimentRunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  log?: (message: string) => void;
  /**
   * Only this block of programs (one job of a run split across jobs), recorded in the shard's own
   * `intervention_results.<name>.json`; the run's last job, with no shard, writes the summaries.
   */
  shard?: { name: string; seqLens: number[]; hops: number[] };
}

export const INTERVENTION_RESULTS = 'intervention_results.json';
const shardRecordsFile = (shard: string) => `intervention_results.${shard}.json`;
const RECORDS_FILE = /^intervention_results(\.[\w-]+)?\.json$/;
export const PATCH_RESULTS = 'patch_results.json';

interface Planned {
  id: string;
  seed: number;
  seqLen: number;
  hops: number;
}

/** Every program of the experiment, each with its own seed, so any one can be rebuilt alone. */
export function plannedPrograms(c: TraceExperimentConfig): Planned[] {
  const out: Planned[] = [];
  for (const seqLen of c.seqLens)
    for (const hops of c.hops)
      for (let i = 0; i < c.programs; i++)
        out.push({ id: `len${seqLen}-hops${hops}-${i}`, seed: mixSeed([c.seed, Math.floor(c.seed / 2 ** 32), seqLen, hops, i]), seqLen, hops });
  return out;
}

/** FNV-1a over 32-bit words: distinct, well-spread program seeds for any experiment seed. */
function mixSeed(words: number[]): number {
  let h = 0x811c9dc5;
  for (const w of words) {
    h = Math.imul(h ^ (w | 0), 0x01000193) >>> 0;
  }
  return h;
}

export async function runTraceExperiment(
  model: LoadedModel,
  outDir: string,
  config: TraceExperimentConfig,
  o: ExperimentRunOptions = {},
): Promise<PatchResultsFile> {
  checkConfig(config);
  const shard = o.shard;
  const planned = plannedPrograms(config).filter((p) => !shard || (shard.seqLens.includes(p.seqLen) && shard.hops.includes(p.hops)));
  const ids = new Set(planned.map((p) => p.id));
  const records = resume(outDir, model.info, config).filter((r) => ids.has(r.id));
  const done = new Set(records.map((r) => r.id));
  o.onProgress?.(done.size, planned.length);
  const recordsFile = join(outDir, shard ? shardRecordsFile(shard.name) : INTERVENTION_RESULTS);
  const attributor = config.attribution ? await Attributor.create(model) : undefined;
  try {
    for (const p of planned) {
      if (done.has(p.id)) continue;
      if (o.signal?.aborted) throw new IntrospectError('cancelled');
      const record = await traceOne(model, p, config, attributor, o.signal);
      records.push(record);
      if (record.status === 'skipped') o.log?.(`${p.id}: skipped (${record.reason})`);
      if (config.programPlots && record.grids) writeProgramPlots(outDir, record);
      writeJsonAtomic(recordsFile, { model: model.info, config, programs: records } satisfies InterventionResultsFile);
      if (!shard) writeJsonAtomic(join(outDir, PATCH_RESULTS), summarize(model.info, config, planned.length, records));
      o.onProgress?.(records.length, planned.length);
    }
  } finally {
    await attributor?.release();
  }
  const summary = summarize(model.info, config, planned.length, records);
  if (shard) return summary;
  // A run finished by its last job holds the shards' records too: the whole run in one file, in plan order.
  const order = new Map(planned.map((p, i) => [p.id, i]));
  records.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  writeJsonAtomic(recordsFile, { model: model.info, config, programs: records } satisfies InterventionResultsFile);
  writeJsonAtomic(join(outDir, PATCH_RESULTS), summary);
  writeAggregatePlots(outDir, summary);
  return summary;
}

async function traceOne(model: LoadedModel, p: Planned, c: TraceExperimentConfig, attributor?: Attributor, signal?: AbortSignal): Promise<ProgramRecord> {
  const rng = new Rng(p.seed);
  const g = bindingProgram(p.seqLen, rng, { hops: p.hops });
  const code = g.program.split('\n').slice(0, -1).join('\n');
  const program = traceProgram(code, g.metadata.queryVariable);
  const base = {
    id: p.id,
    seed: p.seed,
    seqLen: p.seqLen,
    hops: p.hops,
    prompt: program.prompt,
    variable: program.variable,
    answer: g.answer,
    heuristic: g.metadata.heuristic.reachable,
  };
  const cf = makeCounterfactual(model.tokenizer, program, rng);
  if (!cf.ok) return { ...base, status: 'skipped', reason: cf.reason };
  const targets = traceTargets(program, cf.clean);
  const positions = c.positions === 'targets' ? [...new Set(targets.map((t) => t.pos))].sort((a, b) => a - b) : undefined;
  const grids: ProgramRecord['grids'] = {};
  for (const intervention of c.interventions) {
    const prepared = { prompt: program.prompt, cf, targets };
    const grid = await traceGrid(
      model,
      prepared,
      // Head grids patch each head at every position at once (layer × head).
      { intervention, positions: intervention === 'heads' ? undefined : positions, batchSize: c.batchSize, signal },
    );
    const { tokens: _t, prompt: _p, cfPrompt: _c, targets: _g, ...rest } = grid;
    const estimate =
      attributor && intervention !== 'knockout'
        ? compareWithPatching(await attributor.grid(prepared, intervention, { clean: grid.cleanAnswer.id, cf: grid.cfAnswer.id }), grid)
        : undefined;
    grids[intervention] = estimate ? { ...rest, attribution: estimate } : rest;
  }
  return { ...base, status: 'done', cfPrompt: cf.cfPrompt, tokens: cf.clean, targets, grids };
}

/** Records of an earlier run of the same config in `outDir` (its shards' too); none if there is no earlier run. */
function resume(outDir: string, model: ModelInfo, config: TraceExperimentConfig): ProgramRecord[] {
  if (!existsSync(outDir)) return [];
  const seen = new Set<string>();
  const out: ProgramRecord[] = [];
  for (const f of readdirSync(outDir).filter((x) => RECORDS_FILE.test(x)).sort()) {
    const path = join(outDir, f);
    let prior: InterventionResultsFile;
    try {
      prior = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new IntrospectError(`cannot resume: not valid JSON (${(e as Error).message})`, path);
    }
    if (JSON.stringify(prior.config) !== JSON.stringify(config))
      throw new IntrospectError('holds a run with a different config; resume with the same settings or choose another output folder', path);
    if (prior.model?.dir !== model.dir || prior.model?.dtype !== model.dtype)
      throw new IntrospectError(`holds a run of another model (${prior.model?.dir}, ${prior.model?.dtype})`, path);
    for (const r of prior.programs) if (!seen.has(r.id)) (seen.add(r.id), out.push(r));
  }
  return out;
}

function summarize(model: ModelInfo, config: TraceExperimentConfig, planned: number, records: ProgramRecord[]): PatchResultsFile {
  const doneRecs = records.filter((r) => r.status === 'done');
  const outcomes = (rs: ProgramRecord[]) => rs.map((r) => ({ heuristic: r.heuristic, targets: r.targets ?? [], grids: r.grids ?? {} }));
  const aggs = (rs: ProgramRecord[]) => config.interventions.map((i) => aggregate(outcomes(rs), i, config.filter));
  const wrong: Partial<Record<Intervention, number>> = {};
  for (const i of config.interventions)
    wrong[i] = doneRecs.filter((r) => {
      const g = r.grids?.[i];
      return g && (g.cleanTop1?.id !== g.cleanAnswer.id || g.cfTop1?.id !== g.cfAnswer.id);
    }).length;
  return {
    model,
    config,
    counts: {
      planned,
      done: doneRecs.length,
      skipped: records.length - doneRecs.length,
      heuristic: doneRecs.filter((r) => r.heuristic).length,
      wrong,
    },
    aggregates: aggs(doneRecs),
    byHops: Object.fromEntries(config.hops.map((h) => [String(h), aggs(doneRecs.filter((r) => r.hops === h))])),
    attribution: config.attribution ? attributionSummary(config, doneRecs) : undefined,
  };
}

function attributionSummary(config: TraceExperimentConfig, records: ProgramRecord[]): PatchResultsFile['attribution'] {
  const out: PatchResultsFile['attribution'] = {};
  for (const i of config.interventions) {
    if (i === 'knockout') continue;
    const rs = records.flatMap((r) => {
      const g = r.grids?.[i];
      const outcome = { heuristic: r.heuristic, targets: r.targets ?? [], grids: r.grids ?? {} };
      return g?.attribution && Number.isFinite(g.attribution.r) && counted(outcome, g, config.filter) ? [g.attribution.r] : [];
    });
    out[i] = { n: rs.length, meanR: rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : NaN };
  }
  return out;
}

const PLOT_METRICS: PlotMetric[] = ['normalized', 'success'];

function writeProgramPlots(outDir: string, r: ProgramRecord): void {
  for (const [intervention, grid] of Object.entries(r.grids ?? {}) as [Intervention, ProgramGrid][]) {
    const png = gridHeatmapPng({ ...grid, tokens: r.tokens ?? [] }, 'normalized', `${r.id}: ${interventionTitle(intervention)}, #${r.variable} = ${r.answer}`);
    writeFileAtomic(join(outDir, 'programs', `${r.id}_${intervention}.png`), png);
  }
}

function writeAggregatePlots(outDir: string, s: PatchResultsFile): void {
  for (const agg of s.aggregates) {
    if (agg.n === 0) continue;
    for (const metric of PLOT_METRICS) {
      const title = `${interventionTitle(agg.intervention)}: mean ${metric} over ${agg.n} programs (${s.model.name})`;
      writeFileAtomic(join(outDir, `heatmap_${agg.intervention}_${metric}.png`), aggregateHeatmapPng(agg, metric, title));
    }
  }
}

function checkConfig(c: TraceExperimentConfig): void {
  const ints = (xs: number[], field: string, lo: number, hi: number) => {
    if (!Array.isArray(xs) || xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= lo && x <= hi))
      throw new IntrospectError(`must be a non-empty list of integers in ${lo}..${hi}, got ${JSON.stringify(xs)}`, field);
  };
  ints(c.seqLens, 'seqLens', 1, 26);
  ints(c.hops, 'hops', 1, 4);
  for (const s of c.seqLens) for (const h of c.hops) if (h > s) throw new IntrospectError(`${h} hops need at least ${h} lines, got ${s}`, 'hops');
  if (!Number.isInteger(c.programs) || c.programs < 1) throw new IntrospectError(`must be a positive integer, got ${c.programs}`, 'programs');
  for (const i of c.interventions)
    if (!['resid', 'heads', 'mlp', 'knockout'].includes(i)) throw new IntrospectError(`unknown intervention "${i}" (resid, heads, mlp, knockout)`, 'interventions');
  if (c.positions !== 'targets' && c.positions !== 'all') throw new IntrospectError(`must be "targets" or "all", got ${c.positions}`, 'positions');
}
