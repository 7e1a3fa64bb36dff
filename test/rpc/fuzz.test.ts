/**
 * A bounded fuzz run against the engine process: 2,000 seeded messages (bent params, broken
 * envelopes and JSON, oversized bodies). The engine never exits, answers every request in time,
 * and every error says what was wrong rather than leaking internals. bench/fuzz.ts runs 10,000.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { fuzz } from './fuzz';
import { WireEngine } from './wire';

const root = mkdtempSync(join(tmpdir(), 'introspect-fuzz-'));
let engine: WireEngine;

before(async () => {
  await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs')]);
  await writeTinyCheckpoint(join(root, 'tiny'), { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, seed: 1 });
  engine = WireEngine.start({ INTROSPECT_CACHE: join(root, 'cache') });
  engine.request(0, 'model/load', { dir: join(root, 'tiny'), device: 'cpu', dtype: 'float32' });
  assert.ok((await engine.reply(0, 60_000)).result);
}, { timeout: 120_000 });

after(async () => {
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});

test('2,000 fuzz messages: the engine stays up, answers each request within 5 s, and names what was wrong', { timeout: 600_000 }, async () => {
  const r = await fuzz(engine, 2000, 7);
  console.log(`fuzz outcomes: ${JSON.stringify(r.counts)}; slowest answer ${r.slowest} ms`);
  assert.equal(engine.exitCode, undefined, 'the engine is still running');
  assert.deepEqual(r.leaks, []);
  assert.equal(r.unanswered, 0);
  for (const code of ['-32700', '-32600', '-32601', '-32602']) assert.ok(r.counts[`error ${code}`] > 0, `some ${code}`);
  assert.ok(r.counts.result > 100, 'plenty of requests still work');
  engine.request('last', 'engine/status');
  assert.ok((await engine.reply('last')).result);
});
