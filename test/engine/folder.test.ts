import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import { findHubCacheModels, hubCacheDir, loadCheckpointFolder } from '../../engine/src/checkpoint/folder';
import { readSafetensors, writeSafetensors } from '../../engine/src/checkpoint/safetensors';
import { REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-folder-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function rejectsWith(p: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof IntrospectError, `expected IntrospectError, got ${e}`);
    for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
    return true;
  });
}

/** A copy of a fixture checkpoint folder, minus the files named in `without`. */
function copyFixture(name: string, model: string, without: string[] = []): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'model.safetensors', 'generation_config.json']) {
    if (!without.includes(f)) copyFileSync(join(FIXTURES, model, f), join(dir, f));
  }
  return dir;
}

describe('loadCheckpointFolder', () => {
  test('loads config and every weight of a single-file checkpoint', async () => {
    const dir = join(FIXTURES, 'qwen3');
    const ckpt = await loadCheckpointFolder(dir);
    assert.equal(ckpt.config.model_type, 'qwen3');
    assert.deepEqual(ckpt.files, [join(dir, 'model.safetensors')]);
    const direct = await readSafetensors(join(dir, 'model.safetensors'));
    assert.deepEqual([...ckpt.weights.keys()].sort(), [...direct.keys()].sort());
    const embed = ckpt.weights.get('model.embed_tokens.weight')!;
    assert.deepEqual(embed.shape, [ckpt.config.vocab_size, ckpt.config.hidden_size]);
    assert.deepEqual(embed.data, direct.get('model.embed_tokens.weight')!.data);
  });

  test('loads a sharded checkpoint through model.safetensors.index.json, in any stored dtype', async () => {
    const dir = copyFixture('sharded', 'llama', ['model.safetensors']);
    const whole = await readSafetensors(join(FIXTURES, 'llama/model.safetensors'));
    const names = [...whole.keys()];
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      // The second shard is stored as bfloat16, as many hub checkpoints are.
      const dtype = i === 0 ? 'float32' : 'bfloat16';
      await writeSafetensors(
        join(dir, file),
        Object.fromEntries(shard.map((n) => [n, { ...whole.get(n)!, dtype }])),
        { format: 'pt' },
      );
      for (const n of shard) weightMap[n] = file;
    }
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const ckpt = await loadCheckpointFolder(dir);
    assert.deepEqual(ckpt.files, [join(dir, 'model-00001-of-00002.safetensors'), join(dir, 'model-00002-of-00002.safetensors')]);
    assert.equal(ckpt.weights.size, whole.size);
    for (const n of shards[0]) assert.deepEqual(ckpt.weights.get(n)!.data, whole.get(n)!.data, n);
    for (const n of shards[1]) {
      const got = ckpt.weights.get(n)!.data;
      const want = whole.get(n)!.data;
      want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= Math.abs(v) * 2 ** -8, `${n}[${i}]`));
    }

    // A shard the index names but the folder lacks.
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    await rejectsWith(loadCheckpointFolder(dir), 'shard model-00002-of-00002.safetensors listed in model.safetensors.index.json is missing');
    // A tensor the index places in a shard that does not hold it.
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { [shards[0][0]]: 'model-00001-of-00002.safetensors', 'lm_head.extra': 'model-00001-of-00002.safetensors' } }),
    );
    await rejectsWith(loadCheckpointFolder(dir), "tensor 'lm_head.extra' is listed in model.safetensors.index.json but not in this shard");
    writeFileSync(join(dir, 'model.safetensors.index.json'), '{"weight_map": ');
    await rejectsWith(loadCheckpointFolder(dir), 'model.safetensors.index.json', 'invalid JSON');
    writeFileSync(join(dir, 'model.safetensors.index.json'), '{"metadata": {}}');
    await rejectsWith(loadCheckpointFolder(dir), 'weight_map is missing');
  });

  test('names what is missing or broken', async () => {
    await rejectsWith(loadCheckpointFolder(join(tmp, 'nowhere')), 'nowhere', 'checkpoint folder not found');
    await rejectsWith(loadCheckpointFolder(join(FIXTURES, 'gpt2/config.json')), 'not a folder');
    await rejectsWith(loadCheckpointFolder(copyFixture('noconfig', 'gpt2', ['config.json'])), 'config.json', 'file not found');
    await rejectsWith(loadCheckpointFolder(copyFixture('notok', 'gpt2', ['tokenizer.json'])), 'tokenizer.json', 'file not found');
    await rejectsWith(loadCheckpointFolder(copyFixture('noweights', 'gpt2', ['model.safetensors'])), 'no weights: expected model.safetensors');

    const badConfig = copyFixture('badconfig', 'gpt2');
    writeFileSync(join(badConfig, 'config.json'), '{"model_type": "gpt2",}');
    await rejectsWith(loadCheckpointFolder(badConfig), join(badConfig, 'config.json'), 'invalid JSON');

    const bin = copyFixture('bin', 'gpt2', ['model.safetensors']);
    writeFileSync(join(bin, 'pytorch_model.bin'), 'not really');
    await rejectsWith(loadCheckpointFolder(bin), 'only PyTorch weights (pytorch_model.bin)');

    const broken = copyFixture('broken', 'gpt2');
    writeFileSync(join(broken, 'model.safetensors'), Buffer.alloc(4));
    await rejectsWith(loadCheckpointFolder(broken), join(broken, 'model.safetensors'), 'truncated');
  });
});

