import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getSuite, listSuites } from '../../experiments';
import { overrideSuite, validateConfig, type Suite } from '../../engine/src/tasks/config';
import { LineHeuristicModel } from '../../engine/src/tasks/heuristicModel';
import { OracleModel } from '../../engine/src/tasks/oracle';
import { benchmarkModelLoader } from '../../engine/src/tasks/modelLoader';
import { ROBUST_SEEDS_FILE } from '../../engine/src/tasks/results';
import { runSuite } from '../../engine/src/tasks/runner';
import { ModelPool } from '../../engine/src/tasks/textModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-suites-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const pool = new ModelPool(async (name) => (name === 'heuristic' ? new LineHeuristicModel(name) : new OracleModel(name)));

test('overrideSuite changes every experiment and only the given settings', () => {
  const s = overrideSuite(getSuite('range-simple'), { samplesPerLength: 3, seed: undefined });
  assert.ok(s.experiments.every((e, i) => e.samplesPerLength === 3 && e.seed === getSuite('range-simple').experiments[i].seed));
  assert.equal(getSuite('range-simple').experiments[0].samplesPerLength, 100, 'the registered suite is untouched');
});

test('benchmarkModelLoader gives the reference models by name', async () => {
  const load = benchmarkModelLoader();
  const [answer] = await (await load('oracle')).generate(['a = 4\nb = a\n#b:'], { maxNewTokens: 3 });
  assert.equal(answer, ' 4\n');
  assert.ok((await load('line-heuristic')) instanceof LineHeuristicModel);
  await assert.rejects(load(join(tmp, 'no-such-model')));
});

/** The suite with 2 samples per length, so a test can run all of it. */
function small(s: Suite): Suite {
  return overrideSuite(s, { samplesPerLength: 2 });
}

test('the seed suites and program-kinds are listed and found by name', () => {
  assert.deepEqual(
    listSuites().map((s) => s.name),
    ['boolean-simple', 'integer-simple', 'range-simple', 'boolean-advanced', 'variable-binding', 'robust-seeds', 'program-kinds'],
  );
  assert.equal(getSuite('robust-seeds').analysis, 'robust-seeds');
  assert.throws(() => getSuite('variable-bindng'), /unknown suite "variable-bindng" \(did you mean "variable-binding"\?/);
  for (const s of listSuites()) for (const e of s.experiments) validateConfig({ ...e, models: ['m'] }, `${s.name}/${e.name}`);
});

test('every suite runs end to end and the oracle answers all of it', async () => {
  for (const suite of listSuites()) {
    const r = await runSuite(small(suite), ['oracle'], { pool, outDir: join(tmp, suite.name), plot: false });
    assert.equal(r.runs.length, suite.experiments.length);
    for (const run of r.runs) {
      assert.equal(run.summary.overall.accuracy, 1, `${suite.name}/${run.summary.experiment}`);
      const e = suite.experiments.find((x) => x.name === run.summary.experiment)!;
      assert.equal(run.rows.length, e.lengths.length * 2);
    }
  }
});

test('the robust-seeds suite reports, per hops and length, the seeds all models solve', async () => {
  const r = await runSuite(small(getSuite('robust-seeds')), ['oracle', 'heuristic'], { pool, outDir: join(tmp, 'robust'), plot: false });
  assert.ok(r.robustSeeds);
  assert.deepEqual(
    r.robustSeeds.map((c) => [c.experiment, c.hops, c.seqLen]),
    [1, 2, 3].flatMap((h) => [5, 17].map((n) => [`robust_seeds_hops${h}`, h, n])),
  );
  for (const cell of r.robustSeeds) {
    const rows = r.runs.flatMap((x) => x.rows).filter((x) => x.experiment === cell.experiment && x.seqLen === cell.seqLen);
    const heuristicRight = rows.filter((x) => x.model === 'heuristic' && x.correct).map((x) => x.seed);
    assert.deepEqual(cell.seeds, heuristicRight.sort((a, b) => a - b));
  }
  for (const run of r.runs) assert.ok(existsSync(join(run.runDir, ROBUST_SEEDS_FILE)));
  const first = JSON.parse(readFileSync(join(r.runs[0].runDir, ROBUST_SEEDS_FILE), 'utf8'));
  assert.deepEqual(first, r.robustSeeds.filter((c) => c.experiment === 'robust_seeds_hops1'));
});
