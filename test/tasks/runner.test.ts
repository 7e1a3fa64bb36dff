import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { summarize } from '../../engine/src/tasks/analysis';
import { quickExperiment, type ExperimentConfig } from '../../engine/src/tasks/config';
import { LineHeuristicModel } from '../../engine/src/tasks/heuristicModel';
import { OracleModel } from '../../engine/src/tasks/oracle';
import { getParser } from '../../engine/src/tasks/parsers';
import { PNG } from 'pngjs';
import { CONFIG_FILE, PLOT_FILE, listRunDirs, readResults, RESULTS_FILE, rowKey, SUMMARY_FILE } from '../../engine/src/tasks/results';
import { readSuitePlan, resumeExperiment, resumeRun, runExperiment, runSuite } from '../../engine/src/tasks/runner';
import { ModelPool } from '../../engine/src/tasks/textModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-runner-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Oracle in two phrasings plus the heuristic baseline, loaded by name. */
function referencePool(loaded: string[] = []): ModelPool {
  return new ModelPool(async (name) => {
    loaded.push(name);
    if (name === 'heuristic') return new LineHeuristicModel(name);
    return new OracleModel(name, name.endsWith('sentence') ? 'sentence' : 'bare');
  });
}

function bindingConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return quickExperiment('binding_run', 'variable_binding', { name: 'binding' }, {
    models: ['oracle', 'oracle-sentence', 'heuristic'],
    lengths: [4, 16],
    samplesPerLength: 12,
    batchSize: 5,
    ...overrides,
  });
}

test('a run writes config, one JSONL row per sample and a summary by model × length × hops', async () => {
  const config = bindingConfig();
  const progress: [number, number][] = [];
  const r = await runExperiment(config, { pool: referencePool(), outDir: join(tmp, 'basic'), onProgress: (d, t) => progress.push([d, t]) });
  assert.match(r.runDir, /binding_run_\d{8}_\d{6}$/);
  assert.deepEqual(JSON.parse(readFileSync(join(r.runDir, CONFIG_FILE), 'utf8')), config);
  const rows = readResults(r.runDir);
  assert.equal(rows.length, 3 * 2 * 12);
  assert.equal(new Set(rows.map(rowKey)).size, rows.length);
  for (const row of rows) {
    assert.equal(row.predicted, getParser('binding')(row.raw, { variable: row.metadata.queryVariable as string }));
    assert.equal(row.correct, row.predicted === row.answer);
    assert.equal(row.hops, row.metadata.hops);
    if (row.model.startsWith('oracle')) assert.ok(row.correct, `oracle is always right: ${row.raw}`);
  }
  // The same program for every model: samples depend only on (length, index).
  const programs = (m: string) => rows.filter((x) => x.model === m).map((x) => x.program);
  assert.deepEqual(programs('oracle'), programs('heuristic'));
  const summary = JSON.parse(readFileSync(join(r.runDir, SUMMARY_FILE), 'utf8'));
  assert.deepEqual(summary, summarize(rows, 'binding_run'));
  assert.equal(summary.byModel.oracle.accuracy, 1);
  const heuristicRight = rows.filter((x) => x.model === 'heuristic' && x.correct).length;
  assert.equal(summary.byModel.heuristic.correct, heuristicRight);
  const cellTotal = summary.cells.reduce((a: number, c: { n: number }) => a + c.n, 0);
  assert.equal(cellTotal, rows.length);
  const png = PNG.sync.read(readFileSync(join(r.runDir, PLOT_FILE)));
  assert.ok(png.width > 200 && png.height > 100, 'accuracy plot written');
  assert.deepEqual(progress[progress.length - 1], [rows.length, rows.length]);
  assert.ok(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0]), 'progress never goes back');
});

test('cancelling with an AbortSignal keeps finished rows; resuming finishes without repeats', async () => {
  const config = bindingConfig({ name: 'abort_run', samplesPerLength: 20, batchSize: 3 });
  const ctrl = new AbortController();
  const outDir = join(tmp, 'abort');
  await assert.rejects(
    runExperiment(config, { pool: referencePool(), outDir, signal: ctrl.signal, onProgress: (done) => done >= 30 && ctrl.abort() }),
    { name: 'AbortError' },
  );
  const [runDir] = listRunDirs(outDir);
  const partial = readResults(runDir);
  assert.ok(partial.length >= 30 && partial.length < 120, `partial rows: ${partial.length}`);
  assert.ok(!existsSync(join(runDir, SUMMARY_FILE)) && !existsSync(join(runDir, PLOT_FILE)), 'no summary or plot for an unfinished run');
  const r = await resumeExperiment(runDir, { pool: referencePool() });
  assert.equal(r.skipped, partial.length);
  assert.equal(r.rows.length, 3 * 2 * 20);
  assert.equal(new Set(r.rows.map(rowKey)).size, r.rows.length);
  assert.deepEqual(r.rows.slice(0, partial.length), partial);
  // A fresh, uninterrupted run yields the same rows (order aside).
  const fresh = await runExperiment(config, { pool: referencePool(), outDir: join(tmp, 'abort-fresh') });
  const sort = (rows: typeof partial) => [...rows].sort((a, b) => rowKey(a).localeCompare(rowKey(b)));
  assert.deepEqual(sort(r.rows), sort(fresh.rows));
});

