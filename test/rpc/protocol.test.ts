/**
 * The engine's JSON-RPC door, on the wire: malformed envelopes are answered as JSON-RPC 2.0 says,
 * every request's params are checked by its schema (−32602 naming the field), oversized messages
 * are refused without stopping the engine, prompts are held to the model's context, and broken
 * model folders get a clear error.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../engine/src/checkpoint/safetensors';
import { embeddedModelDir } from '../../engine/src/embedded';
import { WireEngine } from './wire';

const root = mkdtempSync(join(tmpdir(), 'introspect-rpc-'));
let engine: WireEngine;
let nextId = 1;

before(async () => {
  await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs')]);
  engine = WireEngine.start({ INTROSPECT_CACHE: join(root, 'cache') });
  const id = nextId++;
  engine.request(id, 'model/load', { dir: '', device: 'cpu', dtype: 'float32' });
  assert.ok((await engine.reply(id, 60_000)).result, 'the embedded model loads');
}, { timeout: 120_000 });

after(async () => {
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});

async function call(method: string, params?: unknown, ms?: number) {
  const id = nextId++;
  engine.request(id, method, params);
  return engine.reply(id, ms);
}

const error = async (method: string, params: unknown, code: number, message: RegExp) => {
  const r = await call(method, params);
  assert.equal(r.error?.code, code, `${method} ${JSON.stringify(params)?.slice(0, 80)}: ${JSON.stringify(r).slice(0, 300)}`);
  assert.match(r.error!.message, message);
};

describe('envelopes', () => {
  test('invalid JSON is a parse error (−32700) with id null', async () => {
    engine.send('{"jsonrpc": "2.0", "id": 1, "method": ');
    const r = await engine.reply(null);
    assert.equal(r.error?.code, -32700);
    assert.match(r.error!.message, /^Parse error: /);
  });

  test('batches, ids of the wrong type, wrong jsonrpc, non-string methods, bad params: −32600', async () => {
    const cases: [unknown, string | number | null, RegExp][] = [
      [[{ jsonrpc: '2.0', id: 5, method: 'engine/status' }], null, /batch requests are not supported/],
      [{ jsonrpc: '2.0', id: { a: 1 }, method: 'engine/status' }, null, /"id" must be a string or a number/],
      [{ jsonrpc: '2.0', id: [1], method: 'engine/status' }, null, /"id" must be a string or a number/],
      [{ jsonrpc: '2.0', id: true, method: 'engine/status' }, null, /"id" must be a string or a number/],
      [{ jsonrpc: '2.0', id: null, method: 'engine/status' }, null, /"id" must be a string or a number/],
      [{ jsonrpc: '1.0', id: 'x1', method: 'engine/status' }, 'x1', /"jsonrpc" must be "2.0"/],
      [{ id: 'x2', method: 'engine/status' }, 'x2', /"jsonrpc" must be "2.0"/],
      [{ jsonrpc: '2.0', id: 'x3', method: 42 }, 'x3', /"method" must be a non-empty string/],
      [{ jsonrpc: '2.0', id: 'x4', method: 'predict', params: 'code' }, 'x4', /"params" must be an object or an array/],
      [42, null, /must be a JSON object/],
    ];
    for (const [body, id, message] of cases) {
      engine.send(body as object);
      const r = await engine.reply(id);
      assert.equal(r.error?.code, -32600, JSON.stringify(body));
      assert.match(r.error!.message, message);
    }
  });

  test('a message over the size cap is refused as it arrives, and the engine goes on', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 'a');
    engine.send(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":"big","method":"predict","params":{"code":"'), big, Buffer.from('","variable":"x","topK":5}}')]));
    const r = await engine.reply(null);
    assert.equal(r.error?.code, -32600);
    assert.match(r.error!.message, /the message is \d+ bytes; at most 8388608 are read/);
    assert.ok((await call('engine/status')).result, 'still answering');
  });

  test('a cancel notification without a usable id is dropped, and the next request is still answered', async () => {
    for (const params of [{}, { id: null }, { id: { a: 1 } }]) engine.send({ jsonrpc: '2.0', method: '$/cancelRequest', params });
    engine.send({ jsonrpc: '2.0', method: '$/setTrace', params: null });
    assert.ok((await call('engine/status')).result);
  });

  test('an unknown method is −32601; params for a method that takes none are −32602', async () => {
    await error('nope/never', {}, -32601, /Unhandled method nope\/never/);
    await error('engine/status', { x: 1 }, -32602, /engine\/status takes no params/);
    await error('engine/status', [1, 2], -32602, /engine\/status takes no params/);
  });
});

describe('params are checked by each method\'s schema', () => {
  const code = 'a = 3\nb = a\n';
  const bench = { kind: 'suite', id: 'variable-binding', models: ['oracle'], lengths: [2], n: 1, resultsDir: join(root, 'results'), device: 'cpu', dtype: 'float32', batchSize: 8 };
  const cases: [string, unknown, RegExp][] = [
    ['predict', { code, variable: 'b', topK: -1 }, /topK: Too small: expected number to be >=1/],
    ['predict', { code, variable: 'b', topK: 1e308 }, /topK: Too big: expected number to be <=100/],
    ['predict', { code, topK: 5 }, /variable: /],
    ['predict', { code: 5, variable: 'b', topK: 5 }, /code: Invalid input: expected string/],
    ['predict', { code, variable: 'a.b', topK: 5 }, /variable: must be an identifier/],
    ['predict', { code: 'x'.repeat(1_000_001), variable: 'b', topK: 5 }, /code: must be at most 1000000 characters/],
    ['trace', { code, variable: 'b', intervention: '__proto__' }, /intervention: Invalid option/],
    ['trace', { code, variable: 'b', intervention: 'resid', batchSize: 0 }, /batchSize: Too small/],
    ['trace', { code, variable: 'b', intervention: 'resid', batchSize: -1 }, /batchSize: Too small/],
    ['trace', { code, variable: 'b', intervention: 'resid', batchSize: 'x' }, /batchSize: Invalid input: expected number/],
    ['bench/run', { ...bench, n: 1e12 }, /n: Too big/],
    ['bench/run', { ...bench, kind: 'x' }, /kind: Invalid option/],
    ['bench/run', { ...bench, device: 'x' }, /device: Invalid option/],
    ['bench/run', { ...bench, dtype: 'x' }, /dtype: Invalid option/],
    ['bench/run', { ...bench, models: [] }, /models: must name at least one model/],
    ['bench/run', { ...bench, resultsDir: null }, /resultsDir: Invalid input: expected string/],
    ['model/load', { dir: 3, device: 'cpu', dtype: 'float32' }, /dir: Invalid input: expected string/],
    ['study/matrix', { dir: root, step: -1, observable: 'sequence' }, /step: Too small/],
    ['study/latents', { dir: root, step: 'x' }, /step: Invalid input: expected number/],
    ['series/info', { series: '' }, /series: must be a non-empty path/],
    ['study/create', { id: 'emergence', settings: { series: '/s' }, resultsDir: root }, /settings\.hook: Invalid input/],
    ['study/create', { id: 'nope', settings: {}, resultsDir: root }, /id: Invalid discriminator value\. Expected 'influence' \| 'emergence'/],
  ];
  for (const [method, params, message] of cases)
    test(`${method} ${JSON.stringify(params).slice(0, 70)}`, () => error(method, params, -32602, message));

  test('a results folder that is a file is a clear error, not a raw EEXIST', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await error('bench/run', { ...bench, resultsDir: file }, 1, new RegExp(`${file}.*not a folder`));
  });
});

describe('prompts are held to the model\'s context', () => {
  // The embedded model's context is 256 positions; 60 lines of `v = 1` are 360 tokens.
  const long = Array.from({ length: 60 }, (_, i) => `${'abcdefghijklmnopqrstuvwxyz'[i % 26]} = ${i % 10}`).join('\n');
  test('an explicit predict or trace longer than the context is an error giving both lengths', async () => {
    await error('predict', { code: long, variable: 'h', topK: 3 }, 1, /the prompt: is \d+ tokens; program-tracer's context is 256 tokens/);
    await error('trace', { code: long, variable: 'h', intervention: 'resid' }, 1, /is \d+ tokens; program-tracer's context is 256 tokens|counterfactual/);
  });

  test('a hover (fit: trim) keeps the lines nearest the variable that fit and says how many were left out', async () => {
    const r = await call('predict', { code: long, variable: 'h', topK: 3, fit: 'trim' });
    const p = r.result as { prompt: string; omittedLines: number; contextTokens: number };
    assert.ok(p.omittedLines > 0 && p.omittedLines < 60, JSON.stringify(r).slice(0, 200));
    assert.equal(p.contextTokens, 256);
    assert.equal(p.prompt, `${long.split('\n').slice(p.omittedLines).join('\n')}\n#h:`);
    assert.ok(p.prompt.length <= 256);
  });

  test('a 1 MB hover is answered quickly, and other requests are not held up', async () => {
    const t0 = Date.now();
    const r = await call('predict', { code: `${'x = 1\n'.repeat(160_000)}y = x`, variable: 'y', topK: 3, fit: 'trim' }, 10_000);
    assert.ok((r.result as { omittedLines: number }).omittedLines > 0);
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
  });
});

describe('model folders', () => {
  let good: string;
  before(async () => {
    good = join(root, 'good');
    await writeTinyCheckpoint(good, { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, seed: 1 });
  });
  const load = (dir: string) => call('model/load', { dir, device: 'cpu', dtype: 'float32' }, 30_000);
  const broken = (name: string, change: (dir: string) => void) => {
    const dir = join(root, name);
    cpSync(good, dir, { recursive: true });
    change(dir);
    return dir;
  };

  test('config.json behind a link to an endless device is refused, not read', async () => {
    const dir = broken('zero', (d) => {
      rmSync(join(d, 'config.json'));
      symlinkSync('/dev/zero', join(d, 'config.json'));
    });
    const r = await load(dir);
    assert.match(r.error!.message, /config\.json: is not a regular file/);
  });

  test('model.safetensors that is a folder is named as such', async () => {
    const dir = broken('dir-weights', (d) => {
      rmSync(join(d, 'model.safetensors'));
      mkdirSync(join(d, 'model.safetensors'));
    });
    const id = nextId++;
    engine.request(id, 'model/load', { dir, device: 'cpu', dtype: 'float32' });
    const r = await engine.reply(id, 30_000);
    // Loading reads the config; the weights are read when the first graph is built.
    const p = r.error ? r : await call('predict', { code: 'a = 1', variable: 'a', topK: 1 }, 30_000);
    assert.match(p.error!.message, /model\.safetensors: is a folder, not a safetensors file/);
  });

  test('a shard index naming a file outside the folder is refused', async () => {
    const { tensors } = await readSafetensorsHeader(join(good, 'model.safetensors'));
    const dir = broken('escape', (d) => {
      rmSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: Object.fromEntries([...tensors.keys()].map((n) => [n, '../../etc/passwd'])) }));
    });
    const loaded = await load(dir);
    const r = loaded.error ? loaded : await call('predict', { code: 'a = 1', variable: 'a', topK: 1 }, 30_000);
    assert.match(r.error!.message, /shard names must be plain file names in the checkpoint folder/);
  });

  test('NaN weights are refused, naming the tensor', async () => {
    const dir = join(root, 'nan');
    await writeTinyCheckpoint(dir, { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, seed: 1 });
    const tensors = await readSafetensors(join(dir, 'model.safetensors'));
    await writeSafetensors(
      join(dir, 'model.safetensors'),
      Object.fromEntries([...tensors].map(([n, t]) => [n, { dtype: 'float32' as const, shape: t.shape, data: n.includes('embed') ? t.data.fill(NaN) : t.data }])),
    );
    const loaded = await load(dir);
    const r = loaded.error ? loaded : await call('predict', { code: 'a = 1', variable: 'a', topK: 1 }, 30_000);
    assert.match(r.error!.message, /tensor 'model\.embed_tokens\.weight' holds \d+ NaN or infinite values/);
  });

  test('a tokenizer with ids beyond the model\'s vocabulary is refused at load', async () => {
    const dir = broken('vocab', (d) => {
      const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, vocab_size: 8 }));
    });
    const r = await load(dir);
    assert.match(r.error!.message, /the tokenizer has \d+ token ids, but the model's vocabulary \(vocab_size\) has 8/);
  });

  test('after all that, the engine still has a model and answers', async () => {
    const r = await load(embeddedModelDir());
    assert.ok(r.result);
    assert.ok((await call('predict', { code: 'a = 1', variable: 'a', topK: 1 })).result);
  });
});
