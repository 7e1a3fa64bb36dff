/**
 * Benchmark: how fast the task library makes programs and how much a benchmark run costs beyond
 * the model itself.
 *
 *   node --import tsx bench/tasks-throughput.ts [--samples 2000] [--model oracle|line-heuristic|<checkpoint dir>]
 *
 * Prints programs/second of every generator (at seqLen 16, binding in the paper format with
 * depth-balanced hops), and the wall time of a variable-binding run (results.jsonl, summary,
 * plot) with the given model, per sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quickExperiment } from '../engine/src/tasks/config';
import { GENERATOR_NAMES, resolveGenerator } from '../engine/src/tasks/generators';
import { benchmarkModelLoader } from '../engine/src/tasks/modelLoader';
import { Rng } from '../engine/src/tasks/rng';
import { runExperiment } from '../engine/src/tasks/runner';
import { ModelPool } from '../engine/src/tasks/textModel';

const { values: args } = parseArgs({
  options: { samples: { type: 'string', default: '2000' }, model: { type: 'string', default: 'oracle' } },
});
const samples = Number(args.samples);

console.log(`generator throughput (seqLen 16, ${samples} programs each)`);
for (const name of GENERATOR_NAMES) {
  const gen = resolveGenerator({ name });
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) gen(16, new Rng(i));
  const ms = performance.now() - t0;
  console.log(`  ${name.padEnd(20)} ${((samples / ms) * 1000).toFixed(0).padStart(9)} programs/s`);
}

async function runBenchmark(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'introspect-bench-tasks-'));
  try {
    const perLength = Math.max(1, Math.floor(samples / 4));
    const config = quickExperiment('bench_binding', 'variable_binding', { name: 'binding' }, {
      models: [args.model!],
      lengths: [4, 8, 12, 16],
      samplesPerLength: perLength,
      maxNewTokens: 3,
    });
    const pool = new ModelPool(benchmarkModelLoader());
    await pool.preload([args.model!]);
    const t0 = performance.now();
    const r = await runExperiment(config, { pool, outDir: out });
    const ms = performance.now() - t0;
    console.log(
      `\nvariable-binding run with ${args.model}: ${r.rows.length} samples in ${(ms / 1000).toFixed(2)} s ` +
        `(${(ms / r.rows.length).toFixed(3)} ms/sample), accuracy ${(r.summary.overall.accuracy * 100).toFixed(1)}%`,
    );
    await pool.unloadAll();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

void runBenchmark();
