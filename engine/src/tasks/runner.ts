/**
 * The benchmark runner: every (model, length, sample) of an experiment, results appended to
 * results.jsonl as they finish, summary.json at the end. A run that crashed or was cancelled is
 * resumed by running again with its folder: finished samples are skipped, never repeated.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readJsonFile } from '../checkpoint/folder';
import { IntrospectError } from '../errors';
import { accuracyPlotPng } from '../plot/accuracyPlot';
import { robustSeeds, summarize, type RobustSeeds, type Summary } from './analysis';
import { sampleSeed, validateConfig, type ExperimentConfig, type Suite } from './config';
import { resolveGenerator } from './generators';
import { getParser } from './parsers';
import { getTemplate } from './prompts';
import {
  CONFIG_FILE,
  createRunDir,
  readResults,
  readRunConfig,
  ResultsWriter,
  shardResultsFile,
  ROBUST_SEEDS_FILE,
  rowKey,
  PLOT_FILE,
  SUMMARY_FILE,
  type ResultRow,
} from './results';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { Rng } from './rng';
import type { ModelPool } from './textModel';

export type Progress = (done: number, total: number, message: string) => void;

export interface RunOptions {
  pool: ModelPool;
  /** Where new run folders are created (default "results"). */
  outDir?: string;
  /** Continue this run folder instead of starting a new one. */
  runDir?: string;
  signal?: AbortSignal;
  onProgress?: Progress;
  /** Unload each model once its samples are done (for machines that cannot hold them all). */
  lowMemory?: boolean;
  /** Write accuracy_plot.png at the end (default true). */
  plot?: boolean;
  /** Clock for the folder name. */
  now?: () => Date;
  /** Called once the run folder exists (before any sample runs). */
  onRunDir?: (runDir: string) => void;
  /**
   * Only this block of the run (one job of a run split across jobs): its models and lengths,
   * written to the shard's own results file; no summary (the run's last job writes it).
   */
  shard?: RunShard;
}

export interface RunShard {
  name: string;
  models: string[];
  lengths: number[];
}

export interface RunResult {
  runDir: string;
  summary: Summary;
  rows: ResultRow[];
  /** Samples found already finished in the folder. */
  skipped: number;
}

interface Sample {
  seqLen: number;
  index: number;
  seed: number;
  program: string;
  answer: ResultRow['answer'];
  metadata: ResultRow['metadata'];
  prompt: string;
}

/** Runs (or resumes, with `opts.runDir`) one experiment. */
export async function runExperiment(config: ExperimentConfig, opts: RunOptions): Promise<RunResult> {
  validateConfig(config);
  const runDir = prepareRunDir(config, opts);
  opts.onRunDir?.(runDir);
  const template = getTemplate(config.template);
  const generate = resolveGenerator(config.generator);
  const parse = getParser(config.parser);
  const batchSize = config.batchSize ?? 8;

  const prior = readResults(runDir, true);
  const done = new Set(prior.map(rowKey));
  const shard = opts.shard;
  const models = shard ? config.models.filter((m) => shard.models.includes(m)) : config.models;
  const lengths = shard ? config.lengths.filter((l) => shard.lengths.includes(l)) : config.lengths;
  const total = models.length * lengths.length * config.samplesPerLength;
  const inBlock = (r: Pick<ResultRow, 'model' | 'seqLen'>) => models.includes(r.model) && lengths.includes(r.seqLen);
  const skipped = prior.filter(inBlock).length;
  let finished = skipped;
  const progress = (message: string) => opts.onProgress?.(finished, total, message);
  progress(skipped ? `resuming: ${skipped} samples already done` : 'starting');

  // Programs depend only on (length, sample), so they are made once and shared by all models.
  const samples = lengths.flatMap((seqLen) =>
    Array.from({ length: config.samplesPerLength }, (_, index): Sample => {
      const seed = sampleSeed(config, index);
      const g = generate(seqLen, new Rng(seed));
      const variable = typeof g.metadata.variable === 'string' ? g.metadata.variable : undefined;
      return { seqLen, index, seed, ...g, prompt: template.render(g.program, { variable }) };
    }),
  );

  const writer = new ResultsWriter(runDir, shard ? shardResultsFile(shard.name) : undefined);
  try {
    for (const modelName of models) {
      const pending = samples.filter((s) => !done.has(rowKey({ model: modelName, seqLen: s.seqLen, sample: s.index })));
      if (pending.length === 0) continue;
      opts.signal?.throwIfAborted();
      progress(`loading ${modelName}`);
      const model = await opts.pool.get(modelName);
      for (let i = 0; i < pending.length; i += batchSize) {
        opts.signal?.throwIfAborted();
        const batch = pending.slice(i, i + batchSize);
        const outputs = await model.generate(
          batch.map((s) => s.prompt),
          { maxNewTokens: config.maxNewTokens, ...(config.stop && { stop: config.stop }), ...(opts.signal && { signal: opts.signal }) },
        );
        if (outputs.length !== batch.length) {
          throw new IntrospectError(`returned ${outputs.length} continuations for ${batch.length} prompts`, modelName);
        }
        batch.forEach((s, j) => {
          const variable = s.metadata.queryVariable ?? s.metadata.variable;
          const predicted = parse(outputs[j], typeof variable === 'string' ? { variable } : {});
          writer.append({
            experiment: config.name,
            model: modelName,
            seqLen: s.seqLen,
            sample: s.index,
            seed: s.seed,
            program: s.program,
            answer: s.answer,
            predicted,
            correct: predicted === s.answer,
            raw: outputs[j],
            hops: typeof s.metadata.hops === 'number' ? s.metadata.hops : null,
            metadata: s.metadata,
          });
          finished++;
        });
        progress(`${modelName} len ${batch[batch.length - 1].seqLen}`);
      }
      if (opts.lowMemory) await opts.pool.unload(modelName);
    }
  } finally {
    writer.close();
  }

  const rows = readResults(runDir);
  if (shard) return { runDir, summary: summarize(rows.filter(inBlock), config.name), rows, skipped };
  const summary = summarize(rows, config.name);
  writeJsonAtomic(join(runDir, SUMMARY_FILE), summary);
  if (rows.length && opts.plot !== false) writeFileAtomic(join(runDir, PLOT_FILE), accuracyPlotPng(summary, { title: config.name, xLabel: 'sequence length' }));
  progress('done');
  return { runDir, summary, rows, skipped };
}

