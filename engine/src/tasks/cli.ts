/**
 * Command-line entries of the benchmark, for engine/src/cli.ts to dispatch to:
 *
 *   introspect bench <suite> --models a,b [--lengths 2,4,8] [--n 10] [--out results] [--low-memory] [--device ...]
 *   introspect bench --list
 *   introspect resume <run folder>          continue a crashed or cancelled run
 *   introspect errors <run folder> [--model M] [--min-len N] [--max-len N] [--hops H] [--programs]
 *   introspect compare [results]            cross-model table (CSV + Markdown) over every run folder
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getSuite, listSuites } from '../../../experiments';
import { integer, intList, MODEL_FLAGS, modelOptions, parse, positiveInt, required } from '../cliArgs';
import { IntrospectError } from '../errors';
import { isStudyDir, readStudySummary, resumeStudy, runStudyShard } from '../studies/folders';
import { defaultWorkers } from '../studies/workers';
import { printSubmitted, SLURM_FLAGS, SLURM_USAGE, slurmOptions } from '../slurm/cli';
import { resubmit, shardProgress, submitSuite } from '../slurm/runs';
import { progressBar } from '../progress';
import { formatErrors, writeComparison } from './analysis';
import { overrideSuite } from './config';
import { benchmarkModelLoader } from './modelLoader';
import { CONFIG_FILE, readResults, readRunConfig, subfolders, SUMMARY_FILE } from './results';
import { readSuitePlan, resumeRun, runExperiment, runSuite, type RunResult } from './runner';
import { ModelPool } from './textModel';

export const BENCH_USAGE = `introspect bench <suite> --models DIR[,DIR|oracle|line-heuristic] [--lengths 2,4,8] [--n 10] [--out results] [--low-memory] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] ${SLURM_USAGE}   (introspect bench --list: the suites)`;
export const RESUME_USAGE = `introspect resume <run or study folder> [--device ...] [--dtype ...] [--slurm …: resubmit the unfinished shards]   (a results folder: lists what is unfinished; --all resumes it all)`;
export const ERRORS_USAGE = 'introspect errors <run folder> [--model M] [--min-len N] [--max-len N] [--hops H] [--programs] [--limit 20]';
export const COMPARE_USAGE = 'introspect compare [results folder]';

export async function runBenchCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(
    argv,
    {
      device: MODEL_FLAGS.device,
      dtype: MODEL_FLAGS.dtype,
      models: { type: 'string' },
      lengths: { type: 'string' },
      n: { type: 'string' },
      out: { type: 'string', default: 'results' },
      'low-memory': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      ...SLURM_FLAGS,
    },
    true,
  );
  if (v.list) {
    for (const s of listSuites()) console.log(`${s.name.padEnd(20)} ${s.description}`);
    return;
  }
  if (positionals.length !== 1) throw new IntrospectError('name one suite (introspect bench --list shows them)', 'suite');
  if (!v.models) throw new IntrospectError('is required (checkpoint folders, or the built-in oracle / line-heuristic)', '--models');
  const suite = overrideSuite(getSuite(positionals[0]), {
    samplesPerLength: v.n === undefined ? undefined : positiveInt(v.n, '--n'),
    lengths: v.lengths === undefined ? undefined : intList(v.lengths, '--lengths'),
  });
  const models = v.models.split(',').map((m) => m.trim());
  const slurm = slurmOptions(v);
  if (slurm) return printSubmitted(submitSuite(suite, models, v.out!, modelOptions(v), slurm));
  const pool = new ModelPool(benchmarkModelLoader(modelOptions(v)));
  try {
    const r = await runSuite(suite, models, { pool, outDir: v.out, lowMemory: v['low-memory'], onProgress: progress() });
    for (const run of r.runs) report(run);
    if (r.robustSeeds) console.log(`robust seeds written beside each run (${JSON.stringify(r.robustSeeds).length} bytes)`);
  } finally {
    await pool.unloadAll();
  }
}

export async function runResumeCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(
    argv,
    {
      device: MODEL_FLAGS.device,
      dtype: MODEL_FLAGS.dtype,
      all: { type: 'boolean', default: false },
      ...SLURM_FLAGS,
      // One shard of a run split across jobs (what `introspect shard` passes).
      shard: { type: 'string' },
      'shard-models': { type: 'string' },
      'shard-lengths': { type: 'string' },
      'shard-step': { type: 'string' },
      'shard-chain': { type: 'string' },
      'shard-component': { type: 'string' },
    },
    true,
  );
  if (positionals.length !== 1) throw new IntrospectError('name the run, study or results folder to resume', 'folder');
  const target = positionals[0];
  const slurm = slurmOptions(v);
  if (slurm) return printSubmitted(resubmit(target, slurm));
  if (v['shard-step'] !== undefined) {
    const chain = v['shard-chain'] === undefined ? {} : { chain: integer(v['shard-chain'], '--shard-chain') };
    const component = v['shard-component'] === undefined ? {} : { component: v['shard-component'] };
    return runStudyShard(target, { step: integer(v['shard-step'], '--shard-step'), ...chain, ...component }, modelOptions(v).device);
  }
  if (v.shard) {
    const pool = new ModelPool(benchmarkModelLoader(modelOptions(v)));
    try {
      const shard = { name: v.shard, models: required(v['shard-models'], '--shard-models').split(','), lengths: intList(required(v['shard-lengths'], '--shard-lengths'), '--shard-lengths') };
      report(await runExperiment(readRunConfig(target), { pool, runDir: target, shard, onProgress: progress() }));
    } finally {
      await pool.unloadAll();
    }
    return;
  }
  const isRun = existsSync(join(target, CONFIG_FILE));
  if (isRun || isStudyDir(target)) return resumeOne(target, v);
  // A results folder: what in it is unfinished, each named once (a suite's runs resume together).
  const pending = unfinishedIn(target);
  if (pending.length === 0) {
    console.log(`${target}: nothing unfinished`);
    return;
  }
  console.log(`${target}: ${pending.length} unfinished`);
  for (const p of pending) {
    const slurm = shardProgress(p.dir);
    const how = slurm ? `introspect status ${p.dir}   (on Slurm: ${slurm.done}/${slurm.shards} shards done)` : `introspect resume ${p.dir}`;
    console.log(`  ${p.what.padEnd(40)} ${how}`);
  }
  if (!v.all) {
    console.log('(introspect resume --all <results folder> resumes them all here, except runs sent to Slurm)');
    return;
  }
  // A run sent to Slurm may still have shards queued there: resuming it here too would do their work twice.
  for (const p of pending) if (!shardProgress(p.dir)) await resumeOne(p.dir, v);
}

async function resumeOne(dir: string, v: { device?: string; dtype?: string }): Promise<void> {
  if (isStudyDir(dir)) {
    const bar = progressBar('study');
    const s = await resumeStudy(dir, { onProgress: (d, t) => bar(d, t), device: modelOptions(v).device, workers: defaultWorkers() });
    console.log(`${dir}: ${s.rows.length} of ${s.planned.length} checkpoints done`);
    return;
  }
  const pool = new ModelPool(benchmarkModelLoader(modelOptions(v)));
  try {
    for (const run of (await resumeRun(dir, { pool, onProgress: progress() })).runs) report(run);
  } finally {
    await pool.unloadAll();
  }
}

/** Unfinished runs and studies directly under a results folder; runs of one suite appear once. */
function unfinishedIn(root: string): { dir: string; what: string }[] {
  const out: { dir: string; what: string }[] = [];
  const suites = new Set<string>();
  for (const dir of subfolders(root)) {
    if (isStudyDir(dir)) {
      const s = readStudySummary(dir);
      if (!s.finished) out.push({ dir, what: `study ${s.study} (${s.rows.length} checkpoints done)` });
      continue;
    }
    if (!existsSync(join(dir, CONFIG_FILE))) continue;
    const plan = readSuitePlan(dir);
    const key = plan ? JSON.stringify([plan.suite.name, plan.runDirs[0]]) : dir;
    if (suites.has(key)) continue;
    const unfinished = plan ? plan.runDirs.some((d) => !d || !existsSync(join(root, d, SUMMARY_FILE))) : !existsSync(join(dir, SUMMARY_FILE));
    if (!unfinished) continue;
    suites.add(key);
    out.push({ dir, what: plan ? `suite ${plan.suite.name}` : `run ${readRunConfig(dir).name}` });
  }
  return out;
}

