/**
 * The susceptibility study end to end on a real trained series: a full run and a run per component
 * for each checkpoint, χ per token, per sample and per group written as they finish; a cancelled
 * study resuming to the same numbers; worker processes giving what one process gives; the UMAP and
 * PCA pictures; the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SusceptibilitySettings } from '../../engine/src/api/studies';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors';
import { stepFolder } from '../../engine/src/studies/layout';
import { CHI_FILE, type ProbeToken, runSusceptibilityStudy, type SusceptibilitySummary, TOKENS_FILE } from '../../engine/src/studies/susceptibility';
import { procrustes, studyUmap, UMAP_FILE, type UmapFrames } from '../../engine/src/studies/umap';
import { SAMPLING_DEFAULTS } from '../../engine/src/studies/sampleCheckpoint';
import { BINDING_CLASSES } from '../../engine/src/studies/tokenClasses';
import { SERIES_STEPS, tinySeries } from './tinySeries';

const root = mkdtempSync(join(tmpdir(), 'introspect-susceptibility-study-'));
after(() => rmSync(root, { recursive: true, force: true }));
let series: string;

before(async () => {
  series = await tinySeries(join(root, 'train'));
});

const settings = (extra: Partial<SusceptibilitySettings> = {}): SusceptibilitySettings => ({
  series,
  data: 'binding-correctness',
  pairs: 3,
  dataSeed: 0,
  samplingData: 'binding',
  samplingSize: 32,
  samplingObserved: 8,
  components: 'heads,mlp',
  bootstrap: 50,
  sampling: { ...SAMPLING_DEFAULTS, chains: 2, draws: 12, burnIn: 2, batchSize: 8, epsilon: 1e-4, nbeta: 10, gamma: 100, perToken: true, malaEvery: 5 },
  ...extra,
});
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'engine', 'src', 'cli.ts'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('the susceptibility study', () => {
  let summary: SusceptibilitySummary;
  const out = () => join(root, 'study');

  test('per checkpoint: the full run and one per component; χ per token, sample and group; opposite-sign flags; plots', async () => {
    const seen: string[] = [];
    summary = await runSusceptibilityStudy(settings(), out(), { onProgress: (_d, _t, m) => seen.push(m) });
    assert.equal(summary.finished, true);
    assert.deepEqual(summary.rows.map((r) => r.step), SERIES_STEPS);
    assert.ok(seen.some((m) => /^step 3 \(2\/3\): l0\.h1 \(3\/4 runs\), chain 2\/2/.test(m)), seen.filter((m) => m.startsWith('step 3')).slice(0, 4).join(' | '));
    const tokens = JSON.parse(readFileSync(join(out(), TOKENS_FILE), 'utf8')) as ProbeToken[];
    // 6 probe samples (3 pairs), every predicted token of each.
    assert.equal(new Set(tokens.map((t) => t.sample)).size, 6);
    assert.ok(tokens.every((t) => (BINDING_CLASSES as readonly string[]).includes(t.class)));
    assert.deepEqual(tokens.filter((t) => t.class === 'claim').map((t) => t.text), JSON.parse(readFileSync(join(out(), 'data.json'), 'utf8')).samples.map((s: { text: string }) => s.text.at(-1)));
    for (const r of summary.rows) {
      assert.deepEqual(r.components.map((c) => c.name), ['l0.h0', 'l0.h1', 'l0.mlp']);
      for (const c of r.components) {
        for (const obs of ['sequence', 'claim']) {
          for (const g of ['correct', 'incorrect']) {
            const v = c.groups[obs][g];
            assert.ok(v.lo <= v.value && v.value <= v.hi && Number.isFinite(v.value), `${c.name} ${obs} ${g}: ${JSON.stringify(v)}`);
          }
          const [a, b] = [c.groups[obs].correct, c.groups[obs].incorrect];
          assert.equal(c.opposite[obs], (a.lo > 0 && b.hi < 0) || (a.hi < 0 && b.lo > 0));
        }
        assert.ok(Number.isFinite(c.llc) && c.sampled > 0);
      }
      const dir = stepFolder(out(), r.step);
      for (const f of [CHI_FILE, 'result.json', 'susceptibility.png', join('full', 'chain-1.safetensors'), join('l0.mlp', 'chain-0.safetensors')]) assert.ok(existsSync(join(dir, f)), `${r.step}/${f}`);
      const st = await openSafetensors(join(dir, CHI_FILE));
      assert.deepEqual(st.header.tensors.get('chi.token')!.shape, [tokens.length, 3]);
      assert.deepEqual(st.header.tensors.get('chi.sequence')!.shape, [6, 3]);
      // χ is linear in the observable: a group's χ is the mean of its samples' χ.
      const seq = (await st.readFloat('chi.sequence')).data;
      await st.close();
      const correct = [0, 2, 4].map((i) => seq[i * 3 + 1]);
      const want = r.components[1].groups.sequence.correct.value;
      assert.ok(Math.abs(correct.reduce((a, v) => a + v, 0) / 3 - want) <= 1e-6 * Math.max(1e-9, Math.abs(want)) + 1e-9, `${correct} vs ${want}`);
    }
    for (const f of ['summary.json', 'study.json', 'data.json', 'susceptibility-correct.png', 'susceptibility-incorrect.png', 'llc-components.png']) assert.ok(existsSync(join(out(), f)), f);
  });

  test('cancelled in a component run, it resumes there and ends where an uninterrupted study ends', async () => {
    const dir = join(root, 'cancelled');
    const abort = new AbortController();
    await assert.rejects(
      runSusceptibilityStudy(settings(), dir, { signal: abort.signal, onProgress: (_d, _t, m) => m.startsWith('step 3 (2/3): l0.h0') && abort.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(existsSync(join(stepFolder(dir, 0), 'result.json')) && !existsSync(join(stepFolder(dir, 3), 'result.json')));
    const done = await runSusceptibilityStudy(settings(), dir);
    assert.deepEqual(done.rows.map((r) => ({ ...r, dir: '' })), summary.rows.map((r) => ({ ...r, dir: '' })));
  });

  test('UMAP and PCA of the tokens over training: frames aligned, pictures written, and recomputed only when the checkpoints change', async () => {
    const frames = await studyUmap(out(), summary, { nNeighbors: 5 });
    assert.deepEqual(frames.steps, SERIES_STEPS);
    assert.deepEqual(frames.components, ['l0.h0', 'l0.h1', 'l0.mlp']);
    for (const f of [...frames.umap, ...frames.pca]) assert.equal(f.length, 2 * frames.tokens.length);
    for (const v of frames.pcaVariance) assert.ok(v[0] >= v[1] && v[1] >= v[2] && v[0] + v[1] + v[2] <= 1 + 1e-9);
    for (const f of ['umap-grid.png', 'pca-grid.png', 'umap.gif']) assert.ok(existsSync(join(out(), f)), f);
    assert.equal(readFileSync(join(out(), 'umap.gif')).subarray(0, 6).toString(), 'GIF89a');
    const again = await studyUmap(out(), summary, { nNeighbors: 5 });
    assert.deepEqual(again, JSON.parse(readFileSync(join(out(), UMAP_FILE), 'utf8')) as UmapFrames);
    // Seeded: the same frames again from scratch.
    rmSync(join(out(), UMAP_FILE));
    assert.deepEqual((await studyUmap(out(), summary, { nNeighbors: 5 })).umap, frames.umap);
  });

  test('Procrustes: a rotated, reflected, scaled and shifted copy is put back exactly', () => {
    const target = [0, 0, 1, 0, 0, 2, 3, 1, -1, 2];
    const [c, s] = [Math.cos(0.7) * 2.5, Math.sin(0.7) * 2.5];
    const moved = Array.from({ length: 5 }, (_, i) => [-(c * target[2 * i] - s * target[2 * i + 1]) + 4, s * target[2 * i] + c * target[2 * i + 1] - 3]).flat();
    procrustes(moved, target).forEach((v, i) => assert.ok(Math.abs(v - target[i]) < 1e-9, `${v} vs ${target[i]}`));
  });
});

describe('the CLI', () => {
  test('introspect study susceptibility with worker processes writes what one process writes; introspect study umap', () => {
    const dir = join(root, 'cli');
    const r = cli('study', 'susceptibility', '--series', series, '--steps', '0,6', '--pairs', '3', '--sampling-size', '32', '--sampling-observed', '8', '--components', 'heads,mlp', '--bootstrap', '50', '--chains', '2', '--draws', '12', '--burn-in', '2', '--batch', '8', '--epsilon', '1e-4', '--nbeta', '10', '--gamma', '100', '--mala-every', '5', '--workers', '2', '--out', dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote .*cli: 2 checkpoints of train/);
    assert.match(r.out, /step {6}6 {2}LLC full -?\d+\.\d+ {2}strongest l0\.(h0|h1|mlp) \(χ correct -?\d\.\d+e[-+]\d+, incorrect -?\d\.\d+e[-+]\d+\) {2}opposite signs: /);
    const written = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SusceptibilitySummary;
    const local = JSON.parse(readFileSync(join(root, 'study', 'summary.json'), 'utf8')) as SusceptibilitySummary;
    assert.deepEqual(written.rows, local.rows.filter((x) => x.step !== 3));
    const u = cli('study', 'umap', dir, '--neighbors', '5');
    assert.equal(u.code, 0, u.err);
    assert.match(u.out, /2 checkpoints × \d+ tokens × 3 components/);
    assert.match(u.out, /step {6}6 {2}PCA variance \d+\.\d% \/ \d+\.\d% \/ \d+\.\d% {2}PC1 loadings (all one sign \(a uniform mode\)|of both signs)/);
  });

  test('bad flags are one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['study', 'susceptibility', '--series', series], /--out: is required/],
      [['study', 'susceptibility', '--series', series, '--components', 'full', '--out', join(root, 'b1')], /components: the whole model is the reference run, not a component/],
      [['study', 'susceptibility', '--series', series, '--components', 'l5.h0', '--out', join(root, 'b2')], /layer 5 out of range: the model has 1 layers/],
      [['study', 'umap', join(root, 'nowhere')], /not a study folder/],
    ];
    for (const [args, want] of cases) {
      const r = cli(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, want);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});
