/**
 * Parity with transformers: the tiny reference checkpoints (one per family) against the logits,
 * hook activations and patched logits transformers computed for them (test/fixtures/reference-models).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Tensor } from '../../engine/src/checkpoint/safetensors';
import { BLOCK_HOOK_KINDS, hookName } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';
import { patchSweep } from '../../engine/src/patching';
import { FAMILIES, openReference, REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const TOL = 1e-4;
const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-parity-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function reference(family: string) {
  const { file, rows, T } = await openReference(family);
  const tensors = new Map<string, Tensor>();
  for (const t of file.header.tensors.values()) if (t.name !== 'input_ids') tensors.set(t.name, await file.readFloat(t.name));
  await file.close();
  return { rows, T, get: (n: string): Tensor => tensors.get(n)! };
}

for (const family of FAMILIES) {
  describe(`parity with transformers: ${family}`, async () => {
    const ref = await reference(family);
    const model = await LoadedModel.load(join(FIXTURES, family), { device: 'cpu', cacheDir });
    after(() => model.dispose());
    const L = model.spec.nLayers;
    const V = model.spec.vocabSize;

    test('logits and every hook activation', async () => {
      const hooks = Array.from({ length: L }, (_, l) => BLOCK_HOOK_KINDS.map((k) => hookName(l, k))).flat();
      const out = await model.forward(ref.rows, { logits: 'all', hooks });
      assert.ok(maxAbsDiff(out.logits.data, ref.get('logits').data) <= TOL, 'logits');
      for (const h of hooks) {
        const d = maxAbsDiff(out.hooks.get(h)!.data, ref.get(`act.${h}`).data);
        assert.ok(d <= TOL, `${h}: max |Δ| ${d}`);
      }
    });

    const sweeps = [
      { hook: 'hook_resid_pre', key: 'patch.resid_pre.last_logits', perHead: false },
      { hook: 'hook_mlp_out', key: 'patch.mlp_out.last_logits', perHead: false },
      { hook: 'attn.hook_z', key: 'patch.z.last_logits', perHead: true },
    ] as const;
    for (const s of sweeps) {
      test(`patched logits, every ${s.hook} cell${s.perHead ? ' and head' : ''}`, async () => {
        const res = await patchSweep(model, ref.rows[0], ref.rows[1], {
          hook: s.hook,
          perHead: s.perHead,
          keepLogits: true,
          batchSize: 16,
        });
        const expected = ref.get(s.key);
        assert.deepEqual(res.shape, expected.shape.slice(0, -1));
        const d = maxAbsDiff(res.logits!, expected.data);
        assert.ok(d <= TOL, `max |Δ| ${d}`);
        assert.equal(res.logits!.length, res.shape.reduce((a, b) => a * b, 1) * V);
      });
    }
  });
}
