#!/usr/bin/env node
/**
 * Compares the engine with a reference folder written by make_reference.py (or with the fixtures):
 * logits and every hook activation, the patched last-position logits of each sweep present, and
 * per-row losses and weight gradients when present. Prints one line per check; exits 1 if any fails.
 *
 *   node --import tsx scripts/reference/compare.mjs DIR [--only llama,gpt2] [--device cpu]
 *        [--method incremental|full] [--atol 1e-4] [--rtol 1e-4] [--grad-rtol 1e-3]
 *
 * DIR is a set of models with an index.json (every entry, or those named by --only) or one model
 * folder. The tolerances: |Δ| ≤ atol + rtol·max|ref| for logits, activations and patched logits
 * (the parity test uses atol 1e-4 alone, which wider models outgrow); max|Δ|/max|ref| ≤ grad-rtol
 * for gradients and 1e-5 relative for losses, as test/autodiff/reference.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeBatch } from '../../engine/src/autodiff/batch.ts';
import { loadParameters } from '../../engine/src/autodiff/load.ts';
import { buildLossGraph } from '../../engine/src/autodiff/lossGraph.ts';
import { LossRunner } from '../../engine/src/autodiff/runner.ts';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors.ts';
import { BLOCK_HOOK_KINDS, hookName } from '../../engine/src/hooks.ts';
import { LoadedModel } from '../../engine/src/model.ts';
import { patchSweep } from '../../engine/src/patching.ts';

/** Reference tensor → the sweep that reproduces it. */
const SWEEPS = {
  'patch.resid_pre.last_logits': { hook: 'hook_resid_pre', perHead: false },
  'patch.mlp_out.last_logits': { hook: 'hook_mlp_out', perHead: false },
  'patch.z.last_logits': { hook: 'attn.hook_z', perHead: true },
};
/**
 * Gradients are named as torch's named_parameters() names them; transformers 5 calls GPT-NeoX's
 * output head `lm_head` there but saves it under the checkpoint name `embed_out.weight`. The
 * checkpoint name is tried second, for folders made by a version that keeps one name.
 */
const GRAD_NAME = { 'embed_out.weight': 'lm_head.weight' };

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    method: { type: 'string', default: 'incremental' },
    atol: { type: 'string', default: '1e-4' },
    rtol: { type: 'string', default: '1e-4' },
    'grad-rtol': { type: 'string', default: '1e-3' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node --import tsx scripts/reference/compare.mjs DIR [--only a,b] [--device cpu] [--method incremental|full]');
  process.exit(2);
}
const atol = Number(opt.atol);
const rtol = Number(opt.rtol);
const gradRtol = Number(opt['grad-rtol']);

/** The model folders to check: every index.json entry (or --only's), or DIR itself. */
function modelDirs(dir) {
  if (existsSync(join(dir, 'reference.safetensors'))) return [dir];
  const indexPath = join(dir, 'index.json');
  if (!existsSync(indexPath)) throw new Error(`${dir}: neither a model folder (reference.safetensors) nor a set (index.json)`);
  const names = Object.keys(JSON.parse(readFileSync(indexPath, 'utf8')));
  const only = opt.only ? opt.only.split(',') : names;
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`${indexPath}: no entry ${unknown.join(', ')} (has ${names.join(', ')})`);
  return only.map((n) => join(dir, n));
}

/** max |a − b| and max |b|. */
function diff(a, b) {
  if (a.length !== b.length) return { d: Infinity, m: 0, note: `${a.length} values for ${b.length}` };
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return { d, m };
}

async function checkModel(dir, cacheDir, report) {
  const name = basename(dir);
  const ref = await openSafetensors(join(dir, 'reference.safetensors'));
  const has = (n) => ref.header.tensors.has(n);
  const read = (n) => ref.readFloat(n);
  const ids = await ref.readInt('input_ids');
  const T = ids.shape[1];
  const rows = [0, 1].map((r) => Array.from(ids.data.slice(r * T, (r + 1) * T), Number));
  const close = (what, actual, expected) => {
    const { d, m, note } = diff(actual, expected);
    report(name, what, `max|Δ| ${d.toExponential(2)} (max|ref| ${m.toPrecision(3)})${note ? ' ' + note : ''}`, d <= atol + rtol * m);
  };

  const model = await LoadedModel.load(dir, { device: opt.device, cacheDir });
  try {
    const L = model.spec.nLayers;
    const hooks = Array.from({ length: L }, (_, l) => BLOCK_HOOK_KINDS.map((k) => hookName(l, k))).flat();
    const out = await model.forward(rows, { logits: 'all', hooks });
    close('logits', out.logits.data, (await read('logits')).data);
    for (const h of hooks) close(h, out.hooks.get(h).data, (await read(`act.${h}`)).data);

    for (const [key, s] of Object.entries(SWEEPS)) {
      if (!has(key)) continue;
      const expected = await read(key);
      const res = await patchSweep(model, rows[0], rows[1], { ...s, keepLogits: true, batchSize: 16, method: opt.method });
      const shapeOk = res.shape.join() === expected.shape.slice(0, -1).join();
      if (!shapeOk) report(name, key, `shape [${res.shape}] vs [${expected.shape.slice(0, -1)}]`, false);
      else close(key, res.logits, expected.data);
    }
  } finally {
    await model.dispose();
  }

  if (has('loss.per_row')) {
    const { layout, flat } = await loadParameters(dir);
    const runner = await LossRunner.create(buildLossGraph(layout, flat), layout.size, opt.device);
    try {
      const res = await runner.run(flat, makeBatch(rows));
      const perRow = (await read('loss.per_row')).data;
      const { d, m } = diff(res.perRow, perRow);
      report(name, 'loss.per_row', `max|Δ| ${d.toExponential(2)} (losses ${Array.from(perRow, (x) => x.toFixed(4)).join(', ')})`, d <= 1e-5 * m);
      let worst = { e: 0, param: '' };
      const bad = [];
      for (const s of layout.slots) {
        const key = [`grad.${GRAD_NAME[s.name]}`, `grad.${s.name}`].find(has);
        if (!key) {
          bad.push(`grad.${s.name} missing`);
          continue;
        }
        const g = diff(res.grad.subarray(s.offset, s.offset + s.size), (await read(key)).data);
        const e = g.d / g.m;
        if (!(e <= worst.e)) worst = { e, param: s.name };
        if (!(e <= gradRtol)) bad.push(`${s.name} ${e.toExponential(2)}`);
      }
      const summary = `worst relative error ${worst.e.toExponential(2)} (${worst.param}) over ${layout.slots.length} tensors`;
      report(name, 'grad.*', bad.length ? `${summary}; over ${gradRtol}: ${bad.join(', ')}` : summary, bad.length === 0);
    } finally {
      await runner.release();
    }
  }
  await ref.close();
}

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-compare-'));
let failed = 0;
let passed = 0;
const report = (model, what, detail, ok) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${model.padEnd(12)} ${what.padEnd(32)} ${detail}`);
};
try {
  for (const dir of modelDirs(resolve(positionals[0]))) await checkModel(dir, cacheDir, report);
} catch (e) {
  // A folder the engine or this script cannot read: say so in one line (IntrospectError names the file).
  console.error(`compare: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 2;
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
if (process.exitCode !== 2) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