/** Continues the run in `runDir` with the config it was started with. */
export async function resumeExperiment(runDir: string, opts: Omit<RunOptions, 'runDir'>): Promise<RunResult> {
  return runExperiment(readRunConfig(runDir), { ...opts, runDir });
}

function prepareRunDir(config: ExperimentConfig, opts: RunOptions): string {
  if (opts.runDir !== undefined) {
    if (existsSync(join(opts.runDir, CONFIG_FILE))) {
      const recorded = readRunConfig(opts.runDir);
      if (canonicalJson(recorded) !== canonicalJson(config)) {
        throw new IntrospectError('holds a run of a different config; resume it with its own config.json', opts.runDir);
      }
      return opts.runDir;
    }
    throw new IntrospectError('is not a run folder (no config.json)', opts.runDir);
  }
  const dir = createRunDir(opts.outDir ?? 'results', config.name, (opts.now ?? (() => new Date()))());
  writeJsonAtomic(join(dir, CONFIG_FILE), config);
  return dir;
}

/** JSON with object keys sorted, so equal configs compare equal whatever their key order. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );
}

export interface SuiteResult {
  suite: string;
  runs: RunResult[];
  /** For suites with `analysis: 'robust-seeds'`, over the rows of all their runs. */
  robustSeeds?: RobustSeeds[];
}

/**
 * A suite's plan, kept in each of its run folders as `suite.json`: the suite as run (overrides
 * applied), its models, and the folder of each experiment once started (by name, beside the one
 * holding the plan), so a suite killed during its first experiment resumes to its last.
 */
export interface SuitePlan {
  suite: Suite;
  models: string[];
  runDirs: (string | null)[];
}

export const SUITE_PLAN_FILE = 'suite.json';

/**
 * The experiments of a suite with the given models, each in its own run folder. Robust-seed
 * suites also write robust_seeds.json into each folder.
 */
export function runSuite(suite: Suite, models: string[], opts: Omit<RunOptions, 'runDir' | 'onRunDir'>): Promise<SuiteResult> {
  return runPlan({ suite, models, runDirs: suite.experiments.map(() => null) }, opts.outDir ?? 'results', opts);
}

/**
 * Every run folder of a suite made up front, with its config and the suite's plan (for a run split
 * across jobs: each job then resumes its own block of a folder). Returns the folders in order.
 */
export function prepareSuite(suite: Suite, models: string[], outDir: string, now = new Date()): string[] {
  const dirs = suite.experiments.map((e) => {
    const config = { ...e, models };
    validateConfig(config);
    const dir = createRunDir(outDir, config.name, now);
    writeJsonAtomic(join(dir, CONFIG_FILE), config);
    return dir;
  });
  const plan: SuitePlan = { suite, models, runDirs: dirs.map((d) => basename(d)) };
  for (const d of dirs) writeJsonAtomic(join(d, SUITE_PLAN_FILE), plan);
  return dirs;
}

/** The plan of the suite `runDir` belongs to, if it belongs to one. */
export function readSuitePlan(runDir: string): SuitePlan | undefined {
  const file = join(runDir, SUITE_PLAN_FILE);
  return existsSync(file) ? (readJsonFile(file) as SuitePlan) : undefined;
}

/** Continues the run in `runDir` — with the rest of its suite, when it belongs to one. */
export async function resumeRun(runDir: string, opts: Omit<RunOptions, 'runDir' | 'onRunDir'>): Promise<SuiteResult> {
  const plan = readSuitePlan(runDir);
  if (!plan) {
    const run = await resumeExperiment(runDir, opts);
    return { suite: readRunConfig(runDir).name, runs: [run] };
  }
  return runPlan(plan, dirname(resolve(runDir)), opts);
}

async function runPlan(plan: SuitePlan, outDir: string, opts: Omit<RunOptions, 'runDir' | 'onRunDir'>): Promise<SuiteResult> {
  const { suite, models } = plan;
  const record = () => {
    for (const d of plan.runDirs) if (d) writeJsonAtomic(join(outDir, d, SUITE_PLAN_FILE), plan);
  };
  const runs: RunResult[] = [];
  for (const [k, e] of suite.experiments.entries()) {
    const known = plan.runDirs[k];
    runs.push(
      await runExperiment(
        { ...e, models },
        {
          ...opts,
          outDir,
          ...(known ? { runDir: join(outDir, known) } : {}),
          onRunDir: (dir) => {
            plan.runDirs[k] = basename(dir);
            record();
          },
        },
      ),
    );
  }
  if (suite.analysis !== 'robust-seeds') return { suite: suite.name, runs };
  const found = robustSeeds(runs.flatMap((r) => r.rows), models);
  for (const r of runs) writeJsonAtomic(join(r.runDir, ROBUST_SEEDS_FILE), robustSeeds(r.rows, models));
  return { suite: suite.name, runs, robustSeeds: found };
}
