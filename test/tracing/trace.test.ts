/**
 * traceVariable on real (tiny) models: a hand-built model whose answer provably flows through one
 * known position, where every grid must light up exactly there; and a random-init model whose grid
 * values are checked against patched runs done by hand through LoadedModel.forward.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PatchGrid } from '../../engine/src/api/types';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { charTokenizerJson, CODE_CHARS } from '../../engine/src/checkpoint/tokenizerJson';
import { hookName } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';
import { argmax } from '../../engine/src/patching';
import { topK } from '../../engine/src/predict';
import { patchedTopK, prepareTrace, traceVariable } from '../../engine/src/trace';
import { knockoutLogits } from '../../engine/src/tracing/sweeps';
import { COPY_HEAD, COPY_LAYER, writeCopyModel } from './copyModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-trace-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cacheDir = join(tmp, 'cache');

const CODE = 'a = 3\nb = a\nc = 5\nd = b';
const PROMPT = `${CODE}\n#d:`;
/** One token per character, so the root literal's position is its character offset. */
const ROOT_POS = CODE.indexOf('3');
const FINAL_POS = PROMPT.length - 1;

const at = (g: PatchGrid, metric: 'normalized' | 'success' | 'changed', ...index: number[]) => {
  const flat = index.reduce((s, v, k) => s * g.shape[k] + v, 0);
  return g.metrics[metric]![flat];
};

describe('hand-built copy model: the answer flows through one position', () => {
  let model: LoadedModel;
  before(async () => {
    await writeCopyModel(join(tmp, 'copy'), ROOT_POS, FINAL_POS);
    model = await LoadedModel.load(join(tmp, 'copy'), { device: 'cpu', cacheDir });
  });
  after(() => model.dispose());

  test('residual stream grid is ~1 exactly at the root literal up to the copying layer, and at the final position after it', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'resid', batchSize: 32 });
    assert.deepEqual(g.axes, ['layer', 'pos']);
    assert.deepEqual(g.shape, [3, PROMPT.length]);
    assert.equal(g.cleanAnswer.text, '3');
    assert.notEqual(g.cfAnswer.text, '3');
    assert.ok(g.ldCf - g.ldClean > 10, 'the counterfactual moves the answer');
    const lit = (l: number, p: number) => (l <= COPY_LAYER && p === ROOT_POS) || (l > COPY_LAYER && p === FINAL_POS);
    for (let l = 0; l < 3; l++)
      for (let p = 0; p < PROMPT.length; p++) {
        const v = at(g, 'normalized', l, p);
        if (lit(l, p)) {
          assert.ok(Math.abs(v - 1) < 1e-3, `layer ${l} pos ${p}: ${v}`);
          assert.equal(at(g, 'success', l, p), 1);
        } else {
          assert.ok(Math.abs(v) < 1e-3, `layer ${l} pos ${p}: ${v}`);
          assert.equal(at(g, 'success', l, p), 0);
        }
      }
    const root = g.targets!.find((t) => t.label === 'Ref Depth 1 RHS')!;
    assert.equal(root.pos, ROOT_POS);
    assert.equal(g.targets!.find((t) => t.kind === 'final')!.pos, FINAL_POS);
  });

  test('head grid lights up only the copying head; MLP grid is zero', async () => {
    const heads = await traceVariable(model, CODE, 'd', { intervention: 'heads' });
    assert.deepEqual(heads.axes, ['layer', 'head']);
    assert.deepEqual(heads.shape, [3, 2]);
    for (let l = 0; l < 3; l++)
      for (let h = 0; h < 2; h++) {
        const expected = l === COPY_LAYER && h === COPY_HEAD ? 1 : 0;
        assert.ok(Math.abs(at(heads, 'normalized', l, h) - expected) < 1e-3, `layer ${l} head ${h}`);
      }
    const mlp = await traceVariable(model, CODE, 'd', { intervention: 'mlp' });
    assert.ok(mlp.metrics.normalized.every((v) => Math.abs(v) < 1e-6));
  });

  test('knocking out attention from the final position to the root literal flips the answer, and nothing else does', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'knockout' });
    for (let l = 0; l < 3; l++)
      for (let p = 0; p < PROMPT.length; p++)
        assert.equal(at(g, 'changed', l, p), l === COPY_LAYER && p === ROOT_POS ? 1 : 0, `layer ${l} pos ${p}`);
    const ids = model.tokenizer.encodeIds(PROMPT);
    const clean = await knockoutLogits(model, ids, [], []);
    const blocked = await knockoutLogits(model, ids, [0, 1, 2], [ROOT_POS]);
    assert.equal(model.tokenizer.tokenText(argmax(clean)), '3');
    assert.notEqual(model.tokenizer.tokenText(argmax(blocked)), '3');
  });
});

