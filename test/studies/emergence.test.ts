/**
 * The feature-emergence study end to end on a real trained series: per checkpoint an activation
 * cache, an SAE, its metrics and the correctness latents and probes, written as it goes; the
 * matched latent followed back by decoder cosine; a cancelled run resuming to the same rows; warm
 * starts; `introspect study emergence` and `introspect sae train`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EmergenceSettings } from '../../engine/src/api/studies';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors';
import { BROWSER_FILE, type BrowsedLatent, type EmergenceRow, type EmergenceSummary, LATENTS_FILE, RESULT_FILE, runEmergenceStudy, SAE_FILE } from '../../engine/src/studies/emergence';
import { stepFolder } from '../../engine/src/studies/layout';
import { Sae } from '../../engine/src/sae/sae';
import { SERIES_STEPS, tinySeries } from './tinySeries';

const root = mkdtempSync(join(tmpdir(), 'introspect-emergence-'));
after(() => rmSync(root, { recursive: true, force: true }));
let series: string;

before(async () => {
  series = await tinySeries(join(root, 'train'));
});

const settings = (extra: Partial<EmergenceSettings> = {}): EmergenceSettings => ({
  series,
  hook: 'blocks.0.hook_resid_post',
  positions: 'claim',
  data: 'binding-correctness',
  pairs: 24,
  dataSeed: 0,
  sae: { kind: 'relu', latents: 32, k: 4, l1: 1, lr: 1e-3, clip: 1, batch: 16, steps: 30, seed: 0, warmStart: false },
  spliceSamples: 8,
  trainFraction: 0.5,
  birthAccuracy: 0.8,
  ...extra,
});

describe('the emergence study', () => {
  let summary: EmergenceSummary;
  const out = () => join(root, 'study');

  test('every checkpoint: SAE, its metrics, correctness latents and probes on held-out pairs, the latent browser; summary and curves', async () => {
    const seen: string[] = [];
    summary = await runEmergenceStudy(settings(), out(), { onProgress: (_d, _t, m) => seen.push(m) });
    assert.equal(summary.finished, true);
    assert.deepEqual(summary.rows.map((r) => r.step), SERIES_STEPS);
    assert.ok(seen.some((m) => m.startsWith('step 3 (2/3): SAE step 30/30')), seen.slice(0, 3).join(' | '));
    for (const r of summary.rows) {
      const dir = stepFolder(out(), r.step);
      for (const f of [RESULT_FILE, SAE_FILE, LATENTS_FILE, BROWSER_FILE, 'sae-log.json', 'activations/activations.json']) assert.ok(existsSync(join(dir, f)), `${r.step}/${f}`);
      // 24 pairs, half held out: each held-out accuracy is over 24 samples, with a bootstrap band around it.
      assert.deepEqual(r.correctness.split, { train: 24, heldOut: 24, seed: 0 });
      for (const c of [r.correctness.top[0], r.correctness.logistic, r.correctness.differenceOfMeans]) {
        const a = c.heldOutAccuracy;
        assert.ok(a.lo <= a.value && a.value <= a.hi && a.value >= 0 && a.value <= 1, JSON.stringify(a));
        assert.ok(Number.isInteger(Math.round(a.value * 24 * 1e6) / 1e6), `an accuracy over 24 samples: ${a.value}`);
      }
      assert.ok(r.sae.explainedVariance <= 1 && r.sae.l0 >= 0 && r.sae.deadFraction >= 0 && r.sae.deadFraction <= 1);
      assert.ok([r.sae.ceClean, r.sae.ceSpliced, r.sae.ceZeroAblated, r.sae.ceLossRecovered, r.sae.klSpliced].every(Number.isFinite));
      assert.ok(r.taskAccuracy >= 0 && r.taskAccuracy <= 1);
      const per = await openSafetensors(join(dir, LATENTS_FILE));
      assert.deepEqual(per.header.tensors.get('heldout_accuracy')!.shape, [32]);
      const acc = (await per.readFloat('heldout_accuracy')).data;
      await per.close();
      // The best latent's held-out accuracy is the one stored per latent.
      const best = r.correctness.top[0];
      assert.ok(Math.abs(acc[best.latent] - best.heldOutAccuracy.value) < 1e-6);
      const browser = JSON.parse(readFileSync(join(dir, BROWSER_FILE), 'utf8')) as BrowsedLatent[];
      assert.equal(browser[0].latent, best.latent);
      for (const b of browser) {
        assert.ok(b.top.length <= 8);
        assert.ok(b.top.every((t, i) => t.value > 0 && (i === 0 || t.value <= b.top[i - 1].value) && t.sample >= 0 && t.sample < 48));
      }
    }
    // Followed back from the last checkpoint's best latent, each step's latent is the decoder-nearest one.
    const matched = summary.matched;
    assert.deepEqual(matched.map((m) => m.step), SERIES_STEPS);
    assert.equal(matched[2].latent, summary.rows[2].correctness.top[0].latent);
    assert.equal(matched[2].cosine, 1);
    const saes = await Promise.all(SERIES_STEPS.map((s) => Sae.load(join(stepFolder(out(), s), SAE_FILE))));
    for (const k of [0, 1]) {
      const target = saes[k + 1].direction(matched[k + 1].latent);
      const cos = (j: number) => saes[k].direction(j).reduce((a, v, t) => a + v * target[t], 0);
      const best = Array.from({ length: 32 }, (_, j) => cos(j)).reduce((b, v, j, all) => (v > all[b] ? j : b), 0);
      assert.equal(matched[k].latent, best);
      assert.ok(Math.abs(matched[k].cosine - cos(best)) < 1e-5);
    }
    const born = matched.find((m) => m.heldOutAccuracy >= 0.8);
    assert.equal(summary.birth, born?.step ?? null);
    for (const f of ['summary.json', 'study.json', 'data.json', 'emergence.png', 'sae-quality.png']) assert.ok(existsSync(join(out(), f)), f);
  });

  test('a finished study is not redone; other settings in the same folder are refused', async () => {
    const mtime = statSync(join(stepFolder(out(), 3), SAE_FILE)).mtimeMs;
    const again = await runEmergenceStudy(settings(), out());
    assert.deepEqual(again.rows, summary.rows);
    assert.equal(statSync(join(stepFolder(out(), 3), SAE_FILE)).mtimeMs, mtime);
    await assert.rejects(runEmergenceStudy(settings({ hook: 'blocks.0.hook_mlp_out' }), out()), /holds a run with other settings/);
  });

  test('cancelled during a checkpoint, it resumes there and ends where an uninterrupted run ends', async () => {
    const dir = join(root, 'cancelled');
    const abort = new AbortController();
    await assert.rejects(
      runEmergenceStudy(settings(), dir, { signal: abort.signal, onProgress: (_d, _t, m) => m.startsWith('step 3 (2/3): SAE step 10/') && abort.abort() }),
      /cancelled/,
    );
    assert.ok(existsSync(join(stepFolder(dir, 0), RESULT_FILE)) && !existsSync(join(stepFolder(dir, 3), RESULT_FILE)));
    const done = await runEmergenceStudy(settings(), dir);
    assert.deepEqual(done.rows, summary.rows);
  });

  test('warm start: each checkpoint starts from the previous SAE, and keeps its latents aligned', async () => {
    const warm = await runEmergenceStudy(settings({ sae: { ...settings().sae, warmStart: true } }), join(root, 'warm'));
    assert.deepEqual(warm.rows.map((r) => r.step), SERIES_STEPS);
    // A warm-started SAE moves from its start, so the matched latents stay near-parallel (a cold one would not).
    assert.ok(warm.matched.slice(0, 2).every((m) => m.cosine > 0.5), JSON.stringify(warm.matched));
    assert.ok(!warm.rows.every((r, i) => JSON.stringify(r.sae) === JSON.stringify(summary.rows[i].sae)), 'warm and cold SAEs differ');
  });

  test('data without correct and incorrect groups is refused', async () => {
    const file = join(root, 'groups.jsonl');
    writeFileSync(file, '{"text": "a = 1", "group": "good"}\n{"text": "a = 2", "group": "bad"}\n');
    await assert.rejects(runEmergenceStudy(settings({ data: file }), join(root, 'bad-groups')), /needs samples in groups "correct" and "incorrect" \(has: good, bad\)/);
  });
});

describe('the CLI', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'engine', 'src', 'cli.ts'), ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const small = ['--hook', 'blocks.0.hook_resid_post', '--pairs', '12', '--latents', '16', '--batch', '8', '--sae-steps', '10', '--splice-samples', '4'];

  test('introspect study emergence prints a line per checkpoint and the birth', () => {
    const r = cli('study', 'emergence', '--series', series, '--steps', '0,6', ...small, '--out', join(root, 'cli-study'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote .*cli-study: 2 checkpoints of train/);
    assert.match(r.out, /step {6}6 {2}task \d+\.\d%  SAE EV -?\d\.\d{3} CE rec -?\d+\.\d{3} L0 \d+\.\d dead \d+%  best latent \d+ \d+\.\d% \[\d+\.\d, \d+\.\d\]/);
    assert.match(r.out, /(birth: step \d+|the matched latent never reaches 80% held-out accuracy)/);
  });

  test('introspect sae train: one checkpoint, TopK', () => {
    const out = join(root, 'cli-sae');
    const r = cli('sae', 'train', '--model', join(series, 'step-6'), ...small, '--sae', 'topk', '--k', '3', '--out', out);
    assert.equal(r.code, 0, r.err);
    const row = JSON.parse(readFileSync(join(out, RESULT_FILE), 'utf8')) as EmergenceRow;
    assert.ok(row.sae.l0 <= 3 + 1e-9, `TopK L0 ${row.sae.l0}`);
    assert.ok(existsSync(join(out, SAE_FILE)));
  });

  test('bad flags are one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['study', 'emergence', '--series', series], /--out: is required/],
      [['study', 'emergence', '--series', series, '--out', join(root, 'b1'), '--positions', 'middle'], /--positions: must be one of all, last, claim/],
      [['study', 'emergence', '--series', series, '--out', join(root, 'b2'), '--sae', 'topk', '--latents', '8', '--k', '9'], /--k: must be at most --latents \(8\), got 9/],
      [['study', 'emergence', '--series', series, '--out', join(root, 'b3'), '--birth-accuracy', '0.4'], /--birth-accuracy: must be in \(0\.5, 1\], got 0\.4/],
      [['study', 'emergence', '--series', series, '--out', join(root, 'b4'), '--hook', 'blocks.7.hook_resid_post', ...small.slice(2)], /blocks\.7\.hook_resid_post/],
      [['sae', 'fit', '--model', series], /unknown sae command "fit" \(train\)/],
    ];
    for (const [args, want] of cases) {
      const r = cli(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, want);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});
