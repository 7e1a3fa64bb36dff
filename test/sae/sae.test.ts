/**
 * Sparse autoencoders against known truths: a planted sparse dictionary is recovered (ReLU and
 * TopK), the activation cache matches the model's own forward pass and resumes across shards, and
 * splicing measures CE recovered 1 for the identity and 0 for zeros on a real trained model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LoadedModel } from '../../engine/src/model';
import { ActivationReader, cacheActivations } from '../../engine/src/sae/activations';
import { reconstructionMetrics, spliceMetrics } from '../../engine/src/sae/metrics';
import { Sae, SaeEncoder } from '../../engine/src/sae/sae';
import { trainSae } from '../../engine/src/sae/train';
import { bindingCorrectness } from '../../engine/src/studies/data/binding';
import { observedSamples } from '../../engine/src/studies/data/tokenize';
import { tinySeries } from '../studies/tinySeries';
import { plantedCache, recovered } from './planted';

const root = mkdtempSync(join(tmpdir(), 'introspect-sae-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HOOK = 'blocks.0.hook_resid_post' as const;

describe('training on a planted dictionary', () => {
  // The known truth: 256 unit directions in d 64, three active per row.
  const planted = { d: 64, n: 256, active: 3, rows: 20000, seed: 1, shardRows: 5000 };
  let p: Awaited<ReturnType<typeof plantedCache>>;
  let reader: ActivationReader;
  before(async () => {
    p = await plantedCache(join(root, 'planted'), planted);
    reader = ActivationReader.open(join(root, 'planted'));
  });

  test('an untrained SAE matches few planted directions (the measure is not trivially met)', () => {
    const sae = Sae.init({ kind: 'relu', dIn: 64, latents: 512, inputScale: 1 }, 0);
    assert.ok(recovered(p, (i) => sae.direction(i), 512) < 0.1);
  });

  for (const kind of ['relu', 'topk'] as const) {
    test(`${kind}: ≥ 90 % of the planted directions recovered at cosine ≥ 0.9, reconstruction near exact`, async () => {
      const { sae, log } = await trainSae(reader, { kind, latents: 512, k: 3, steps: 2000, lr: 1e-3, batch: 256, seed: 0 });
      const share = recovered(p, (i) => sae.direction(i), 512);
      assert.ok(share >= 0.9, `recovered ${share}`);
      assert.ok(log[log.length - 1].mse < log[0].mse, 'the loss fell');
      const enc = await SaeEncoder.create(sae);
      try {
        const m = await reconstructionMetrics(reader, enc);
        assert.ok(m.explainedVariance > 0.9, `EV ${m.explainedVariance}`);
        if (kind === 'topk') assert.ok(m.l0 <= 3 + 1e-9, `L0 ${m.l0} > k`);
        assert.equal(m.firing.length, 512);
        assert.equal(m.deadFraction, m.firing.filter((n) => n === 0).length / 512);
      } finally {
        await enc.release();
      }
      const file = join(root, `${kind}.safetensors`);
      await sae.save(file, { note: 'x' });
      const back = await Sae.load(file);
      assert.deepEqual(back.config, sae.config);
      assert.deepEqual(back.theta, sae.theta);
    });
  }

  test('bad settings are clear errors', async () => {
    await assert.rejects(trainSae(reader, { kind: 'relu', latents: 8, steps: 1, batch: 50_000 }), /20000 rows, fewer than one batch of 50000/);
    await assert.rejects(trainSae(reader, { kind: 'topk', latents: 8, k: 9, steps: 1 }), /--k: must be an integer in \[1, 8\], got 9/);
    const warm = Sae.init({ kind: 'relu', dIn: 64, latents: 16, inputScale: 1 }, 0);
    await assert.rejects(trainSae(reader, { kind: 'relu', latents: 8, steps: 1, warmStart: warm }), /cannot warm-start a relu SAE of 8 latents on d 64 from a relu one of 16/);
    await assert.rejects(Sae.load(join(root, 'planted', 'shard-00000.safetensors')), /not an Introspect SAE file/);
  });
});

describe('on a real model', () => {
  let model: LoadedModel;
  const samples = bindingCorrectness(3, 0).samples;
  before(async () => {
    const series = await tinySeries(join(root, 'train'));
    model = await LoadedModel.load(join(series, 'step-6'));
  });
  after(async () => await model?.dispose());

  test('the cache holds the hook activation of every cached token, as a single-sample forward pass sees it', async () => {
    const dir = join(root, 'cache-all');
    const m = await cacheActivations(model, samples, dir, { hook: HOOK, positions: 'all', batch: 2, shardSamples: 4 });
    const lengths = observedSamples(model.tokenizer, samples).map((o) => o.ids.length);
    assert.equal(m.rows, lengths.reduce((a, n) => a + n, 0));
    assert.deepEqual(m.shards.map((s) => s.rows), [lengths.slice(0, 4).reduce((a, n) => a + n, 0), lengths.slice(4).reduce((a, n) => a + n, 0)]);
    const all = await ActivationReader.open(dir).readAll();
    const ids = observedSamples(model.tokenizer, [samples[5]])[0].ids;
    const alone = (await model.forward([ids], { hooks: [HOOK] })).hooks.get(HOOK)!;
    const d = m.dIn;
    const first = all.sample.indexOf(5);
    for (let p = 0; p < ids.length; p++) {
      assert.equal(all.position[first + p], p);
      for (let j = 0; j < d; j++) assert.ok(Math.abs(all.acts[(first + p) * d + j] - alone.data[p * d + j]) < 1e-4);
    }
  });

  test('claim positions: one row per sample, at its claim token', async () => {
    const m = await cacheActivations(model, samples, join(root, 'cache-claim'), { hook: HOOK, positions: 'claim' });
    const all = await ActivationReader.open(join(root, 'cache-claim')).readAll();
    assert.equal(m.rows, samples.length);
    assert.deepEqual(Array.from(all.sample), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(all.position), observedSamples(model.tokenizer, samples).map((o) => o.claim![0]));
  });

  test('a cancelled cache resumes at the next shard and ends as an uninterrupted one; another hook in its folder is refused', async () => {
    const dir = join(root, 'cache-resumed');
    const stop = new AbortController();
    await assert.rejects(
      cacheActivations(model, samples, dir, { hook: HOOK, positions: 'all', batch: 2, shardSamples: 4, signal: stop.signal, onProgress: (done) => done >= 2 && stop.abort() }),
      /cancelled/,
    );
    assert.throws(() => ActivationReader.open(dir), /unfinished \(4\/6 samples\): run it again to resume/);
    await cacheActivations(model, samples, dir, { hook: HOOK, positions: 'all', batch: 2, shardSamples: 4 });
    assert.deepEqual(await ActivationReader.open(dir).readAll(), await ActivationReader.open(join(root, 'cache-all')).readAll());
    await assert.rejects(cacheActivations(model, samples, dir, { hook: 'blocks.0.hook_resid_pre', positions: 'all' }), /holds activations of blocks\.0\.hook_resid_post .* use another folder/);
    assert.throws(() => ActivationReader.open(join(root, 'nowhere')), /no activation cache here/);
  });

  test('splicing: the identity recovers all of the CE loss, zeros none; an SAE of the claim token splices everywhere', async () => {
    const correct = samples.filter((s) => s.group === 'correct');
    const identity = await spliceMetrics(model, correct, HOOK, 'all', async (x) => x);
    assert.equal(identity.spliced, 'trained positions');
    assert.equal(identity.tokens, correct.length);
    assert.ok(Math.abs(identity.ceSpliced - identity.ceClean) < 1e-4);
    assert.ok(identity.ceZeroAblated > identity.ceClean + 0.01, `zero-ablating raised CE ${identity.ceClean} → ${identity.ceZeroAblated}`);
    assert.ok(Math.abs(identity.ceLossRecovered - 1) < 1e-3, `${identity.ceLossRecovered}`);
    assert.ok(identity.klSpliced < 1e-5 && identity.klZeroAblated > 0);
    const zeros = await spliceMetrics(model, correct, HOOK, 'claim', async (x) => new Float32Array(x.length));
    assert.equal(zeros.spliced, 'all positions');
    assert.ok(Math.abs(zeros.ceLossRecovered) < 1e-6);
    assert.ok(Math.abs(zeros.ceZeroAblated - identity.ceZeroAblated) < 1e-5);
    await assert.rejects(spliceMetrics(model, correct, HOOK, 'all', async (x) => x.subarray(1)), /the reconstruction has/);
  });
});