describe('random-init model: grid values equal patched runs done by hand', () => {
  let model: LoadedModel;
  before(async () => {
    await writeTinyCheckpoint(join(tmp, 'llama'), {
      modelType: 'llama',
      nLayers: 2,
      dModel: 32,
      nHeads: 4,
      tokenizerJson: charTokenizerJson(),
      vocabSize: CODE_CHARS.length + 3,
      seed: 7,
    });
    model = await LoadedModel.load(join(tmp, 'llama'), { device: 'cpu', cacheDir });
  });
  after(() => model.dispose());

  /** Last-position logits of the clean prompt with one hook's activation replaced where `mask` is set. */
  async function patchedByHand(hook: ReturnType<typeof hookName>, select: (t: number, h: number) => boolean) {
    const t = prepareTrace(model, CODE, 'd');
    const clean = t.cf.clean.map((s) => s.id);
    const cf = t.cf.counterfactual.map((s) => s.id);
    const ref = await model.forward([cf], { hooks: [hook], logits: 'last' });
    const value = ref.hooks.get(hook)!;
    const T = clean.length;
    const perHead = hook.endsWith('attn.hook_z');
    const H = perHead ? model.spec.nHeads : 1;
    const mask = new Uint8Array(T * H);
    for (let p = 0; p < T; p++) for (let h = 0; h < H; h++) mask[p * H + h] = select(p, h) ? 1 : 0;
    const out = await model.forward([clean], {
      logits: 'last',
      patches: [{ hook, mask, maskShape: perHead ? [1, T, H] : [1, T], value: value.data, valueShape: value.shape }],
    });
    return out.logits.data;
  }

  function expectMetrics(g: PatchGrid, flat: number, logits: Float32Array) {
    const ld = logits[g.cfAnswer.id] - logits[g.cleanAnswer.id];
    assert.ok(Math.abs(g.metrics.ld[flat] - ld) < 1e-4, `ld ${g.metrics.ld[flat]} vs ${ld}`);
    const normalized = (ld - g.ldClean) / (g.ldCf - g.ldClean);
    assert.ok(Math.abs(g.metrics.normalized[flat] - normalized) < 1e-3, `normalized ${g.metrics.normalized[flat]} vs ${normalized}`);
    assert.equal(g.metrics.top1[flat], argmax(logits));
    assert.equal(g.metrics.success[flat], argmax(logits) === g.cfAnswer.id ? 1 : 0);
  }

  test('clean and counterfactual LD come from the unpatched runs', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'resid' });
    const t = prepareTrace(model, CODE, 'd');
    const runs = await model.forward([t.cf.clean.map((s) => s.id), t.cf.counterfactual.map((s) => s.id)], { logits: 'last' });
    const V = model.spec.vocabSize;
    const [c, f] = [runs.logits.data.subarray(0, V), runs.logits.data.subarray(V, 2 * V)];
    assert.ok(Math.abs(g.ldClean - (c[g.cfAnswer.id] - c[g.cleanAnswer.id])) < 1e-4);
    assert.ok(Math.abs(g.ldCf - (f[g.cfAnswer.id] - f[g.cleanAnswer.id])) < 1e-4);
    assert.equal(g.cleanAnswer.text, '3');
    assert.equal(g.cfAnswer.text, t.cf.cfValue);
  });

  test('residual stream cells', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'resid', batchSize: 7 });
    for (const [l, p] of [
      [0, ROOT_POS],
      [1, ROOT_POS],
      [1, FINAL_POS],
      [0, 2],
    ]) {
      const logits = await patchedByHand(hookName(l, 'hook_resid_pre'), (t) => t === p);
      expectMetrics(g, l * g.shape[1] + p, logits);
      const top = await patchedTopK(model, CODE, 'd', { intervention: 'resid', index: [l, p], topK: 3 });
      assert.deepEqual(
        top.map((x) => x.id),
        topK(model, logits, 3).map((x) => x.id),
      );
    }
  });

  test('head cells patch one head at every position', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'heads', batchSize: 3 });
    assert.deepEqual(g.shape, [2, 4]);
    for (const [l, h] of [
      [0, 1],
      [1, 3],
    ]) {
      const logits = await patchedByHand(hookName(l, 'attn.hook_z'), (_, hh) => hh === h);
      expectMetrics(g, l * 4 + h, logits);
    }
  });

  test('head × token cells patch one head at one position', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'heads', positions: [ROOT_POS, FINAL_POS] });
    assert.deepEqual(g.axes, ['layer', 'head', 'pos']);
    assert.deepEqual(g.shape, [2, 4, 2]);
    for (const [l, h, i] of [
      [0, 2, 0],
      [1, 1, 1],
    ]) {
      const pos = [ROOT_POS, FINAL_POS][i];
      const logits = await patchedByHand(hookName(l, 'attn.hook_z'), (t, hh) => t === pos && hh === h);
      expectMetrics(g, (l * 4 + h) * 2 + i, logits);
    }
  });

  test('MLP cells', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'mlp' });
    const logits = await patchedByHand(hookName(1, 'hook_mlp_out'), (t) => t === ROOT_POS);
    expectMetrics(g, g.shape[1] + ROOT_POS, logits);
  });

  test('knockout cells block attention from the final position in one layer', async () => {
    const g = await traceVariable(model, CODE, 'd', { intervention: 'knockout' });
    const ids = model.tokenizer.encodeIds(PROMPT);
    const logits = await knockoutLogits(model, ids, [1], [ROOT_POS]);
    expectMetrics(g, g.shape[1] + ROOT_POS, logits);
    const clean = await knockoutLogits(model, ids, [], []);
    assert.equal(g.metrics.changed![g.shape[1] + ROOT_POS], argmax(logits) === argmax(clean) ? 0 : 1);
  });

  test('restricting layers and positions gives those cells of the full grid', async () => {
    const full = await traceVariable(model, CODE, 'd', { intervention: 'resid' });
    const part = await traceVariable(model, CODE, 'd', { intervention: 'resid', layers: [1], positions: [ROOT_POS, FINAL_POS] });
    assert.deepEqual(part.shape, [1, 2]);
    assert.deepEqual(part.positions, [ROOT_POS, FINAL_POS]);
    const T = full.shape[1];
    assert.ok(Math.abs(part.metrics.ld[0] - full.metrics.ld[T + ROOT_POS]) < 1e-4);
    assert.ok(Math.abs(part.metrics.ld[1] - full.metrics.ld[T + FINAL_POS]) < 1e-4);
  });

  test('bad requests are refused with reasons', async () => {
    await assert.rejects(traceVariable(model, CODE, 'zz', { intervention: 'resid' }), /'zz' is not assigned before the query/);
    await assert.rejects(traceVariable(model, 'x = 2\nwith f:\n    x += 1', 'x', { intervention: 'resid' }), /interpreter.*does not run this code \(line 2: unsupported statement "with f:"\)/);
    await assert.rejects(patchedTopK(model, CODE, 'd', { intervention: 'heads', index: [0, 9], topK: 3 }), /not a cell/);
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(traceVariable(model, CODE, 'd', { intervention: 'resid', signal: ctl.signal }), /cancelled/);
  });
});
