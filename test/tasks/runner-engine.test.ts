import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { quickExperiment } from '../../engine/src/tasks/config';
import { EngineTextModel, engineModelLoader } from '../../engine/src/tasks/engineTextModel';
import { getParser } from '../../engine/src/tasks/parsers';
import { TEMPLATES } from '../../engine/src/tasks/prompts';
import { listRunDirs, readResults, rowKey } from '../../engine/src/tasks/results';
import { resumeExperiment, runExperiment } from '../../engine/src/tasks/runner';
import { ModelPool } from '../../engine/src/tasks/textModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-runner-engine-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the runner drives a real engine model (tiny random Qwen3 checkpoint)', async () => {
  const modelDir = join(tmp, 'tiny-qwen3');
  await writeTinyCheckpoint(modelDir, { modelType: 'qwen3', seed: 3 });
  const pool = new ModelPool(engineModelLoader({ device: 'cpu', cacheDir: join(tmp, 'graph-cache') }));
  const config = quickExperiment('engine_run', 'variable_binding', { name: 'binding' }, { models: [modelDir], lengths: [3, 6], samplesPerLength: 3, maxNewTokens: 3, batchSize: 4 });
  const r = await runExperiment(config, { pool, outDir: join(tmp, 'engine') });
  assert.equal(r.rows.length, 6);
  const model = await pool.get(modelDir);
  assert.ok(model instanceof EngineTextModel);
  for (const row of r.rows) {
    // Batched generation in the run equals generating this prompt alone.
    const [alone] = await model.generate([TEMPLATES.variable_binding.render(row.program)], { maxNewTokens: 3 });
    assert.equal(row.raw, alone);
    assert.equal(row.predicted, getParser('binding')(row.raw, { variable: row.metadata.queryVariable as string }));
  }
  await pool.unloadAll();
});

test('an engine run cancelled mid-way resumes to the same rows as an uninterrupted run', async () => {
  const modelDir = join(tmp, 'tiny-gpt2');
  await writeTinyCheckpoint(modelDir, { modelType: 'gpt2', seed: 5 });
  const pool = new ModelPool(engineModelLoader({ device: 'cpu', cacheDir: join(tmp, 'graph-cache') }));
  const config = quickExperiment('engine_cancel', 'variable_binding', { name: 'binding' }, { models: [modelDir], lengths: [4], samplesPerLength: 8, maxNewTokens: 2, batchSize: 2 });
  const ctrl = new AbortController();
  const outDir = join(tmp, 'engine-cancel');
  await assert.rejects(runExperiment(config, { pool, outDir, signal: ctrl.signal, plot: false, onProgress: (done) => done >= 2 && ctrl.abort() }));
  const [runDir] = listRunDirs(outDir);
  const partial = readResults(runDir);
  assert.ok(partial.length >= 2 && partial.length < 8, `partial: ${partial.length}`);
  const resumed = await resumeExperiment(runDir, { pool, plot: false });
  const fresh = await runExperiment(config, { pool, outDir: join(tmp, 'engine-fresh'), plot: false });
  const byKey = (rows: typeof partial) => Object.fromEntries(rows.map((r) => [rowKey(r), r]));
  assert.deepEqual(byKey(resumed.rows), byKey(fresh.rows));
  await pool.unloadAll();
});
