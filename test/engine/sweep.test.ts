/**
 * The incremental sweep (skipping layers below and positions before each patch) must give the
 * same patched logits as running the whole model for every cell, for every hook, source and knockout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TinyModelType, writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { BLOCK_HOOK_KINDS } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';
import { patchSweep, type SweepOptions } from '../../engine/src/patching';

const root = mkdtempSync(join(tmpdir(), 'introspect-sweep-'));
after(() => rmSync(root, { recursive: true, force: true }));
const PROGRAM = 'a = 3\nb = a\nc = 7\nd = b\n#d:';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const modelType of ['qwen3', 'gpt2', 'gpt_neox'] as TinyModelType[]) {
  describe(`incremental sweep = full sweep (${modelType})`, () => {
    let model: LoadedModel;
    let clean: number[];
    let cf: number[];
    before(async () => {
      const dir = join(root, modelType);
      await writeTinyCheckpoint(dir, { modelType, nLayers: 3, nKvHeads: modelType === 'qwen3' ? 2 : undefined, seed: 3 });
      model = await LoadedModel.load(dir, { device: 'cpu', cacheDir: join(root, 'cache') });
      clean = model.tokenizer.encodeIds(PROGRAM);
      cf = model.tokenizer.encodeIds(PROGRAM.replace('a = 3', 'a = 5'));
    });
    after(() => model.dispose());

    const cases: Array<Omit<SweepOptions, 'keepLogits' | 'method'>> = [
      ...BLOCK_HOOK_KINDS.map((hook) => ({ hook })),
      { hook: 'attn.hook_z', perHead: true },
      { hook: 'hook_resid_pre', source: 'zero' },
      { hook: 'hook_mlp_out', source: 'mean' },
      { hook: 'attn.hook_z', perHead: true, source: 'zero', layers: [1, 2], positions: [2, 5, 9] },
      { hook: 'knockout' },
    ];
    for (const c of cases) {
      test(`${c.hook}${c.perHead ? ' per head' : ''}${c.source ? `, ${c.source}` : ''}${c.layers ? ', chosen cells' : ''}`, async () => {
        const progress: number[] = [];
        const fast = await patchSweep(model, clean, cf, { ...c, keepLogits: true, batchSize: 7, method: 'incremental', onProgress: (d) => progress.push(d) });
        const full = await patchSweep(model, clean, cf, { ...c, keepLogits: true, batchSize: 7, method: 'full' });
        assert.deepEqual(fast.shape, full.shape);
        assert.ok(maxAbsDiff(fast.logits!, full.logits!) < 1e-4, `max |Δ| ${maxAbsDiff(fast.logits!, full.logits!)}`);
        assert.ok(maxAbsDiff(fast.cleanLogits, full.cleanLogits) < 1e-4);
        assert.deepEqual(Array.from(fast.top1), Array.from(full.top1));
        assert.equal(progress.at(-1), fast.top1.length);
      });
    }

    test('cancellation stops a sweep', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(patchSweep(model, clean, cf, { hook: 'hook_resid_pre', signal: ac.signal }), /cancelled/);
    });

    test('clean and counterfactual of different lengths are refused with the reason', async () => {
      await assert.rejects(patchSweep(model, clean, cf.slice(1), { hook: 'hook_resid_pre' }), /differ in length/);
    });
  });
}