export async function runErrorsCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(
    argv,
    {
      model: { type: 'string' },
      'min-len': { type: 'string' },
      'max-len': { type: 'string' },
      hops: { type: 'string' },
      programs: { type: 'boolean', default: false },
      limit: { type: 'string', default: '20' },
    },
    true,
  );
  if (positionals.length !== 1) throw new IntrospectError('name the run folder', 'run folder');
  const opt = (x: string | undefined, flag: string) => (x === undefined ? undefined : positiveInt(x, flag));
  console.log(
    formatErrors(readResults(positionals[0]), {
      model: v.model,
      minLen: opt(v['min-len'], '--min-len'),
      maxLen: opt(v['max-len'], '--max-len'),
      hops: opt(v.hops, '--hops'),
      showPrograms: v.programs,
      limit: positiveInt(v.limit, '--limit'),
    }),
  );
}

export async function runCompareCommand(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {}, true);
  const root = positionals[0] ?? 'results';
  const c = writeComparison(root);
  console.log(c.markdown);
}

function progress() {
  const bar = progressBar('samples');
  return (done: number, total: number) => bar(done, total);
}

function report(run: RunResult): void {
  const s = run.summary;
  console.log(`${run.runDir}: accuracy ${(100 * s.overall.accuracy).toFixed(1)}% of ${s.overall.n} samples${run.skipped ? ` (${run.skipped} resumed from before)` : ''}`);
  for (const p of s.byModelLength) console.log(`  ${p.model}  length ${String(p.length).padStart(3)}: ${(100 * p.accuracy).toFixed(1)}% (n=${p.n})`);
}
