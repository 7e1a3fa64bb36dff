/**
 * Command-line entries of the benchmark, for engine/src/cli.ts to dispatch to:
 *
 *   introspect bench <suite> --models a,b [--lengths 2,4,8] [--n 10] [--out results] [--low-memory] [--device ...]
 *   introspect bench --list
 *   introspect resume <run folder>          continue a crashed or cancelled run
 *   introspect errors <run folder> [--model M] [--min-len N] [--max-len N] [--hops H] [--programs]
 *   introspect compare [results]            cross-model table (CSV + Markdown) over every run folder
 */
import { getSuite, listSuites } from '../../../experiments';
import { intList, MODEL_FLAGS, modelOptions, parse, positiveInt } from '../cliArgs';
import { IntrospectError } from '../errors';
import { isStudyDir, resumeStudy } from '../studies/folders';
import { progressBar } from '../progress';
import { formatErrors, writeComparison } from './analysis';
import { overrideSuite } from './config';
import { benchmarkModelLoader } from './modelLoader';
import { readResults } from './results';
import { resumeExperiment, runSuite, type RunResult } from './runner';
import { ModelPool } from './textModel';

export const BENCH_USAGE =
  'introspect bench <suite> --models DIR[,DIR|oracle|line-heuristic] [--lengths 2,4,8] [--n 10] [--out results] [--low-memory] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16]   (introspect bench --list: the suites)';
export const RESUME_USAGE = 'introspect resume <run or study folder> [--device ...] [--dtype ...]';
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
  const { values: v, positionals } = parse(argv, { device: MODEL_FLAGS.device, dtype: MODEL_FLAGS.dtype }, true);
  if (positionals.length !== 1) throw new IntrospectError('name the run folder to resume', 'run folder');
  if (isStudyDir(positionals[0])) {
    const bar = progressBar('study');
    const s = await resumeStudy(positionals[0], { onProgress: (d, t) => bar(d, t), device: modelOptions(v).device });
    console.log(`${positionals[0]}: ${s.rows.length} of ${s.planned.length} checkpoints done`);
    return;
  }
  const pool = new ModelPool(benchmarkModelLoader(modelOptions(v)));
  try {
    report(await resumeExperiment(positionals[0], { pool, onProgress: progress() }));
  } finally {
    await pool.unloadAll();
  }
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
