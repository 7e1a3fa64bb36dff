/**
 * Per-row losses and gradients of all five reference checkpoints against torch autograd
 * (test/fixtures/reference-models: `loss.per_row`, `grad.<HF parameter>` of the mean row loss).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeBatch } from '../../engine/src/autodiff/batch';
import { loadParameters } from '../../engine/src/autodiff/load';
import { headGradient } from '../../engine/src/autodiff/heads';
import { buildLossGraph } from '../../engine/src/autodiff/lossGraph';
import { LossRunner } from '../../engine/src/autodiff/runner';
import { FAMILIES, openReference, REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const REL_TOL = 1e-3;
/**
 * Gradients are named as torch's named_parameters() names them; transformers 5 calls GPT-NeoX's
 * output head `lm_head` there but saves it under the checkpoint name `embed_out.weight`.
 */
const GRAD_NAME: Record<string, string> = { 'embed_out.weight': 'lm_head.weight' };

/** max |a − b| / max |b|. */
function relError(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

for (const family of FAMILIES) {
  describe(`gradients match torch autograd: ${family}`, () => {
    test('per-row losses and the gradient of every parameter', async () => {
      const dir = join(FIXTURES, family);
      const { file: ref, rows, T } = await openReference(family);
      const { layout, flat } = await loadParameters(dir);
      const runner = await LossRunner.create(buildLossGraph(layout, flat), layout.size);
      try {
        const out = await runner.run(flat, makeBatch(rows));
        const perRow = (await ref.readFloat('loss.per_row')).data;
        for (let r = 0; r < 2; r++) assert.ok(Math.abs(out.perRow![r] - perRow[r]) <= 1e-5 * perRow[r], `row ${r} loss ${out.perRow![r]} vs ${perRow[r]}`);
        const errors: string[] = [];
        let worst = 0;
        for (const s of layout.slots) {
          const expected = (await ref.readFloat(`grad.${GRAD_NAME[s.name] ?? s.name}`)).data;
          const e = relError(out.grad.subarray(s.offset, s.offset + s.size), expected);
          worst = Math.max(worst, e);
          if (!(e <= REL_TOL)) errors.push(`${s.name}: ${e.toExponential(2)}`);
        }
        assert.deepEqual(errors, [], `relative gradient errors above ${REL_TOL}`);
        console.log(`${family}: worst gradient relative error ${worst.toExponential(2)} over ${layout.slots.length} tensors`);
      } finally {
        await runner.release();
        await ref.close();
      }
    });
  });
}

describe('gradients of chosen parameters and of hook activations (llama)', () => {
  test('one layer only: equal to the full gradient there, zero elsewhere; d loss / d resid_pre of layer 0 sums to the embedding gradient', async () => {
    const dir = join(FIXTURES, 'llama');
    const { file: ref, rows, T } = await openReference('llama');
    const { layout, flat } = await loadParameters(dir);
    const layer1 = (n: string) => n.startsWith('model.layers.1.');
    const graph = buildLossGraph(layout, flat, { params: layer1, hooks: ['blocks.0.hook_resid_pre'] });
    assert.ok(graph.weightInputs.length < 12, `only layer 1's weights are inputs (${graph.weightInputs.length})`);
    const runner = await LossRunner.create(graph, layout.size);
    try {
      const out = await runner.run(flat, makeBatch(rows));
      for (const s of layout.slots) {
        const g = out.grad.subarray(s.offset, s.offset + s.size);
        if (layer1(s.name)) {
          const expected = (await ref.readFloat(`grad.${s.name}`)).data;
          assert.ok(relError(g, expected) <= REL_TOL, s.name);
        } else assert.ok(g.every((v) => v === 0), `${s.name} is not differentiated`);
      }
      // Llama's residual stream starts as the embedding rows of the tokens (no position embedding).
      const d = layout.spec.dModel;
      const hook = out.hooks.get('blocks.0.hook_resid_pre')!;
      assert.equal(hook.length, 2 * T * d);
      const fromHook = new Float32Array(layout.spec.vocabSize * d);
      rows.flat().forEach((tok, i) => {
        for (let k = 0; k < d; k++) fromHook[tok * d + k] += hook[i * d + k];
      });
      const expected = (await ref.readFloat('grad.model.embed_tokens.weight')).data;
      assert.ok(relError(fromHook, expected) <= REL_TOL, 'embedding gradient from the hook gradient');
    } finally {
      await runner.release();
      await ref.close();
    }
  });
});

describe('one head\'s gradient', () => {
  for (const family of ['llama', 'gpt2']) {
    test(`${family}: a head's slice of the q and o gradients is the matching part of the HF parameter's gradient`, async () => {
      const dir = join(FIXTURES, family);
      const { file: ref, rows, T } = await openReference(family);
      const { layout, flat } = await loadParameters(dir);
      const { dModel: d, dHead: dh } = layout.spec;
      const hf =
        family === 'llama'
          ? { q: 'model.layers.1.self_attn.q_proj.weight', o: 'model.layers.1.self_attn.o_proj.weight' }
          : { q: 'transformer.h.1.attn.c_attn.weight', o: 'transformer.h.1.attn.c_proj.weight' };
      const runner = await LossRunner.create(buildLossGraph(layout, flat, { params: Object.values(hf) }), layout.size);
      try {
        const out = await runner.run(flat, makeBatch(rows));
        const head = 2;
        const q = headGradient(out, layout.spec, 1, 'q', head);
        const o = headGradient(out, layout.spec, 1, 'o', head);
        const gq = (await ref.readFloat(`grad.${hf.q}`)).data;
        const go = (await ref.readFloat(`grad.${hf.o}`)).data;
        // HF Linear is [out, in]; GPT-2's Conv1D is [in, out] with q, k, v side by side (3·d columns).
        const expectQ = new Float32Array(d * dh);
        const expectO = new Float32Array(dh * d);
        for (let i = 0; i < d; i++)
          for (let j = 0; j < dh; j++) {
            expectQ[i * dh + j] = family === 'llama' ? gq[(head * dh + j) * d + i] : gq[i * 3 * d + head * dh + j];
            expectO[j * d + i] = family === 'llama' ? go[i * (layout.spec.nHeads * dh) + head * dh + j] : go[(head * dh + j) * d + i];
          }
        assert.ok(relError(q, expectQ) <= REL_TOL, 'q');
        assert.ok(relError(o, expectO) <= REL_TOL, 'o');
      } finally {
        await runner.release();
        await ref.close();
      }
    });
  }
});
