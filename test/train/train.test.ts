/**
 * Training end to end on the tiny reference checkpoints: the loss falls, checkpoints are loadable
 * Hugging Face folders, and a run SIGKILLed after a checkpoint resumes to the same result.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LoadedModel } from '../../engine/src/model';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors';
import { checkpointSteps, OPTIMIZER_FILE, SERIES_DIR } from '../../engine/src/train/checkpoint';
import { initialModel } from '../../engine/src/train/initialModel';
import { LOG_FILE, train, type TrainRecord } from '../../engine/src/train/trainer';
import { data, options, start } from './cyclicRun';

const root = mkdtempSync(join(tmpdir(), 'introspect-train-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('training', () => {
  for (const family of ['llama', 'qwen2', 'gpt2']) {
    test(`${family}: the loss falls and held-out accuracy rises`, async () => {
      const s = await start(family);
      const records: TrainRecord[] = [];
      const outDir = join(root, family);
      const { last } = await train(s, data, options(outDir, { onProgress: (r) => records.push(r) }));
      assert.equal(records.length, 30);
      const early = records.slice(0, 3).reduce((a, r) => a + r.loss, 0) / 3;
      const late = records.slice(-3).reduce((a, r) => a + r.loss, 0) / 3;
      assert.ok(late < early * 0.5, `loss ${early} → ${late}`);
      const evals = records.filter((r) => r.evalAccuracy !== undefined);
      assert.equal(evals.length, 3);
      assert.ok(last.evalAccuracy! > evals[0].evalAccuracy! || last.evalAccuracy === 1, `accuracy ${evals.map((r) => r.evalAccuracy)}`);
      assert.deepEqual(checkpointSteps(outDir), [10, 20, 30]);
      assert.ok(existsSync(join(outDir, 'step-30', OPTIMIZER_FILE)), 'the newest checkpoint keeps optimizer state');
      assert.ok(!existsSync(join(outDir, 'step-10', OPTIMIZER_FILE)), 'older checkpoints drop it');
      assert.ok(existsSync(join(outDir, 'training-curve.png')));
      assert.equal(readFileSync(join(outDir, LOG_FILE), 'utf8').trim().split('\n').length, 30);
    });
  }

  test('a developmental series: float16 model folders at the chosen steps, evaluated, with group accuracies', async () => {
    const s = await start('llama');
    const outDir = join(root, 'series');
    const groups = { even: [0, 2, 4, 6], odd: [1, 3, 5, 7] };
    const { last } = await train(s, { ...data, heldOutGroups: groups }, options(outDir, { steps: 12, seriesSteps: [0, 3, 12] }));
    assert.deepEqual(readdirSync(join(outDir, SERIES_DIR)).sort(), ['step-0', 'step-12', 'step-3']);
    const log = readFileSync(join(outDir, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrainRecord);
    assert.deepEqual(log.filter((r) => r.evalAccuracy !== undefined).map((r) => r.step), [3, 10, 12]);
    for (const r of log.filter((r) => r.evalGroups)) assert.equal((r.evalGroups!.even + r.evalGroups!.odd) / 2, r.evalAccuracy);
    const kept = await openSafetensors(join(outDir, SERIES_DIR, 'step-0', 'model.safetensors'));
    try {
      const slot = s.layout.slots[0];
      const w = await kept.readFloat(slot.name);
      assert.equal(kept.header.tensors.get(slot.name)!.dtype, 'F16');
      let d = 0;
      for (let i = 0; i < slot.size; i++) d = Math.max(d, Math.abs(w.data[i] - s.flat[slot.offset + i]));
      assert.ok(d < 1e-3, `step 0 is the initial model (float16): max |Δ| ${d}`);
    } finally {
      await kept.close();
    }
    const model = await LoadedModel.load(join(outDir, SERIES_DIR, 'step-12'), { device: 'cpu', cacheDir: join(root, 'graphs') });
    await model.dispose();
    assert.equal(last.step, 12);
  });

  test('a checkpoint folder loads as a model and predicts what training measured', async () => {
    const dir = join(root, 'llama', 'step-30');
    const model = await LoadedModel.load(dir, { device: 'cpu', cacheDir: join(root, 'graphs') });
    try {
      const rows = data.heldOut!.rows;
      const out = await model.forward(rows.map((r) => r.slice(0, 11)), { logits: 'last' });
      const V = model.spec.vocabSize;
      const right = rows.filter((r, i) => {
        const l = out.logits.data.subarray(i * V, (i + 1) * V);
        return l.indexOf(Math.max(...l)) === r[11];
      }).length;
      const log = readFileSync(join(root, 'llama', LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrainRecord);
      assert.equal(right / rows.length, log[log.length - 1].evalAccuracy);
    } finally {
      await model.dispose();
    }
  });

  test('a run killed (SIGKILL) after a checkpoint resumes to the same parameters', async () => {
    const s = await start('llama');
    const straight = await train(s, data, options(join(root, 'straight'), { steps: 20 }));
    const outDir = join(root, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'cyclicRun.ts'), outDir, '20', '10'], { stdio: 'inherit' });
    let ended = false;
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code))).finally(() => (ended = true));
    while (!checkpointSteps(outDir).includes(10)) {
      assert.ok(!ended, 'the child ended before its first checkpoint');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 400)); // mid-way through the steps after the checkpoint
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.deepEqual(checkpointSteps(outDir), [10]);
    const resumed = await train(s, data, options(outDir, { steps: 20 }));
    let d = 0;
    for (let i = 0; i < s.flat.length; i++) d = Math.max(d, Math.abs(resumed.flat[i] - straight.flat[i]));
    assert.ok(d <= 1e-6, `max |Δ| ${d}`);
    const steps = readFileSync(join(outDir, LOG_FILE), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as TrainRecord).step);
    assert.deepEqual(steps, Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test('a different run in the same folder is refused', async () => {
    const s = await start('llama');
    await assert.rejects(train(s, data, options(join(root, 'killed'), { run: { recipe: 'other' } })), /different run/);
  });
});

describe('initialModel', () => {
  const fresh = { modelType: 'llama' as const, nLayers: 1, dModel: 16, nHeads: 2, dMlp: 32, initStd: 0.02, seed: 3 };

  test('a fresh start is written once as init/ and is what the run starts from', async () => {
    const outDir = join(root, 'init-fresh');
    const a = await initialModel(outDir, fresh);
    assert.ok(existsSync(join(outDir, 'init', 'model.safetensors')));
    const again = await initialModel(outDir, { ...fresh, seed: 4 });
    // No checkpoints yet, so init/ is drawn again: with another seed, other weights.
    assert.notDeepEqual(again.flat, a.flat);
  });

  test('`from` starts from another model folder: its weights, config and tokenizer, copied in as init/', async () => {
    const source = join(root, 'init-source');
    const trained = await initialModel(source, { ...fresh, seed: 5 });
    const outDir = join(root, 'init-from');
    const s = await initialModel(outDir, fresh, join(source, 'init'));
    assert.deepEqual(s.flat, trained.flat);
    assert.equal(s.tokenizerJson, trained.tokenizerJson);
    assert.equal(readFileSync(join(outDir, 'init', 'config.json'), 'utf8'), readFileSync(join(source, 'init', 'config.json'), 'utf8'));
    await assert.rejects(initialModel(join(root, 'init-bad'), fresh, root), /no config\.json there: not a model folder/);
    assert.deepEqual(readdirSync(join(root, 'init-bad')), [], 'nothing half-copied is left');
  });
});