test('a run killed with SIGKILL resumes with nothing lost and nothing duplicated', async () => {
  const outDir = join(tmp, 'killed');
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'run-child.ts'), outDir, '600'], { stdio: 'ignore' });
  let gone = false;
  const exited = new Promise((res) => child.on('exit', res)).then(() => (gone = true));
  // Kill once some dozens of rows are on disk.
  for (;;) {
    await new Promise((res) => setTimeout(res, 5));
    if (gone) assert.fail('the child finished before it could be killed');
    const dirs = listRunDirs(outDir);
    const file = dirs.length ? join(dirs[0], RESULTS_FILE) : '';
    if (file && existsSync(file) && statSync(file).size > 30_000) break;
  }
  child.kill('SIGKILL');
  await exited;
  const [runDir] = listRunDirs(outDir);
  const before = readFileSync(join(runDir, RESULTS_FILE), 'utf8');
  const finished = readResults(runDir);
  const total = 2 * 2 * 600;
  assert.ok(finished.length > 0 && finished.length < total, `killed midway: ${finished.length} of ${total}`);
  const r = await resumeExperiment(runDir, { pool: referencePool(), plot: false });
  assert.equal(r.skipped, finished.length);
  assert.equal(r.rows.length, total);
  assert.equal(new Set(r.rows.map(rowKey)).size, total);
  // Every complete line written before the kill is still there, unchanged, at the start.
  const completeBefore = before.slice(0, before.lastIndexOf('\n') + 1);
  assert.ok(readFileSync(join(runDir, RESULTS_FILE), 'utf8').startsWith(completeBefore));
  assert.ok(r.rows.every((row) => row.correct));
});

test('resuming a folder with another config is refused', async () => {
  const r = await runExperiment(bindingConfig({ name: 'mismatch', samplesPerLength: 1 }), { pool: referencePool(), outDir: join(tmp, 'mismatch') });
  await assert.rejects(
    runExperiment(bindingConfig({ name: 'mismatch', samplesPerLength: 2 }), { pool: referencePool(), runDir: r.runDir }),
    /holds a run of a different config/,
  );
  await assert.rejects(resumeExperiment(join(tmp, 'nowhere'), { pool: referencePool() }), /is not a run folder/);
});

test('models are loaded once and kept; low-memory mode unloads each after use', async () => {
  const loaded: string[] = [];
  const pool = referencePool(loaded);
  await pool.preload(['oracle']);
  const config = bindingConfig({ name: 'pool_run', samplesPerLength: 2 });
  await runExperiment(config, { pool, outDir: join(tmp, 'pool'), plot: false });
  await runExperiment(config, { pool, outDir: join(tmp, 'pool'), plot: false });
  assert.deepEqual(loaded, ['oracle', 'oracle-sentence', 'heuristic']);
  assert.deepEqual(pool.list(), ['oracle', 'oracle-sentence', 'heuristic']);
  assert.equal(await pool.unload('heuristic'), true);
  assert.equal(await pool.unload('heuristic'), false);
  assert.deepEqual(pool.list(), ['oracle', 'oracle-sentence']);
  await pool.unloadAll();
  assert.deepEqual(pool.list(), []);
  await runExperiment(config, { pool, outDir: join(tmp, 'pool'), lowMemory: true, plot: false });
  assert.deepEqual(pool.list(), []);
  assert.equal(loaded.length, 6);
});

test('a torn last line (killed mid-write) is cut off on resume', async () => {
  const config = bindingConfig({ name: 'torn', samplesPerLength: 4 });
  const r = await runExperiment(config, { pool: referencePool(), outDir: join(tmp, 'torn'), plot: false });
  const file = join(r.runDir, RESULTS_FILE);
  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(file, lines.slice(0, 10).join('\n') + '\n' + lines[10].slice(0, 25));
  assert.equal(readResults(r.runDir).length, 10, 'the torn line is not a row');
  const resumed = await resumeExperiment(r.runDir, { pool: referencePool(), plot: false });
  assert.equal(resumed.skipped, 10);
  assert.equal(resumed.rows.length, r.rows.length);
  assert.equal(new Set(resumed.rows.map(rowKey)).size, r.rows.length);
});

test('a suite stopped during its first experiment resumes to its end: every experiment, from any of its folders', async () => {
  const suite = {
    name: 'two_step',
    description: 'two experiments',
    experiments: [1, 2].map((k) => {
      const { models: _m, ...e } = bindingConfig({ name: `part_${k}`, samplesPerLength: 10, batchSize: 2, seed: k });
      return e;
    }),
  };
  const models = ['oracle', 'heuristic'];
  const outDir = join(tmp, 'suite');
  const ctrl = new AbortController();
  await assert.rejects(runSuite(suite, models, { pool: referencePool(), outDir, signal: ctrl.signal, onProgress: (done) => done >= 8 && ctrl.abort() }), { name: 'AbortError' });
  const [first] = listRunDirs(outDir);
  assert.equal(listRunDirs(outDir).length, 1, 'the second experiment never started');
  assert.deepEqual(readSuitePlan(first)!.runDirs, [basename(first), null]);
  const resumed = await resumeRun(first, { pool: referencePool() });
  assert.deepEqual(resumed.runs.map((r) => r.summary.overall.n), [2 * 2 * 10, 2 * 2 * 10]);
  const dirs = listRunDirs(outDir);
  assert.equal(dirs.length, 2);
  for (const d of dirs) assert.deepEqual(readSuitePlan(d)!.runDirs, dirs.map((x) => basename(x)));
  // Resuming a finished suite from its second folder redoes nothing.
  const again = await resumeRun(dirs[1], { pool: referencePool() });
  assert.deepEqual(again.runs.map((r) => r.skipped), [40, 40]);
});
