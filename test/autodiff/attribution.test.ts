/**
 * Gradients with respect to hook activations, as attribution patching uses them: d(logit
 * difference)/d(activation) from the gradient graph against finite differences taken through the
 * engine's own inference path (patching the activation with a nudged copy of itself).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeBatch } from '../../engine/src/autodiff/batch';
import { loadParameters } from '../../engine/src/autodiff/load';
import { METRIC_WEIGHTS_INPUT, weightedLogitsMetric } from '../../engine/src/autodiff/loss';
import { buildLossGraph } from '../../engine/src/autodiff/lossGraph';
import { LossRunner } from '../../engine/src/autodiff/runner';
import type { BlockHookName } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';
import { uniform } from './finiteDifference';
import { REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-attr-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

for (const family of ['qwen3', 'gpt_neox']) {
  test(`${family}: d logit-difference / d hook matches finite differences through patching`, async () => {
    const dir = join(FIXTURES, family);
    const { layout, flat } = await loadParameters(dir);
    const V = layout.spec.vocabSize;
    const row = [5, 17, 23, 9, 17, 40, 12, 33, 5, 61];
    const T = row.length;
    const [good, bad] = [20, 30];
    const hooks: BlockHookName[] = ['blocks.0.hook_resid_post', 'blocks.1.attn.hook_z', 'blocks.1.hook_mlp_out'];
    const w = new Float32Array(T * V);
    w[(T - 1) * V + good] = 1;
    w[(T - 1) * V + bad] = -1;
    const runner = await LossRunner.create(buildLossGraph(layout, flat, { params: [], hooks, metric: weightedLogitsMetric }), layout.size);
    const model = await LoadedModel.load(dir, { device: 'cpu', cacheDir });
    try {
      const out = await runner.run(flat, makeBatch([row]), { extra: { [METRIC_WEIGHTS_INPUT]: new ort.Tensor('float32', w, [1, T, V]) } });
      const metric = (logits: Float32Array) => logits[good] - logits[bad];
      const clean = await model.forward([row], { hooks, logits: 'last' });
      assert.ok(Math.abs(metric(clean.logits.data) - out.loss) < 1e-4, 'the metric itself');
      for (const h of hooks) {
        const act = clean.hooks.get(h)!;
        const g = out.hooks.get(h)!;
        const D = act.shape[2];
        const pos = 4;
        const dir = Float32Array.from(uniform(D, 11));
        const eps = 1e-2;
        const nudged = async (sign: number) => {
          const value = Float32Array.from(act.data);
          for (let k = 0; k < D; k++) value[pos * D + k] += sign * eps * dir[k];
          const perHead = h.endsWith('hook_z');
          const mask = new Uint8Array(perHead ? T * layout.spec.nHeads : T).fill(1);
          const res = await model.forward([row], {
            logits: 'last',
            patches: [{ hook: h, mask, maskShape: perHead ? [1, T, layout.spec.nHeads] : [1, T], value, valueShape: [1, T, D] }],
          });
          return metric(res.logits.data);
        };
        const numeric = ((await nudged(1)) - (await nudged(-1))) / (2 * eps);
        let analytic = 0;
        for (let k = 0; k < D; k++) analytic += g[pos * D + k] * dir[k];
        assert.ok(Math.abs(numeric - analytic) <= 2e-3 * Math.max(1, Math.abs(numeric)), `${h}: ${analytic} vs ${numeric}`);
        assert.ok(g.some((v) => v !== 0), `${h} has a gradient`);
      }
    } finally {
      await runner.release();
      await model.dispose();
    }
  });
}
