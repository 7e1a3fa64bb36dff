/** The CLI as a user runs it: a real process, exit codes, one-line errors without stack traces. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';

const root = mkdtempSync(join(tmpdir(), 'introspect-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const model = join(root, 'model');
const prog = join(root, 'prog.py');
const cf = join(root, 'cf.py');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'engine', 'src', 'cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, INTROSPECT_CACHE: join(root, 'cache') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  await writeTinyCheckpoint(model, { modelType: 'gpt2', seed: 2 });
  writeFileSync(prog, 'a = 3\nb = a\nc = 7\nd = b\n');
  writeFileSync(cf, 'a = 5\nb = a\nc = 7\nd = b\n');
});

test('predict prints top-k values with probabilities', () => {
  const r = cli('predict', '--model', model, '--file', prog, '--var', 'd', '--device', 'cpu', '--json');
  assert.equal(r.code, 0, r.err);
  const p = JSON.parse(r.out);
  assert.equal(p.top.length, 5);
  assert.equal(p.prompt, 'a = 3\nb = a\nc = 7\nd = b\n#d:');
  // A program file that ends with its own query line (as binding programs do) is queried once.
  const queried = join(root, 'queried.py');
  writeFileSync(queried, 'a = 3\nb = a\nc = 7\nd = b\n#d:\n');
  const q = cli('predict', '--model', model, '--file', queried, '--var', 'd', '--device', 'cpu', '--json');
  assert.equal(q.code, 0, q.err);
  assert.equal(JSON.parse(q.out).prompt, 'a = 3\nb = a\nc = 7\nd = b\n#d:');
});

test('patch writes a layer × token grid', () => {
  const out = join(root, 'grid.json');
  const r = cli('patch', '--model', model, '--file', prog, '--var', 'd', '--cf', cf, '--out', out, '--device', 'cpu');
  assert.equal(r.code, 0, r.err);
  const g = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(g.axes, ['layer', 'pos']);
  assert.equal(g.shape[0], 2);
  assert.equal(g.shape[1], g.tokens.length);
  assert.equal(g.top1.length, g.shape[0] * g.shape[1]);
});

const bad: Array<[string, string[], RegExp]> = [
  ['a missing model folder', ['predict', '--model', join(root, 'nope'), '--file', prog, '--var', 'd'], /config\.json: file not found/],
  ['a missing program file', ['predict', '--model', model, '--file', join(root, 'none.py'), '--var', 'd'], /none\.py: cannot read \(ENOENT\)/],
  ['an empty program', ['predict', '--model', model, '--file', '/dev/null', '--var', 'd'], /empty program/],
  ['a missing flag', ['predict', '--model', model, '--file', prog], /--var: is required/],
  ['an unknown flag', ['predict', '--modle', model], /Unknown option '--modle'/],
  ['an unknown device', ['predict', '--model', model, '--file', prog, '--var', 'd', '--device', 'tpu'], /--device: must be one of auto, cpu, webgpu, cuda/],
  ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ['an unknown hook', ['patch', '--model', model, '--file', prog, '--var', 'd', '--source', 'zero', '--hook', 'resid'], /unknown hook kind "resid"/],
];
for (const [what, args, message] of bad) {
  test(`${what}: exit 1, one clear line, no stack trace`, () => {
    const r = cli(...args);
    assert.equal(r.code, 1);
    assert.match(r.err, message);
    assert.match(r.err, /^error: /m);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
}

test('patch leaves no half-written output when it fails', () => {
  const out = join(root, 'never.json');
  const r = cli('patch', '--model', model, '--file', prog, '--var', 'd', '--cf', join(root, 'missing.py'), '--out', out);
  assert.equal(r.code, 1);
  assert.equal(existsSync(out), false);
});

test('demo: the embedded model predicts and traces an example program, writing grids and heatmaps', () => {
  const out = join(root, 'demo');
  // The default device: where auto falls back (no GPU here), it says so once, not once per graph.
  const r = cli('demo', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.ok((r.err.match(/fell back/g) ?? []).length <= 1, r.err);
  for (const f of ['program.py', 'prediction.json', 'grid_resid.json', 'heatmap_resid.png', 'grid_heads.json', 'heatmap_heads.png'])
    assert.ok(existsSync(join(out, f)), f);
  const p = JSON.parse(readFileSync(join(out, 'prediction.json'), 'utf8'));
  // Trained on these programs, the model puts its mass on digits.
  assert.match(p.top[0].text, /^[0-9]$/);
  const g = JSON.parse(readFileSync(join(out, 'grid_resid.json'), 'utf8'));
  assert.deepEqual(g.axes, ['layer', 'pos']);
});

test('resume on a results folder lists what is unfinished (a suite once) and --all finishes it', () => {
  const out = join(root, 'results-resume');
  const r = cli('bench', 'variable-binding', '--models', 'oracle', '--lengths', '2', '--n', '2', '--out', out);
  assert.equal(r.code, 0, r.err);
  const dirs = readdirSync(out).map((d) => join(out, d)).sort();
  assert.equal(dirs.length, 2);
  for (const d of dirs) rmSync(join(d, 'summary.json')); // as if killed before either finished
  const listed = cli('resume', out);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, /: 1 unfinished\n {2}suite variable-binding +introspect resume /);
  const all = cli('resume', '--all', out);
  assert.equal(all.code, 0, all.err);
  for (const d of dirs) assert.ok(existsSync(join(d, 'summary.json')), d);
  assert.match(cli('resume', out).out, /nothing unfinished/);
});
