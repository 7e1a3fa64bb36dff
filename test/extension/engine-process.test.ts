/**
 * The extension's engine client against the real engine process (dist/engine.js, built here as the
 * extension ships it): requests, typed errors, cancellation mid-trace, a crash mid-request with
 * restart and model reload, and shutdown.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  benchRunRequest,
  EngineErrorCode,
  listResultsRequest,
  listRunnablesRequest,
  loadModelRequest,
  logNotification,
  predictRequest,
  progressNotification,
  statusRequest,
  traceRequest,
} from '../../engine/src/api/protocol';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { CancelledError, EngineExitedError, EngineProcess, EngineRequestError, type EngineState } from '../../extension/src/engine/process';

const REPO = join(__dirname, '..', '..');
const ENGINE = join(REPO, 'dist', 'engine.js');
// A binding chain long enough that a trace takes many batches (progress after each).
const CODE = ['a = 5', 'b = a', 'c = 3', 'd = b', 'e = c', 'f = d', 'g = f', 'h = g'].join('\n');
let tmp: string;
let modelDir: string;

before(async () => {
  await promisify(execFile)(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO });
  tmp = mkdtempSync(join(tmpdir(), 'introspect-engine-test-'));
  modelDir = join(tmp, 'tiny');
  await writeTinyCheckpoint(modelDir, { modelType: 'llama', nLayers: 4, dModel: 32, nHeads: 4, seed: 3 });
}, { timeout: 120_000 });

// Timeouts turn a hang (an engine that never answers) into a failure; this stops whatever engine a
// timed-out test left running, so the run still ends.
const started: EngineProcess[] = [];
after(async () => {
  await Promise.all(started.map((e) => e.stop()));
  rmSync(tmp, { recursive: true, force: true });
});

function engineProcess(opts: ConstructorParameters<typeof EngineProcess>[0]): EngineProcess {
  const e = new EngineProcess(opts);
  started.push(e);
  return e;
}

function engineWithModel(extra: { states?: EngineState[] } = {}): EngineProcess {
  return engineProcess({
    enginePath: ENGINE,
    backoffMs: [50],
    onState: (s) => extra.states?.push(s),
    onStarted: async (e) => {
      await e.requestDuringStart(loadModelRequest, { dir: modelDir, device: 'cpu', dtype: 'float32' });
    },
  });
}

test('requests reach the engine, which loads the model on start and predicts', { timeout: 60_000 }, async () => {
  const logs: string[] = [];
  const engine = engineWithModel();
  engine.onNotification(logNotification, (p) => logs.push(p.message));
  try {
    const status = await engine.request(statusRequest);
    assert.equal(status.pid, engine.pid);
    assert.equal(status.model?.name, 'tiny');
    assert.equal(status.model?.nLayers, 4);
    const p = await engine.request(predictRequest, { code: CODE, variable: 'h', topK: 3 });
    assert.equal(p.top.length, 3);
    assert.ok(p.top[0].prob >= p.top[1].prob && p.top[1].prob >= p.top[2].prob);
    assert.ok(logs.some((l) => /loaded tiny \(llama, 4 layers\) on cpu/.test(l)), logs.join('\n'));
  } finally {
    await engine.stop();
  }
});

test('engine errors arrive typed, naming the field at fault', { timeout: 60_000 }, async () => {
  const engine = engineProcess({ enginePath: ENGINE });
  try {
    await assert.rejects(engine.request(predictRequest, { code: CODE, variable: 'h', topK: 3 }), (err: EngineRequestError) => {
      assert.equal(err.code, EngineErrorCode.NoModel);
      assert.match(err.message, /No model is loaded/);
      return true;
    });
    const missing = join(tmp, 'no-such-model');
    await assert.rejects(engine.request(loadModelRequest, { dir: missing, device: 'cpu', dtype: 'float32' }), (err: EngineRequestError) => {
      assert.ok(err instanceof EngineRequestError);
      assert.equal(err.code, EngineErrorCode.User);
      assert.match(err.message, /no-such-model/);
      return true;
    });
  } finally {
    await engine.stop();
  }
});

test('cancelling a trace after its first progress report stops it; the engine keeps serving', { timeout: 60_000 }, async () => {
  const engine = engineWithModel();
  try {
    await engine.request(statusRequest);
    const source = new CancellationTokenSource();
    let reports = 0;
    engine.onNotification(progressNotification, (p) => {
      if (p.token !== 'cancel-me') return;
      reports++;
      source.cancel();
    });
    await assert.rejects(
      engine.request(traceRequest, { code: CODE, variable: 'h', intervention: 'resid', batchSize: 1, progressToken: 'cancel-me' }, source.token),
      CancelledError,
    );
    assert.ok(reports >= 1); // it was cancelled mid-way: the rejection above means it never finished
    const grid = await engine.request(traceRequest, { code: CODE, variable: 'h', intervention: 'resid' });
    assert.deepEqual(grid.axes, ['layer', 'pos']);
    assert.equal(grid.shape[0], 4);
    assert.equal(grid.metrics.normalized.length, grid.shape[0] * grid.shape[1]);
  } finally {
    await engine.stop();
  }
});

test('a request cancelled while it waits for the engine never runs', { timeout: 60_000 }, async () => {
  const engine = engineWithModel();
  try {
    await engine.request(statusRequest);
    const source = new CancellationTokenSource();
    // The reload holds the engine's one model slot; the predict queues behind it and is cancelled there.
    const reload = engine.request(loadModelRequest, { dir: modelDir, device: 'cpu', dtype: 'float32' });
    const queued = engine.request(predictRequest, { code: CODE, variable: 'h', topK: 3 }, source.token);
    source.cancel();
    await assert.rejects(queued, CancelledError);
    await reload;
  } finally {
    await engine.stop();
  }
});

test('a crash fails the request in flight clearly, then the engine restarts with its model', { timeout: 60_000 }, async () => {
  const states: EngineState[] = [];
  const engine = engineWithModel({ states });
  try {
    const first = (await engine.request(statusRequest)).pid;
    let killed = false;
    engine.onNotification(progressNotification, (p) => {
      if (p.token === 'crash' && !killed) {
        killed = true;
        engine.kill('SIGKILL');
      }
    });
    await assert.rejects(
      engine.request(traceRequest, { code: CODE, variable: 'h', intervention: 'resid', batchSize: 1, progressToken: 'crash' }),
      (err: Error) => {
        assert.ok(err instanceof EngineExitedError);
        assert.match(err.message, /engine stopped \(killed by SIGKILL\) while handling "trace".*restarting/);
        return true;
      },
    );
    const crashed = states.find((s) => s.kind === 'crashed');
    assert.ok(crashed && crashed.kind === 'crashed' && crashed.restartInMs === 50);
    // The next request waits for the restart and finds the model loaded again.
    const status = await engine.request(statusRequest);
    assert.notEqual(status.pid, first);
    assert.equal(status.model?.name, 'tiny');
    assert.equal(engine.currentState.kind, 'ready');
  } finally {
    await engine.stop();
  }
});

test('a benchmark suite runs over a checkpoint and a reference model; its run folders are listed', { timeout: 60_000 }, async () => {
  const engine = engineProcess({ enginePath: ENGINE });
  try {
    const catalog = await engine.request(listRunnablesRequest);
    const binding = catalog.runnables.find((r) => r.id === 'variable-binding');
    assert.ok(binding, catalog.runnables.map((r) => r.id).join(', '));
    assert.ok(catalog.referenceModels.includes('oracle'));
    const resultsDir = join(tmp, 'results');
    const reports: number[] = [];
    engine.onNotification(progressNotification, (p) => p.token === 'bench' && reports.push(p.done / p.total));
    const runs = await engine.request(benchRunRequest, {
      kind: 'suite', id: 'variable-binding', models: [modelDir, 'oracle'], lengths: [2], n: 2,
      resultsDir, device: 'cpu', dtype: 'float32', batchSize: 4, progressToken: 'bench',
    });
    assert.deepEqual(runs.map((r) => r.experiment), binding.experiments);
    for (const r of runs) {
      assert.ok(r.finished);
      assert.deepEqual(r.models, [modelDir, 'oracle']);
      assert.deepEqual(r.lengths, [2]);
      const oracle = r.accuracy.find((p) => p.model === 'oracle');
      assert.deepEqual(oracle && [oracle.correct, oracle.n], [2, 2]); // the interpreter is always right
    }
    assert.ok(reports.length > 2 && reports.every((v, i) => i === 0 || v >= reports[i - 1]), reports.join(' '));
    assert.equal(reports.at(-1), 1);
    const listed = await engine.request(listResultsRequest, { resultsDir });
    assert.deepEqual(listed.map((r) => r.dir).sort(), runs.map((r) => r.dir).sort());
  } finally {
    await engine.stop();
  }
});

test('a benchmark run cancelled after its first progress report ends as cancelled', { timeout: 60_000 }, async () => {
  const engine = engineProcess({ enginePath: ENGINE });
  try {
    const source = new CancellationTokenSource();
    engine.onNotification(progressNotification, (p) => p.token === 'cancel-bench' && source.cancel());
    const params = {
      kind: 'suite' as const, id: 'variable-binding', models: [modelDir], lengths: [2, 3, 4], n: 8,
      resultsDir: join(tmp, 'cancelled'), device: 'cpu' as const, dtype: 'float32' as const, batchSize: 1, progressToken: 'cancel-bench',
    };
    await assert.rejects(engine.request(benchRunRequest, params, source.token), CancelledError);
    // The unfinished run folder is listed as such (it can be resumed).
    const listed = await engine.request(listResultsRequest, { resultsDir: params.resultsDir });
    assert.equal(listed.length, 1);
    assert.equal(listed[0].finished, false);
  } finally {
    await engine.stop();
  }
});

test('stop ends the engine process for good', { timeout: 60_000 }, async () => {
  const engine = engineProcess({ enginePath: ENGINE });
  const pid = (await engine.request(statusRequest)).pid;
  await engine.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(engine.request(statusRequest), /has been stopped/);
  assert.equal(engine.currentState.kind, 'stopped');
});
