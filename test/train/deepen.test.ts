/**
 * Growing a model deeper: the grown folder computes the same logits through the inference path,
 * its new blocks receive gradient (they can learn), and bad depths are refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBatch } from '../../engine/src/autodiff/batch';
import { loadParameters } from '../../engine/src/autodiff/load';
import { buildLossGraph } from '../../engine/src/autodiff/lossGraph';
import { LossRunner } from '../../engine/src/autodiff/runner';
import { type TinyModelType, writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { deepened } from '../../engine/src/train/deepen';
import { initialModel } from '../../engine/src/train/initialModel';
import { folderLogits } from './folderLogits';

const root = mkdtempSync(join(tmpdir(), 'introspect-deepen-'));
after(() => rmSync(root, { recursive: true, force: true }));
const rows = [
  [3, 9, 14, 2, 27, 8, 30, 5],
  [12, 4, 4, 19, 33, 1, 7, 22],
];

describe('deepen', () => {
  for (const modelType of ['llama', 'qwen3', 'gpt2', 'gpt_neox'] as TinyModelType[]) {
    test(`${modelType}: new blocks at the bottom, between and on top leave the logits as they were`, async () => {
      const source = join(root, `${modelType}-source`);
      await writeTinyCheckpoint(source, { modelType, nLayers: 2, dModel: 16, nHeads: 2, seed: 7, initStd: 0.2 });
      const fresh = { modelType, initStd: 0.2, seed: 8 };
      // 0: below all; 1: between the two; 2 twice: two on top.
      const grown = await initialModel(join(root, `${modelType}-grown`), fresh, source, [0, 1, 2, 2]);
      assert.equal(grown.layout.spec.nLayers, 6);
      const logits = (dir: string) => folderLogits(dir, rows, join(root, 'cache'));
      const [a, b] = [await logits(source), await logits(join(root, `${modelType}-grown`, 'init'))];
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      assert.ok(d < 1e-5, `max |Δ logit| ${d}`);

      // The new blocks are not dead: gradient reaches their zeroed writers (the way out of the identity).
      const runner = await LossRunner.create(buildLossGraph(grown.layout, grown.flat), grown.layout.size);
      try {
        const { grad } = await runner.run(grown.flat, makeBatch(rows));
        const newBlock = grown.layout.slots.filter((s) => /\.(layers|h)\.0\./.test(s.name));
        const touched = newBlock.filter((s) => grad.subarray(s.offset, s.offset + s.size).some((g) => g !== 0));
        assert.ok(touched.some((s) => /o_proj|down_proj|c_proj|dense/.test(s.name)), `gradient reaches ${touched.map((s) => s.name)}`);
      } finally {
        await runner.release();
      }
    });
  }

  test('the kept layers are the old ones, in order; bad depths and models without a source are refused', async () => {
    const source = join(root, 'llama-source');
    const m = await loadParameters(source);
    const g = deepened(m, { at: [1], seed: 1, initStd: 0.02 });
    const read = (p: typeof m, name: string) => {
      const s = p.layout.slot(name);
      return Array.from(p.flat.subarray(s.offset, s.offset + s.size));
    };
    assert.deepEqual(read(g, 'model.layers.2.mlp.up_proj.weight'), read(m, 'model.layers.1.mlp.up_proj.weight'));
    assert.deepEqual(read(g, 'model.layers.0.self_attn.q_proj.weight'), read(m, 'model.layers.0.self_attn.q_proj.weight'));
    assert.ok(read(g, 'model.layers.1.self_attn.o_proj.weight').every((v) => v === 0));
    assert.ok(read(g, 'model.layers.1.input_layernorm.weight').every((v) => v === 1));
    assert.equal(JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')).num_hidden_layers + 1, g.config.num_hidden_layers);
    assert.throws(() => deepened(m, { at: [3], seed: 1, initStd: 0.02 }), /after 0 to 2 of this model's layers, not 3/);
    await assert.rejects(initialModel(join(root, 'nothing'), { modelType: 'llama' }, undefined, [1]), /growing needs a model to start from/);
  });
});
