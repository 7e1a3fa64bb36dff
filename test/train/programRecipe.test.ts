/**
 * The program-tracer recipe as its README runs it, for two steps, from a one-layer binding model the
 * binding recipe writes: the model widened to the recipe's tokenizer and context, held-out accuracy
 * logged per generator, the compact copy declaring every program kind, a rerun resumed; its flags' errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PROGRAM_KINDS } from '../../engine/src/tasks/programKinds';
import { KIND_GENERATORS } from '../../experiments/train/programData';

const root = mkdtempSync(join(tmpdir(), 'introspect-program-recipe-'));
after(() => rmSync(root, { recursive: true, force: true }));
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', `experiments/train/${script}.ts`, ...args], { encoding: 'utf8' });
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const binding = join(root, 'binding');

before(() => {
  const r = run('bindingTracer', '--out', binding, '--steps', '2', '--layers', '1', '--d', '16', '--heads', '2', '--held-out', '8', '--eval-every', '2');
  assert.equal(r.status, 0, r.stderr);
});

test('continues a binding model on every kind: widened, scored per generator, declaring its domain, resumable', () => {
  const out = join(root, 'program');
  const args = ['--init', join(binding, 'step-2'), '--out', out, '--steps', '2', '--batch', '8', '--held-out', '2', '--eval-every', '1', '--binding-ends', '--start-values', '0.5'];
  const a = run('programTracer', ...args);
  assert.equal(a.status, 0, a.stderr);
  const config = json(join(out, 'init', 'config.json'));
  assert.equal(config.vocab_size, Object.keys(json(join(out, 'init', 'tokenizer.json')).model.vocab).length);
  assert.ok(config.vocab_size > json(join(binding, 'step-2', 'config.json')).vocab_size);
  assert.equal(config.max_position_embeddings, 256);
  const log = readFileSync(join(out, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const groups = log.find((r) => r.evalGroups)!.evalGroups;
  assert.deepEqual(Object.keys(groups).sort(), ['binding', ...KIND_GENERATORS.map((g) => g.name)].sort());
  assert.deepEqual(json(join(out, 'final-float16', 'introspect.json')).domain.kinds, [...PROGRAM_KINDS]);
  const summary = json(join(out, 'summary.json'));
  assert.equal(summary.run.startValues, 0.5);
  assert.equal(summary.run.bindingEnds, true);
  // The same command again finds the finished run rather than refusing it.
  const again = run('programTracer', ...args);
  assert.equal(again.status, 0, again.stderr);
});

test('bad flags are one clear line each', () => {
  const fails = (args: string[], message: RegExp) => {
    const r = run('programTracer', '--out', join(root, 'bad'), '--init', join(binding, 'step-2'), ...args);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), message);
  };
  fails(['--start-values', '2'], /^--start-values: must be a probability from 0 to 1, got 2$/);
  fails(['--binding', '40'], /--binding/);
  fails(['--init', root], /no config\.json there: not a model folder/);
});