describe('hub cache', () => {
  /** Lays out one cached repo the way huggingface_hub does: blobs, snapshot links, refs. */
  function cacheRepo(root: string, repo: string, revs: { rev: string; files: string[]; mtime?: number }[], main?: string) {
    const base = join(root, `models--${repo.replace('/', '--')}`);
    mkdirSync(join(base, 'blobs'), { recursive: true });
    for (const { rev, files, mtime } of revs) {
      const snap = join(base, 'snapshots', rev);
      mkdirSync(snap, { recursive: true });
      for (const f of files) {
        const blob = join(base, 'blobs', `${rev}-${f}`);
        writeFileSync(blob, f === 'config.json' ? '{}' : 'x');
        symlinkSync(blob, join(snap, f));
      }
      if (mtime) utimesSync(snap, mtime, mtime);
    }
    if (main) {
      mkdirSync(join(base, 'refs'), { recursive: true });
      writeFileSync(join(base, 'refs', 'main'), `${main}\n`);
    }
  }

  test('lists checkpoint snapshots with their repo ids', () => {
    const root = join(tmp, 'hub');
    const full = ['config.json', 'tokenizer.json', 'model.safetensors'];
    cacheRepo(root, 'Qwen/Qwen3-0.6B', [{ rev: 'aaa', files: full, mtime: 2000 }, { rev: 'bbb', files: full, mtime: 3000 }], 'aaa');
    cacheRepo(root, 'gpt2', [{ rev: 'old', files: full, mtime: 1000 }, { rev: 'new', files: full, mtime: 5000 }]);
    cacheRepo(root, 'meta-llama/Llama-3.2-1B', [{ rev: 'c1', files: ['config.json', 'model.safetensors.index.json'] }], 'c1');
    cacheRepo(root, 'org/tokenizer-only', [{ rev: 'r', files: ['tokenizer.json', 'config.json'] }], 'r');
    mkdirSync(join(root, 'datasets--org--data', 'snapshots', 'x'), { recursive: true });
    mkdirSync(join(root, 'models--org--empty'), { recursive: true });
    assert.deepEqual(findHubCacheModels(root), [
      { id: 'gpt2', dir: join(root, 'models--gpt2', 'snapshots', 'new') },
      { id: 'meta-llama/Llama-3.2-1B', dir: join(root, 'models--meta-llama--Llama-3.2-1B', 'snapshots', 'c1') },
      { id: 'Qwen/Qwen3-0.6B', dir: join(root, 'models--Qwen--Qwen3-0.6B', 'snapshots', 'aaa') },
    ]);
    assert.deepEqual(findHubCacheModels(join(tmp, 'no-cache-here')), []);
  });

  test('finds the cache the way huggingface_hub does', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c/hub', HF_HOME: '/h' }), '/c/hub');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), join('/h', 'hub'));
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'huggingface', 'hub'));
    assert.match(hubCacheDir({}), /\.cache[\\/]huggingface[\\/]hub$/);
  });
});
