/**
 * The influence study end to end on a real trained series: series in every form the studies read,
 * the study's data, per-checkpoint results written as they finish, a cancelled run resuming to the
 * same records as an uninterrupted one, and the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors';
import { readChainRecord } from '../../engine/src/sampling/record';
import { bindingCorrectness } from '../../engine/src/studies/data/binding';
import { studyData } from '../../engine/src/studies/data/index';
import { observedSamples } from '../../engine/src/studies/data/tokenize';
import type { InfluenceSettings } from '../../engine/src/api/studies';
import { curveEvents, type InfluenceRow, type InfluenceSummary, runInfluenceStudy } from '../../engine/src/studies/influence';
import { stepFolder } from '../../engine/src/studies/layout';
import { chainFile, SAMPLING_DEFAULTS } from '../../engine/src/studies/sampleCheckpoint';
import { readSeries } from '../../engine/src/studies/series';
import { Tokenizer } from '../../engine/src/tokenizer';
import { SERIES_STEPS, tinySeries } from './tinySeries';

const root = mkdtempSync(join(tmpdir(), 'introspect-study-'));
after(() => rmSync(root, { recursive: true, force: true }));
let series: string;

before(async () => {
  series = await tinySeries(join(root, 'train'));
});

const settings = (extra: Partial<InfluenceSettings> = {}): InfluenceSettings => ({
  series,
  data: 'binding-correctness',
  pairs: 4,
  samplingData: 'binding',
  samplingSize: 32,
  dataSeed: 0,
  sampling: { ...SAMPLING_DEFAULTS, chains: 2, draws: 6, burnIn: 0, batchSize: 8, initBatches: 4, epsilon: 1e-4, gamma: 100 },
  ...extra,
});

describe('checkpoint series', () => {
  test('a folder of step-<N> (or step<N>) model folders, ordered by step; --steps picks a subset', () => {
    assert.deepEqual(readSeries(series).map((c) => c.step), SERIES_STEPS);
    assert.deepEqual(readSeries(series, [6, 0]).map((c) => c.step), [0, 6]);
    const plain = join(root, 'plain');
    for (const s of SERIES_STEPS) cpSync(join(series, `step-${s}`), join(plain, `step${s}`), { recursive: true });
    assert.deepEqual(readSeries(plain).map((c) => c.dir), SERIES_STEPS.map((s) => join(plain, `step${s}`)));
    assert.throws(() => readSeries(series, [4]), /has no checkpoint at step 4 \(steps: 0, 3, 6\)/);
  });

  test('a Hugging Face hub cache repository with revisions, by folder or by name in the cache', () => {
    const hub = join(root, 'hub');
    const repo = join(hub, 'models--EleutherAI--pythia-tiny');
    for (const s of SERIES_STEPS) {
      const sha = `${s}`.padStart(40, 'a');
      mkdirSync(join(repo, 'refs'), { recursive: true });
      writeFileSync(join(repo, 'refs', `step${s}`), `${sha}\n`);
      mkdirSync(join(repo, 'snapshots', sha), { recursive: true });
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) symlinkSync(join(series, `step-${s}`, f), join(repo, 'snapshots', sha, f));
    }
    writeFileSync(join(repo, 'refs', 'main'), `${'6'.padStart(40, 'a')}\n`);
    assert.deepEqual(readSeries(repo).map((c) => c.step), SERIES_STEPS);
    const before = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = hub;
    try {
      assert.deepEqual(readSeries('EleutherAI/pythia-tiny', [3]).map((c) => c.dir), [join(repo, 'snapshots', '3'.padStart(40, 'a'))]);
    } finally {
      if (before === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = before;
    }
  });

  test('a JSON list of {step, path}; bad entries and broken checkpoints are named by step and file', () => {
    const list = join(root, 'list.json');
    writeFileSync(list, JSON.stringify([{ step: 6, path: join(series, 'step-6') }, { step: 0, path: 'train/series/step-0' }]));
    assert.deepEqual(readSeries(list).map((c) => c.step), [0, 6]);
    writeFileSync(list, JSON.stringify([{ step: -1, path: 'x' }]));
    assert.throws(() => readSeries(list), /entry 0 must be \{"step": <integer ≥ 0>/);
    const broken = join(root, 'broken');
    cpSync(series, broken, { recursive: true });
    rmSync(join(broken, 'step-3', 'tokenizer.json'));
    writeFileSync(join(broken, 'step-6', 'config.json'), '{not json');
    assert.throws(() => readSeries(broken, [3]), /checkpoint of step 3: tokenizer\.json not found/);
    assert.throws(() => readSeries(broken, [6]), /checkpoint of step 6: .*config\.json: invalid JSON/);
    assert.throws(() => readSeries(join(root, 'nowhere')), /no such folder or file/);
  });
});

describe('study data', () => {
  test('binding-correctness: each program twice, claiming its true and a wrong value; the claim is its last token', async () => {
    const d = bindingCorrectness(30, 5);
    assert.equal(d.samples.length, 60);
    const tokenizer = await Tokenizer.fromDir(join(series, 'step-0'));
    const observed = observedSamples(tokenizer, d.samples);
    for (let k = 0; k < 30; k++) {
      const [c, i] = [d.samples[2 * k], d.samples[2 * k + 1]];
      assert.deepEqual([c.group, i.group, c.pair, i.pair], ['correct', 'incorrect', k, k]);
      const program = c.text.slice(0, -1);
      assert.equal(i.text.slice(0, -1), program);
      assert.notEqual(i.text.at(-1), c.text.at(-1));
      // The true value: follow the query's chain.
      const env = new Map<string, string>();
      for (const [, v, rhs] of program.matchAll(/^([a-z]) = ([a-z0-9])$/gm)) env.set(v, env.get(rhs) ?? rhs);
      assert.equal(c.text.at(-1), env.get(/#([a-z]):$/.exec(program)![1]));
      assert.deepEqual(observed[2 * k].claim, [observed[2 * k].ids.length - 1]);
    }
    assert.deepEqual(bindingCorrectness(30, 5), d, 'deterministic');
  });

  test('a JSON-lines file of {text, group}; bad lines are named', () => {
    const file = join(root, 'mine.jsonl');
    writeFileSync(file, '{"text": "x = 1", "group": "good", "pair": 0}\n\n{"text": "x = 2", "group": "bad", "pair": 0, "claim": [4, 5]}\n');
    const d = studyData(file, 0, 0);
    assert.deepEqual(d.samples, [
      { text: 'x = 1', group: 'good', pair: 0 },
      { text: 'x = 2', group: 'bad', pair: 0, claim: [4, 5] },
    ]);
    writeFileSync(file, '{"text": "x = 1"}\n{"text": 3}\n');
    assert.throws(() => studyData(file, 0, 0), /mine\.jsonl:2: needs a non-empty "text" string/);
    writeFileSync(file, '{"text": "x", "claim": [0, 9]}\n');
    assert.throws(() => studyData(file, 0, 0), /"claim" must be \[start, end\) character offsets/);
    assert.throws(() => studyData(join(root, 'none.jsonl'), 0, 0), /no such file, nor a data set of that name/);
  });
});

describe('the influence study', () => {
  let summary: InfluenceSummary;
  const out = () => join(root, 'study');

  test('runs every checkpoint: chains, LLC, BIF matrices and block means, plots; summary written as it goes', async () => {
    const seen: string[] = [];
    summary = await runInfluenceStudy(settings(), out(), { onProgress: (_d, _t, m) => seen.push(m) });
    assert.equal(summary.finished, true);
    assert.deepEqual(summary.rows.map((r) => r.step), SERIES_STEPS);
    assert.ok(seen.some((m) => m.startsWith('step 3 (2/3): chain 2/2')), seen.slice(0, 3).join(' | '));
    for (const r of summary.rows) {
      const dir = stepFolder(out(), r.step);
      for (const f of ['result.json', 'bif.safetensors', 'chain-0.safetensors', 'chain-1.safetensors', 'bif-claim.png', 'diagnostics-loss.png', 'diagnostics-mala.png'])
        assert.ok(existsSync(join(dir, f)), `${r.step}/${f}`);
      assert.ok(Number.isFinite(r.result.llc.mean) && Number.isFinite(r.result.llc.std));
      assert.deepEqual(Object.keys(r.result.bif!), ['sequence', 'claim']);
      const blocks = r.result.bif!.claim.blocks.map((b) => `${b.from}→${b.to}`);
      assert.deepEqual(blocks, ['correct→correct', 'correct→incorrect', 'incorrect→incorrect']);
      assert.equal(r.result.bif!.claim.draws, 12);
      assert.equal(r.result.bif!.claim.twins!.pairs, 4);
      const m = await openSafetensors(join(dir, 'bif.safetensors'));
      assert.deepEqual(m.header.tensors.get('bif.claim')!.shape, [8, 8]);
      // Stored as −covariance of the recorded claim losses: check one entry against the records.
      const bif = (await m.readFloat('bif.claim')).data;
      await m.close();
      const recs = await Promise.all([0, 1].map((c) => readChainRecord(chainFile(dir, c))));
      const x = recs.flatMap((rec) => Array.from({ length: 6 }, (_, d) => [rec.observables.claim[d * 8 + 0], rec.observables.claim[d * 8 + 1]]));
      const mean = (k: number) => x.reduce((a, v) => a + v[k], 0) / x.length;
      const cov = x.reduce((a, v) => a + (v[0] - mean(0)) * (v[1] - mean(1)), 0) / (x.length - 1);
      assert.ok(Math.abs(bif[1] + cov) <= 1e-5 * Math.max(1e-6, Math.abs(cov)) + 1e-9, `${bif[1]} vs ${-cov}`);
    }
    for (const f of ['summary.json', 'study.json', 'data.json', 'llc.png', 'influence-claim.png', 'influence-sequence.png']) assert.ok(existsSync(join(out(), f)), f);
    const written = JSON.parse(readFileSync(join(out(), 'summary.json'), 'utf8')) as InfluenceSummary;
    assert.deepEqual(written.rows.map((r) => r.step), SERIES_STEPS);
  });

  test('a finished study is not redone; other settings in the same folder are refused', async () => {
    const mtime = statSync(chainFile(stepFolder(out(), 3), 0)).mtimeMs;
    const again = await runInfluenceStudy(settings(), out());
    assert.deepEqual(again.rows, summary.rows);
    assert.equal(statSync(chainFile(stepFolder(out(), 3), 0)).mtimeMs, mtime);
    await assert.rejects(runInfluenceStudy(settings({ pairs: 5 }), out()), /holds a run with other settings/);
  });

  test('cancelled mid-chain, it resumes at the next unfinished chain and ends where an uninterrupted run ends', async () => {
    const dir = join(root, 'cancelled');
    const abort = new AbortController();
    await assert.rejects(
      runInfluenceStudy(settings(), dir, { signal: abort.signal, onProgress: (_d, _t, m) => m.startsWith('step 3 (2/3): chain 2/2, 3/') && abort.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(existsSync(join(dir, 'step-0', 'result.json')));
    assert.ok(existsSync(chainFile(stepFolder(dir, 3), 0)) && !existsSync(chainFile(stepFolder(dir, 3), 1)));
    const resumedChain0 = statSync(chainFile(stepFolder(dir, 3), 0)).mtimeMs;
    const done = await runInfluenceStudy(settings(), dir);
    assert.equal(statSync(chainFile(stepFolder(dir, 3), 0)).mtimeMs, resumedChain0, 'the finished chain was kept');
    const strip = (rows: InfluenceRow[]) => rows.map((r) => ({ ...r, result: { ...r.result, dir: '' } }));
    assert.deepEqual(strip(done.rows), strip(summary.rows));
  });

  test('sign flips and peaks of the block curves', () => {
    const row = (step: number, values: number[]): InfluenceRow => ({
      step,
      result: { bif: { claim: { blocks: values.map((bif, i) => ({ from: 'a', to: `g${i}`, bif, correlation: 0, bifChainStd: 0, pairs: 1 })) } } } as unknown as InfluenceRow['result'],
    });
    const events = curveEvents([row(0, [1, -1]), row(10, [-2, -3]), row(20, [0.5, -1])]);
    assert.deepEqual(
      events.map((e) => `${e.block} ${e.kind} @${e.step}`),
      ['a→g0 sign flip @10', 'a→g0 sign flip @20', 'a→g0 peak @10', 'a→g1 peak @10'],
    );
  });
});

describe('the CLI', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'engine', 'src', 'cli.ts'), ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  test('introspect study influence runs and prints a line per checkpoint', () => {
    const out = join(root, 'cli-study');
    const r = cli('study', 'influence', '--series', series, '--steps', '0,6', '--pairs', '3', '--sampling-size', '16', '--chains', '2', '--draws', '4', '--burn-in', '0', '--batch', '8', '--init-batches', '2', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote .*cli-study: 2 checkpoints of train/);
    assert.match(r.out, /step      6 {2}LLC -?\d+\.\d+ ± \d+\.\d+ {2}MALA \d\.\d+ {2}sequence: correct→correct/);
  });

  test('introspect llc: one checkpoint, and a calibration sweep over ε and nβ', () => {
    const out = join(root, 'cli-llc');
    const model = join(series, 'step-6');
    const one = cli('llc', '--model', model, '--sampling-size', '16', '--chains', '2', '--draws', '4', '--burn-in', '0', '--batch', '8', '--init-batches', '2', '--out', out);
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /^ε 3e-7 {2}nβ 3\.85: LLC -?\d+\.\d+ ± \d+\.\d+ over 2 chains, MALA acceptance \d\.\d+, L\(θ\*\) \d+\.\d+/m);
    const sweep = cli('llc', '--model', model, '--sampling-size', '16', '--chains', '2', '--draws', '4', '--burn-in', '0', '--batch', '8', '--init-batches', '2', '--epsilon', '1e-5,1e-4', '--nbeta', '3,30', '--out', join(out, 'sweep'));
    assert.equal(sweep.code, 0, sweep.err);
    const cells = JSON.parse(readFileSync(join(out, 'sweep', 'sweep.json'), 'utf8')) as { epsilon: number; nbeta: number }[];
    assert.deepEqual(cells.map((c) => [c.epsilon, c.nbeta]), [[1e-5, 3], [1e-4, 3], [1e-5, 30], [1e-4, 30]]);
    for (const f of ['sweep-llc.png', 'sweep-mala.png']) assert.ok(existsSync(join(out, 'sweep', f)), f);
  });

  test('bad flags are one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['study', 'influence', '--series', series], /--out: is required/],
      [['study', 'nope', '--out', 'x'], /unknown study "nope" \(influence, emergence, susceptibility, umap\)/],
      [['study', 'influence', '--series', series, '--out', join(root, 'bad1'), '--sampler', 'hmc'], /--sampler: must be one of sgld, rmsprop-sgld/],
      [['study', 'influence', '--series', series, '--out', join(root, 'bad2'), '--restrict', 'l7'], /layer 7 out of range: the model has 1 layers/],
      [['llc', '--model', join(series, 'step-0'), '--out', join(root, 'bad3'), '--epsilon', '0'], /--epsilon: must be a positive number/],
    ];
    for (const [args, want] of cases) {
      const r = cli(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, want);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});
