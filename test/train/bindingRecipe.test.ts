/**
 * The binding-tracer recipe as its README runs it, on a one-layer model for two steps: a run from
 * scratch, then a run grown from it with --init/--grow-at, and its flags' errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'introspect-recipe-'));
after(() => rmSync(root, { recursive: true, force: true }));
const recipe = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'experiments/train/bindingTracer.ts', ...args], { encoding: 'utf8' });
const small = ['--steps', '2', '--layers', '1', '--d', '16', '--heads', '2', '--held-out', '8', '--eval-every', '1'];
const layers = (dir: string) => (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;

test('a run from scratch, then one grown from it by two blocks, each scored by hops', () => {
  const first = join(root, 'first');
  const a = recipe('--out', first, ...small, '--line-values', '--queries', '2', '--spaced-queries', '0.5');
  assert.equal(a.status, 0, a.stderr);
  assert.equal(layers(join(first, 'step-2')), 1);
  const summary = JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8'));
  assert.equal(summary.heldOut.overall.n, 8);
  assert.equal(summary.run.spacedQueries, 0.5);

  const grown = join(root, 'grown');
  const args = ['--out', grown, '--init', join(first, 'step-2'), '--grow-at', '0,1', ...small];
  const b = recipe(...args);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(layers(join(grown, 'init')), 3);
  assert.equal(layers(join(grown, 'step-2')), 3);
  // The same command again finds the finished run and resumes it (nothing left to do) rather than refusing.
  const again = recipe(...args);
  assert.equal(again.status, 0, again.stderr);
  assert.ok(existsSync(join(grown, 'final-float16', 'model.safetensors')));
});

test('bad flags are one clear line each', () => {
  const fails = (args: string[], message: RegExp) => {
    const r = recipe('--out', join(root, 'bad'), ...args);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), message);
  };
  fails(['--grow-at', '1'], /^--grow-at: needs --init, the model to grow$/);
  fails(['--spaced-queries', '2'], /^--spaced-queries: must be a probability from 0 to 1, got 2$/);
  fails(['--init', root], /no config\.json there: not a model folder/);
});
