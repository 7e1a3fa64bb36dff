/**
 * LoadedModel on tiny random-init checkpoints of every family: hook vocabulary, padding,
 * float16, patching and knockout semantics, and clear errors on bad checkpoints.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TinyModelType, writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { IntrospectError } from '../../engine/src/errors';
import { allHookNames, hookName } from '../../engine/src/hooks';
import { LoadedModel } from '../../engine/src/model';

const root = mkdtempSync(join(tmpdir(), 'introspect-model-'));
const cacheDir = join(root, 'cache');
after(() => rmSync(root, { recursive: true, force: true }));

const load = (dir: string, dtype: 'float32' | 'float16' = 'float32') => LoadedModel.load(dir, { device: 'cpu', cacheDir, dtype });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('hook names: the golden ordered vocabulary', () => {
  assert.deepEqual(allHookNames(2), [
    'blocks.0.hook_resid_pre',
    'blocks.0.attn.hook_z',
    'blocks.0.hook_attn_out',
    'blocks.0.hook_mlp_out',
    'blocks.0.hook_resid_post',
    'blocks.1.hook_resid_pre',
    'blocks.1.attn.hook_z',
    'blocks.1.hook_attn_out',
    'blocks.1.hook_mlp_out',
    'blocks.1.hook_resid_post',
    'logits',
  ]);
});

const TYPES: TinyModelType[] = ['llama', 'qwen2', 'qwen3', 'gpt2', 'gpt_neox'];
const PROGRAM = 'a = 3\nb = a\nc = 7\nd = b\n#d:';

for (const modelType of TYPES) {
  describe(`tiny ${modelType}`, () => {
    const dir = join(root, modelType);
    let model: LoadedModel;
    before(async () => {
      await writeTinyCheckpoint(dir, { modelType, nKvHeads: modelType === 'llama' ? 2 : undefined, dHead: modelType === 'qwen3' ? 24 : undefined, seed: 7 });
      model = await load(dir);
    });
    after(() => model.dispose());

    test('forward shapes, and hooks chain: resid_post(l) = resid_pre(l+1)', async () => {
      const ids = model.tokenizer.encodeIds(PROGRAM);
      const hooks = allHookNames(model.spec.nLayers).filter((h) => h !== 'logits');
      const out = await model.forward([ids], { logits: 'all', hooks });
      assert.deepEqual(out.logits.shape, [1, ids.length, model.spec.vocabSize]);
      assert.deepEqual(out.hooks.get('blocks.0.attn.hook_z')!.shape, [1, ids.length, model.spec.nHeads * model.spec.dHead]);
      const post0 = out.hooks.get(hookName(0, 'hook_resid_post'))!.data;
      assert.equal(maxAbsDiff(post0, out.hooks.get(hookName(1, 'hook_resid_pre'))!.data), 0);
    });

    test('left padding: a batch of different lengths gives each row its own logits', async () => {
      const long = model.tokenizer.encodeIds(PROGRAM);
      const short = long.slice(0, 6);
      const both = await model.forward([short, long], { logits: 'last' });
      const alone = await model.forward([short], { logits: 'last' });
      const V = model.spec.vocabSize;
      assert.deepEqual(both.padding, [long.length - short.length, 0]);
      assert.ok(maxAbsDiff(both.logits.data.subarray(0, V), alone.logits.data) < 1e-5);
    });

    test('float16 graph agrees with float32', async () => {
      const half = await load(dir, 'float16');
      const ids = model.tokenizer.encodeIds(PROGRAM);
      const a = await model.forward([ids]);
      const b = await half.forward([ids]);
      await half.dispose();
      const scale = Math.max(...Array.from(a.logits.data, Math.abs));
      assert.ok(maxAbsDiff(a.logits.data, b.logits.data) < 2e-2 * Math.max(1, scale));
    });
  });
}

test('float16 and bfloat16 checkpoints load and agree with their float32 original', async () => {
  const base = { modelType: 'qwen2' as const, seed: 5 };
  await writeTinyCheckpoint(join(root, 'qwen2-f32'), base);
  const ref = await load(join(root, 'qwen2-f32'));
  const ids = ref.tokenizer.encodeIds(PROGRAM);
  const want = (await ref.forward([ids])).logits.data;
  await ref.dispose();
  for (const dtype of ['float16', 'bfloat16'] as const) {
    await writeTinyCheckpoint(join(root, `qwen2-${dtype}`), { ...base, dtype });
    const m = await load(join(root, `qwen2-${dtype}`));
    const got = (await m.forward([ids])).logits.data;
    await m.dispose();
    // Only the stored weights were rounded (float16: 11 significant bits, bfloat16: 8).
    const scale = Math.max(...Array.from(want, Math.abs));
    assert.ok(maxAbsDiff(got, want) < (dtype === 'float16' ? 2e-3 : 2e-2) * scale, `${dtype}: ${maxAbsDiff(got, want)} (scale ${scale})`);
    assert.ok(maxAbsDiff(got, want) > 0, 'weights were really stored rounded');
  }
});

describe('patching and knockout semantics (llama)', () => {
  let model: LoadedModel;
  before(async () => {
    model = await load(join(root, 'llama'));
  });

  test('patching resid_pre of layer 0 everywhere with another run makes it that run', async () => {
    const clean = model.tokenizer.encodeIds(PROGRAM);
    const other = model.tokenizer.encodeIds(PROGRAM.replace('a = 3', 'a = 5'));
    const ref = await model.forward([other], { hooks: ['blocks.0.hook_resid_pre'] });
    const act = ref.hooks.get('blocks.0.hook_resid_pre')!;
    const patched = await model.forward([clean], {
      patches: [{ hook: 'blocks.0.hook_resid_pre', mask: new Uint8Array(clean.length).fill(1), maskShape: [1, clean.length], value: act.data, valueShape: act.shape }],
    });
    assert.ok(maxAbsDiff(patched.logits.data, ref.logits.data) < 1e-5);
  });

  test('zero-ablating every head of a layer zeroes its attention output (no bias)', async () => {
    const ids = model.tokenizer.encodeIds(PROGRAM);
    const T = ids.length;
    const H = model.spec.nHeads;
    const D = H * model.spec.dHead;
    const out = await model.forward([ids], {
      hooks: ['blocks.1.hook_attn_out'],
      patches: [{ hook: 'blocks.1.attn.hook_z', mask: new Uint8Array(T * H).fill(1), maskShape: [1, T, H], value: new Float32Array(D), valueShape: [1, 1, D] }],
    });
    assert.equal(Math.max(...Array.from(out.hooks.get('blocks.1.hook_attn_out')!.data, Math.abs)), 0);
  });

  test('knocking out every earlier key of the last token in every layer = running that token alone', async () => {
    // With rotary positions and no learned ones, attention to itself alone is position-independent.
    const ids = model.tokenizer.encodeIds(PROGRAM);
    const T = ids.length;
    const mask = new Uint8Array(T * T);
    for (let k = 0; k < T - 1; k++) mask[(T - 1) * T + k] = 1;
    const knockouts = Array.from({ length: model.spec.nLayers }, (_, layer) => ({ layer, mask, shape: [1, 1, T, T] }));
    const ko = await model.forward([ids], { knockouts });
    const alone = await model.forward([[ids[T - 1]]]);
    assert.ok(maxAbsDiff(ko.logits.data, alone.logits.data) < 1e-5);
    const plain = await model.forward([ids]);
    assert.ok(maxAbsDiff(ko.logits.data, plain.logits.data) > 1e-3, 'knockout had an effect');
  });

  test('unknown hook names are an error naming a valid one', async () => {
    const ids = model.tokenizer.encodeIds(PROGRAM);
    await assert.rejects(model.forward([ids], { hooks: ['blocks.9.hook_resid_pre'] }), /unknown hook "blocks\.9\.hook_resid_pre".*blocks\.1\.hook_resid_pre/);
    await assert.rejects(model.forward([[]]), /empty input/);
    await assert.rejects(model.forward([[99999]]), /token id 99999 out of range/);
  });
});

describe('bad checkpoints get clear errors', () => {
  const good = join(root, 'llama');
  const broken = (name: string, edit: (dir: string) => void) => {
    const dir = join(root, `broken-${name}`);
    cpSync(good, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const editConfig = (dir: string, f: (c: Record<string, unknown>) => void) => {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    f(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  };

  test('unsupported model_type is named', async () => {
    const dir = broken('type', (d) => editConfig(d, (c) => (c.model_type = 'mamba')));
    await assert.rejects(load(dir), (e: Error) => e instanceof IntrospectError && /unsupported model_type "mamba"/.test(e.message) && e.message.includes('config.json'));
  });

  test('missing config.json is named', async () => {
    const dir = broken('noconfig', (d) => rmSync(join(d, 'config.json')));
    await assert.rejects(load(dir), /config\.json: file not found/);
  });

  test('a config that disagrees with the weights names the tensor and both shapes', async () => {
    const dir = broken('shape', (d) => editConfig(d, (c) => (c.intermediate_size = 100)));
    const m = await load(dir);
    await assert.rejects(m.forward([[1, 2]]), /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[256,64\] but config\.json implies \[100,64\]/);
  });

  test('a missing tensor is named', async () => {
    const dir = broken('tied', (d) => editConfig(d, (c) => (c.num_hidden_layers = 3)));
    const m = await load(dir);
    await assert.rejects(m.forward([[1, 2]]), /missing tensor "model\.layers\.2\.input_layernorm\.weight"/);
  });

  test('a truncated weights file is reported, not crashed on', async () => {
    const dir = broken('trunc', (d) => {
      const p = join(d, 'model.safetensors');
      const buf = readFileSync(p);
      writeFileSync(p, buf.subarray(0, buf.length - 1000));
    });
    const m = await load(dir);
    await assert.rejects(m.forward([[1, 2]]), (e: Error) => e instanceof IntrospectError && /model\.safetensors/.test(e.message));
  });

  test('unsupported dtype option', async () => {
    await assert.rejects(LoadedModel.load(good, { dtype: 'int8' as never }), /unsupported dtype "int8"/);
  });

});
