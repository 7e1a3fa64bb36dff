/**
 * `introspect trace`: the grid JSON and heatmap it writes for the hand-built copy model, its
 * summary, and its refusals of bad flags.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PNG } from 'pngjs';
import type { PatchGrid } from '../../engine/src/api/types';
import { runTraceCommand } from '../../engine/src/tracing/cli';
import { writeCopyModel } from './copyModel';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-trace-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const CODE = 'x = 4\ny = x\nz = 1';
const PROMPT = `${CODE}\n#y:`;

before(async () => {
  await writeCopyModel(join(tmp, 'model'), CODE.indexOf('4'), PROMPT.length - 1);
  writeFileSync(join(tmp, 'prog.py'), `${CODE}\n`);
  process.env.INTROSPECT_CACHE ??= join(tmp, 'cache');
});

/** Runs the command with console.log captured. */
async function run(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await runTraceCommand(argv);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

test('writes the grid and its heatmap, and names the strongest cell', async () => {
  const out = join(tmp, 'out');
  const printed = await run(['--model', join(tmp, 'model'), '--file', join(tmp, 'prog.py'), '--var', 'y', '--out', out, '--device', 'cpu', '--intervention', 'heads']);
  const grid = JSON.parse(readFileSync(join(out, 'grid.json'), 'utf8')) as PatchGrid & { model: { nLayers: number } };
  assert.equal(grid.model.nLayers, 3);
  assert.deepEqual(grid.axes, ['layer', 'head']);
  assert.equal(grid.cleanAnswer.text, '4');
  assert.match(printed, /clean answer "4"/);
  assert.match(printed, /strongest cells[^\n]*\n {2}layer 1, head 0: 1\.000, 1/);
  const png = PNG.sync.read(readFileSync(join(out, 'heatmap_heads.png')));
  assert.ok(png.width > 50 && png.height > 50);
});

test('refuses bad flags naming them', async () => {
  const base = ['--model', join(tmp, 'model'), '--file', join(tmp, 'prog.py')];
  await assert.rejects(run([...base, '--var', 'y', '--intervention', 'attn']), /--intervention: must be one of resid, heads, mlp, knockout/);
  await assert.rejects(run(base), /--var: is required/);
  await assert.rejects(run(['--model', join(tmp, 'model'), '--file', join(tmp, 'missing.py'), '--var', 'y']), /missing\.py: cannot read/);
  await assert.rejects(run([...base, '--var', 'q']), /'q' is not assigned/);
});
