/**
 * Attribution patching: each cell's estimate is the directional derivative of LD along the
 * counterfactual's change of that cell (checked by patching a small step of it for real), and on
 * the hand-built copy model it picks out exactly the cells real patching does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { charTokenizerJson, CODE_CHARS } from '../../engine/src/checkpoint/tokenizerJson';
import { hookName } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';
import { prepareTrace, traceGrid } from '../../engine/src/trace';
import { attributionGrid, pearson } from '../../engine/src/tracing/attribution';
import { writeCopyModel } from './copyModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-attr-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cacheDir = join(tmp, 'cache');
const CODE = 'a = 3\nb = a\nc = 5\nd = b';
const PROMPT = `${CODE}\n#d:`;

test('estimates are the derivative of LD along the counterfactual change of each cell', async () => {
  await writeTinyCheckpoint(join(tmp, 'gpt2'), {
    modelType: 'gpt2',
    nLayers: 2,
    dModel: 32,
    nHeads: 4,
    tokenizerJson: charTokenizerJson(),
    vocabSize: CODE_CHARS.length + 3,
    seed: 11,
  });
  const model = await LoadedModel.load(join(tmp, 'gpt2'), { device: 'cpu', cacheDir });
  try {
    const t = prepareTrace(model, CODE, 'd');
    const real = await traceGrid(model, t, { intervention: 'resid' });
    const answer = { clean: real.cleanAnswer.id, cf: real.cfAnswer.id };
    const est = await attributionGrid(model, t, 'resid', answer);
    assert.deepEqual(est.shape, real.shape);
    assert.ok(Math.abs(est.ldClean - real.ldClean) < 1e-4 && Math.abs(est.ldCf - real.ldCf) < 1e-4);

    const clean = t.cf.clean.map((s) => s.id);
    const cf = t.cf.counterfactual.map((s) => s.id);
    const T = clean.length;
    const eps = 1e-2;
    for (const [l, p] of [
      [0, CODE.indexOf('3')],
      [1, T - 1],
      [1, 5],
    ]) {
      const hook = hookName(l, 'hook_resid_pre');
      const acts = await model.forward([clean, cf], { hooks: [hook], logits: 'last' });
      const a = acts.hooks.get(hook)!;
      const D = a.shape[2];
      // The clean activation with cell (l, p) moved a small step towards the counterfactual's.
      const value = a.data.slice(0, T * D);
      for (let d = 0; d < D; d++) value[p * D + d] += eps * (a.data[T * D + p * D + d] - a.data[p * D + d]);
      const mask = new Uint8Array(T).fill(1);
      const out = await model.forward([clean], { logits: 'last', patches: [{ hook, mask, maskShape: [1, T], value, valueShape: [1, T, D] }] });
      const ld = out.logits.data[answer.cf] - out.logits.data[answer.clean];
      const slope = (ld - real.ldClean) / eps;
      const estimate = est.ld[l * T + p] - est.ldClean;
      assert.ok(Math.abs(slope - estimate) < 0.02 * Math.max(1, Math.abs(estimate)), `layer ${l} pos ${p}: slope ${slope} vs estimate ${estimate}`);
    }
    await assert.rejects(attributionGrid(model, t, 'knockout', answer), /not knockouts/);
  } finally {
    await model.dispose();
  }
});

test('on the copy model the estimate singles out the same cells as real patching', async () => {
  await writeCopyModel(join(tmp, 'copy'), CODE.indexOf('3'), PROMPT.length - 1);
  const model = await LoadedModel.load(join(tmp, 'copy'), { device: 'cpu', cacheDir });
  try {
    const t = prepareTrace(model, CODE, 'd');
    for (const intervention of ['resid', 'heads'] as const) {
      const real = await traceGrid(model, t, { intervention });
      const est = await attributionGrid(model, t, intervention, { clean: real.cleanAnswer.id, cf: real.cfAnswer.id });
      const lit = (xs: number[]) => xs.flatMap((x, i) => (Math.abs(x) > 0.1 ? [i] : []));
      assert.deepEqual(lit(est.normalized), lit(real.metrics.normalized), intervention);
      assert.ok(pearson(est.normalized, real.metrics.normalized) > 0.99, intervention);
    }
  } finally {
    await model.dispose();
  }
});
