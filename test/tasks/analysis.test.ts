import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compareModels, errorRows, formatErrors, loadRun, robustSeeds, summarize, writeComparison } from '../../engine/src/tasks/analysis';
import { quickExperiment } from '../../engine/src/tasks/config';
import { LineHeuristicModel } from '../../engine/src/tasks/heuristicModel';
import { OracleModel } from '../../engine/src/tasks/oracle';
import type { ResultRow } from '../../engine/src/tasks/results';
import { runExperiment } from '../../engine/src/tasks/runner';
import { ModelPool } from '../../engine/src/tasks/textModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-analysis-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const pool = new ModelPool(async (name) => (name === 'heuristic' ? new LineHeuristicModel(name) : new OracleModel(name)));
let binding: ResultRow[] = [];
let bindingDir = '';

before(async () => {
  const r = await runExperiment(
    quickExperiment('binding', 'variable_binding', { name: 'binding' }, { models: ['oracle', 'heuristic'], lengths: [5, 16], samplesPerLength: 40 }),
    { pool, outDir: tmp, plot: false },
  );
  binding = r.rows;
  bindingDir = r.runDir;
  await runExperiment(quickExperiment('counting', 'range_tracking', { name: 'counter' }, { models: ['oracle', 'heuristic'], lengths: [3], samplesPerLength: 5 }), {
    pool,
    outDir: tmp,
    plot: false,
  });
});

test('summary counts agree with the rows, split by heuristic reachability', () => {
  const s = summarize(binding, 'binding');
  const h = binding.filter((r) => r.model === 'heuristic');
  assert.equal(s.overall.n, binding.length);
  assert.equal(s.byModel.heuristic.correct, h.filter((r) => r.correct).length);
  for (const hops of [1, 2, 3, 4]) {
    const rows = binding.filter((r) => r.hops === hops);
    assert.equal(s.byHops[String(hops)]?.n ?? 0, rows.length);
  }
  const reachable = binding.filter((r) => (r.metadata.heuristic as { reachable: boolean }).reachable);
  assert.equal(s.byHeuristic!.reachable.n, reachable.length);
  // The heuristic model never solves a program its heuristic cannot reach.
  assert.ok(binding.filter((r) => r.model === 'heuristic' && r.correct).every((r) => reachable.includes(r)));
  assert.equal(summarize([], 'empty').overall.accuracy, 0);
});

test('error analysis filters by model, length range and hops, and shows programs', () => {
  const errs = errorRows(binding, { model: 'heuristic', minLen: 10, hops: 3 });
  assert.ok(errs.length > 0);
  assert.ok(errs.every((r) => r.model === 'heuristic' && r.seqLen >= 10 && r.hops === 3 && !r.correct));
  assert.deepEqual(errorRows(binding, { model: 'oracle' }), []);
  const report = formatErrors(binding, { model: 'heuristic', maxLen: 5, limit: 2 });
  const n = errorRows(binding, { model: 'heuristic', maxLen: 5 }).length;
  assert.ok(report.startsWith(`${n} errors in 40 samples`));
  assert.equal(report.split('\n--- ').length - 1, Math.min(2, n));
  assert.ok(report.includes(errorRows(binding, { model: 'heuristic', maxLen: 5 })[0].program));
  assert.ok(!formatErrors(binding, { model: 'heuristic', showPrograms: false }).includes('\n#'));
});

test('robust seeds are the samples every model answered correctly', () => {
  const found = robustSeeds(binding);
  for (const cell of found) {
    const rows = binding.filter((r) => r.hops === cell.hops && r.seqLen === cell.seqLen);
    const expected = [...new Set(rows.map((r) => r.seed))].filter((seed) => rows.filter((r) => r.seed === seed).every((r) => r.correct)).sort((a, b) => a - b);
    assert.deepEqual(cell.seeds, expected);
    if (expected.length) assert.equal(cell.example!.program, rows.find((r) => r.seed === expected[0])!.program);
  }
  assert.ok(found.some((c) => c.seeds.length > 0));
  // With only the oracle every sample is robust.
  const all = robustSeeds(binding, ['oracle']);
  assert.equal(all.reduce((a, c) => a + c.seeds.length, 0), binding.length / 2);
});

test('cross-model comparison over every run folder, as CSV and Markdown', () => {
  const c = compareModels(tmp);
  assert.deepEqual(
    c.rows.map((r) => [r.experiment, r.model]),
    [
      ['binding', 'oracle'],
      ['binding', 'heuristic'],
      ['counting', 'oracle'],
      ['counting', 'heuristic'],
    ],
  );
  const heur = binding.filter((r) => r.model === 'heuristic');
  const hAcc = heur.filter((r) => r.correct).length / heur.length;
  assert.equal(c.rows[1].accuracy, hAcc);
  assert.equal(c.overall[0].model, 'oracle');
  assert.equal(c.overall[0].accuracy, 1);
  const csv = c.csv.trim().split('\n');
  assert.equal(csv[0], 'model,experiment,n,accuracy');
  assert.equal(csv[2], `heuristic,binding,${heur.length},${hAcc.toFixed(4)}`);
  assert.equal(csv.length, 1 + 4 + 2);
  assert.ok(c.markdown.includes(`| heuristic | binding | ${heur.length} | ${(hAcc * 100).toFixed(1)}% |`));
  assert.equal(loadRun(bindingDir).summary!.overall.n, binding.length);
  writeComparison(tmp);
  assert.equal(readFileSync(join(tmp, 'comparison.csv'), 'utf8'), c.csv);
  assert.equal(readFileSync(join(tmp, 'comparison.md'), 'utf8'), c.markdown);
});
