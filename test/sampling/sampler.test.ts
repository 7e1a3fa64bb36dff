/**
 * The SGMCMC samplers against known truths, as devinterp's own suite checks its samplers: learning
 * coefficients of models where they are known, a Gaussian posterior's covariances in closed form,
 * gradient descent as the noiseless limit, and restricted sampling that moves only its slices.
 * Every model runs as an engine graph with the engine's autodiff.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { makeBatch } from '../../engine/src/autodiff/batch';
import { loadParameters } from '../../engine/src/autodiff/load';
import { buildLossGraph } from '../../engine/src/autodiff/lossGraph';
import { LossRunner } from '../../engine/src/autodiff/runner';
import { GraphBuilder } from '../../engine/src/onnx/builder';
import { type ChainRecord, type ChainSettings, runChain } from '../../engine/src/sampling/chain';
import { GraphObserver, GraphTarget } from '../../engine/src/sampling/graphTarget';
import { fullRestriction, parseRestriction } from '../../engine/src/sampling/restriction';
import { defaultNbeta, Sgmcmc, SGMCMC_DEFAULTS, type SgmcmcOptions } from '../../engine/src/sampling/sgmcmc';
import { TransformerTarget } from '../../engine/src/sampling/transformer';
import { bifEstimate } from '../../engine/src/slt/bif';
import { llcEstimate } from '../../engine/src/slt/llc';
import { malaAcceptance } from '../../engine/src/slt/mala';
import { openReference, REFERENCE_MODELS } from '../fixtures/referenceModels';
import { normals, polynomialTarget, rrrLearningCoefficient, rrrTarget } from './toyModels';
import { AdamW } from '../../engine/src/train/adamw';
import { NormalRng } from '../../engine/src/sampling/normal';

const sgld = (o: Partial<ChainSettings> & Pick<SgmcmcOptions, 'epsilon' | 'nbeta'>): ChainSettings => ({
  ...SGMCMC_DEFAULTS,
  draws: 100,
  burnIn: 0,
  every: 1,
  seed: 42,
  malaEvery: 1,
  ...o,
});

const whole = (size: number) => ({ name: 'full', ranges: Int32Array.of(0, size), count: size, params: [] });

async function chains(target: GraphTarget, settings: ChainSettings, n: number, observers = [] as GraphObserver[]) {
  const out = [];
  for (let c = 0; c < n; c++) out.push(await runChain(target, whole(target.size), settings, c, observers));
  return out;
}

describe('local learning coefficient of models where it is known', () => {
  // devinterp's normal-crossing data: x ~ N(0, 2²), y = 0.25·N(0, 1), n = 1000, full batch, MSE.
  const n = 1000;
  const x = normals(n, 2, 1);
  const y = normals(n, 0.25, 2);
  const cases: Array<[number[], number]> = [
    [[0, 1], 1 / 2], [[1, 1], 1 / 2],
    [[0, 2], 1 / 4], [[1, 2], 1 / 4], [[2, 2], 1 / 4],
    [[0, 3], 1 / 6], [[1, 3], 1 / 6], [[2, 3], 1 / 6], [[3, 3], 1 / 6],
  ];
  for (const [powers, truth] of cases) {
    test(`polynomial x·∏ w^${JSON.stringify(powers)}: λ = ${truth.toFixed(4)} within mean ± 3.5 std`, async () => {
      const target = await polynomialTarget(powers, x, y);
      const initLoss = await target.lossAndGradient(target.center, 0, 0, new Float32Array(powers.length));
      const nbeta = defaultNbeta(n);
      const est = llcEstimate(await chains(target, sgld({ epsilon: 4e-4, nbeta, draws: 5000 }), 10), initLoss, nbeta);
      await target.release();
      assert.ok(Math.abs(est.mean - truth) < 3.5 * est.std, `λ̂ = ${est.mean.toFixed(3)} ± ${est.std.toFixed(3)}, true ${truth.toFixed(3)}`);
    });
  }

  test('the LLC at a more singular point is lower: ∏ w² at 0 versus at (1, 1, 0)', async () => {
    const llcAt = async (center: number[]) => {
      const target = await polynomialTarget([2, 2, 2], x, y, Float32Array.from(center));
      const initLoss = await target.lossAndGradient(target.center, 0, 0, new Float32Array(3));
      const nbeta = defaultNbeta(n);
      const est = llcEstimate(await chains(target, sgld({ epsilon: 1e-4 / 3, nbeta, draws: 1000, boundingBox: 0.5 }), 5), initLoss, nbeta);
      await target.release();
      return est.mean;
    };
    const origin = await llcAt([0, 0, 0]);
    const line = await llcAt([1, 1, 0]);
    assert.ok(origin < line, `λ̂ at 0 = ${origin.toFixed(3)}, at (1,1,0) = ${line.toFixed(3)}`);
  });

  for (const [M, H, N] of [[5, 3, 5], [5, 4, 5], [4, 3, 8], [8, 3, 4], [3, 8, 4]]) {
    const truth = rrrLearningCoefficient(M, H, N);
    test(`reduced-rank regression (M, H, N) = (${M}, ${H}, ${N}): λ = ${truth} within rtol 0.4`, async () => {
      // Random targets, the model trained to its minimum first (Adam, as devinterp's test).
      const xs = normals(n * M, 1, 11);
      const ys = normals(n * N, 1, 12);
      const P = M * H + H * N;
      const rng = new NormalRng(5, 0, 7);
      const theta = Float32Array.from({ length: P }, (_, i) => (2 * rng.uniform() - 1) / Math.sqrt(i < M * H ? M : H));
      const trainer = await rrrTarget(M, H, N, xs, ys, theta);
      const grad = new Float32Array(P);
      const adam = new AdamW(P, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, [[0, P, false]]);
      for (let s = 0; s < 5000; s++) {
        await trainer.lossAndGradient(theta, 0, 0, grad);
        adam.step(theta, grad, 0.01);
      }
      await trainer.release();
      const target = await rrrTarget(M, H, N, xs, ys, theta);
      const initLoss = await target.lossAndGradient(theta, 0, 0, grad);
      const nbeta = defaultNbeta(n);
      const est = llcEstimate(await chains(target, sgld({ epsilon: 6e-4, nbeta, gamma: 1, draws: 2000 }), 3), initLoss, nbeta);
      await target.release();
      assert.ok(Math.abs(est.mean - truth) <= 0.4 * truth, `λ̂ = ${est.mean.toFixed(3)} ± ${est.std.toFixed(3)}, true ${truth}`);
    });
  }
});

describe('covariances over draws: a Gaussian posterior in closed form', () => {
  test('linear regression: −BIF(i, j) = Cov(ℓ_i, ℓ_j) = 2C²ᵢⱼ + 4mᵢmⱼCᵢⱼ (relative error < 0.15)', async () => {
    // L(w) = mean (xᵢ·w − yᵢ)², sampled at nβ, γ around the least-squares w*: the tempered posterior is
    // N(w*, Λ⁻¹), Λ = nβ·(2/n)XᵀX + γI, so the residuals rᵢ are Gaussian with mean mᵢ and covariance C = XΛ⁻¹Xᵀ.
    const n = 40;
    const d = 3;
    const x = normals(n * d, 1, 3);
    const noise = normals(n, 0.5, 4);
    const y = Float32Array.from({ length: n }, (_, i) => x[i * d] - 2 * x[i * d + 1] + 0.5 * x[i * d + 2] + noise[i]);
    const XtX = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => sum(n, (i) => x[i * d + a] * x[i * d + b])));
    const wStar = Float32Array.from(solve(XtX, Array.from({ length: d }, (_, a) => sum(n, (i) => x[i * d + a] * y[i]))));
    const nbeta = 10;
    const gamma = 1;
    const precision = XtX.map((r, a) => r.map((v, b) => (nbeta * 2 * v) / n + (a === b ? gamma : 0)));
    const sigma = Array.from({ length: d }, (_, a) => solve(precision, Array.from({ length: d }, (_, b) => (a === b ? 1 : 0))));
    const graph = () => {
      const b = new GraphBuilder('float32');
      const theta = b.input('theta', 'float32', [d]);
      const pred = b.reshape(b.matmul(b.input('x', 'float32', [n, d]), b.reshape(theta, [d, 1])), [n]);
      const err = b.sub(pred, b.input('y', 'float32', [n]));
      const sq = b.mul(err, err);
      return { b, theta, sq, loss: b.op('ReduceMean', [sq], { axes: [0], keepdims: 0 }) };
    };
    const feeds = { x: new ort.Tensor('float32', x, [n, d]), y: new ort.Tensor('float32', y, [n]) };
    const t = graph();
    const target = await GraphTarget.create(t.b, { theta: t.theta, loss: t.loss, center: wStar, feeds: () => feeds });
    const o = graph();
    const observer = await GraphObserver.create(o.b, { theta: o.theta, outputs: { sequence: { value: o.sq, size: n } }, feeds });
    const records = await chains(target, sgld({ epsilon: 3e-3, nbeta, gamma, draws: 5000, burnIn: 1000, every: 5, seed: 7 }), 4, [observer]);
    const est = bifEstimate(records, 'sequence', Array.from({ length: n }, () => ({ group: 'all' })));
    await target.release();
    await observer.release();
    const m = Array.from({ length: n }, (_, i) => sum(d, (a) => x[i * d + a] * wStar[a]) - y[i]);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const C = sum(d, (a) => sum(d, (b) => x[i * d + a] * sigma[a][b] * x[j * d + b]));
        const truth = 2 * C * C + 4 * m[i] * m[j] * C;
        err += (-est.bif[i * n + j] - truth) ** 2;
        norm += truth ** 2;
      }
    const rel = Math.sqrt(err / norm);
    assert.ok(rel < 0.15, `relative Frobenius error ${rel.toFixed(3)}`);
    // Small steps on a smooth posterior: MALA would accept nearly every transition.
    const mala = records.flatMap((r) => Array.from(r.steps.mala));
    assert.ok(mala.reduce((a, b) => a + b, 0) / mala.length > 0.95);
  });
});

describe('the update itself', () => {
  test('SGLD with no noise, γ = 0 and nβ = 1 at ε = 2·lr is gradient descent (a transformer, 3 steps, bit for bit)', async () => {
    const { layout, flat } = await loadParameters(join(REFERENCE_MODELS, 'llama'));
    const ref = await openReference('llama');
    await ref.file.close();
    const lr = 0.05;
    const restriction = fullRestriction(layout);
    const target = await TransformerTarget.create(layout, flat, { rows: ref.rows }, { batchSize: 2, seed: 0, restriction });
    const sampler = new Sgmcmc(flat, restriction, { ...SGMCMC_DEFAULTS, epsilon: 2 * lr, nbeta: 1, noiseLevel: 0 }, new NormalRng(0, 0, 1));
    const runner = await LossRunner.create(buildLossGraph(layout, flat), layout.size);
    const batch = makeBatch(ref.rows, { vocabSize: layout.spec.vocabSize });
    const sampled = Float32Array.from(flat);
    const descended = Float32Array.from(flat);
    const g = new Float32Array(layout.size);
    for (let s = 0; s < 3; s++) {
      sampler.step(sampled, g, await target.lossAndGradient(sampled, 0, s, g));
      const out = await runner.run(descended, batch);
      for (let i = 0; i < descended.length; i++) descended[i] = descended[i] - lr * out.grad[i];
      assert.deepEqual(sampled, descended, `step ${s + 1}`);
    }
    assert.notDeepEqual(sampled, flat);
    await runner.release();
    await target.release();
  });

  test('RMSProp-SGLD follows V ← αV + (1−α)g², G = 1/(√V + eps), noise scaled by √G; chain records its losses', async () => {
    const x = normals(200, 2, 1);
    const y = normals(200, 0.25, 2);
    const center = Float32Array.of(0.3, -0.2);
    const o = { ...SGMCMC_DEFAULTS, epsilon: 1e-2, nbeta: 20, gamma: 5, weightDecay: 0.1, sampler: 'rmsprop-sgld' as const };
    const target = await polynomialTarget([1, 2], x, y, center);
    const rec = await runChain(target, whole(2), { ...o, draws: 4, burnIn: 0, every: 1, seed: 42, malaEvery: 0 }, 3);
    // The same chain by hand from the formula, with the chain's own noise stream.
    const rng = new NormalRng(42, 3, 1);
    const theta = Float32Array.from(center);
    const v = [0, 0];
    const g = new Float32Array(2);
    for (let s = 0; s < 4; s++) {
      const loss = await target.lossAndGradient(theta, 3, s, g);
      assert.ok(Math.abs(rec.drawLoss[s] - loss) <= 1e-6 * Math.abs(loss), `step ${s}: ${rec.drawLoss[s]} vs ${loss}`);
      for (let i = 0; i < 2; i++) {
        v[i] = o.alpha * v[i] + (1 - o.alpha) * g[i] * g[i];
        const G = 1 / (Math.sqrt(v[i]) + o.rmsEps);
        const d = G * (o.nbeta * g[i] + o.gamma * (theta[i] - center[i])) + o.weightDecay * theta[i];
        theta[i] = theta[i] - (o.epsilon / 2) * d + Math.sqrt(o.epsilon) * Math.sqrt(G) * rng.normal();
      }
    }
    assert.notEqual(rec.drawLoss[3], rec.drawLoss[0]);
    await target.release();
  });

  test('MALA acceptance is near 1 for small steps and falls as ε grows, for both samplers', async () => {
    const x = normals(300, 2, 1);
    const y = normals(300, 0.25, 2);
    const target = await polynomialTarget([1, 1], x, y, Float32Array.of(0.5, 0.5));
    for (const sampler of ['sgld', 'rmsprop-sgld'] as const) {
      const acc = [];
      // Up to 3e-3: beyond it RMSProp-SGLD's acceptance is no longer monotone in ε (measured over
      // chains: its preconditioner adapts to where the larger steps take the chain).
      for (const epsilon of [1e-5, 1e-3, 3e-3]) {
        const rec = await runChain(target, whole(2), sgld({ sampler, epsilon, nbeta: 100, gamma: 1, draws: 400 }), 0);
        assert.equal(rec.error, undefined);
        acc.push(Array.from(rec.steps.mala).reduce((a, b) => a + b, 0) / rec.steps.mala.length);
      }
      assert.ok(acc[0] > 0.97 && acc[0] > acc[1] && acc[1] > acc[2], `${sampler}: ${acc.map((a) => a.toFixed(3))}`);
    }
    await target.release();
  });

  test('chains depend only on (seed, chain): chain 2 alone equals chain 2 of a run', async () => {
    const x = normals(300, 2, 1);
    const y = normals(300, 0.25, 2);
    const target = await polynomialTarget([1, 1], x, y);
    const s = sgld({ epsilon: 1e-3, nbeta: 30, draws: 50 });
    const run = await chains(target, s, 3);
    const alone = await runChain(target, whole(2), s, 2);
    assert.deepEqual(alone.drawLoss, run[2].drawLoss);
    assert.notDeepEqual(run[1].drawLoss, run[2].drawLoss);
    await target.release();
  });

  test('a diverging chain stops with an error naming chain and draw; the others go on', async () => {
    const x = normals(300, 2, 1);
    const y = normals(300, 0.25, 2);
    const target = await polynomialTarget([3, 3], x, y, Float32Array.of(1, 1));
    const fine = await runChain(target, whole(2), sgld({ epsilon: 1e-5, nbeta: 10, draws: 50 }), 0);
    const blown = await runChain(target, whole(2), sgld({ epsilon: 1, nbeta: 1000, draws: 50 }), 1);
    assert.equal(fine.error, undefined);
    assert.equal(fine.completed, 50);
    assert.match(blown.error ?? '', /^chain 1: the loss is (NaN|Infinity) at draw \d+/);
    assert.ok(blown.completed < 50);
    const est = llcEstimate([fine, blown], 0, 10);
    assert.deepEqual(Object.keys(est.perChain), ['0']);
    assert.equal(est.failed[0].chain, 1);
    await target.release();
  });
});

describe('weight restriction', () => {
  // The expected slices in each family's own Hugging Face layout, written out independently of the
  // graph's weight sources: head 1 of layer 0.
  const expected: Record<string, (s: { d: number; dh: number; kv: number }) => Record<string, (r: number, c: number) => boolean>> = {
    llama: ({ dh, kv }) => ({
      'model.layers.0.self_attn.q_proj.weight': (r) => r >= dh && r < 2 * dh,
      'model.layers.0.self_attn.k_proj.weight': (r) => Math.floor(r / dh) === kv,
      'model.layers.0.self_attn.v_proj.weight': (r) => Math.floor(r / dh) === kv,
      'model.layers.0.self_attn.o_proj.weight': (_, c) => c >= dh && c < 2 * dh,
    }),
    qwen3: ({ dh, kv }) => ({
      'model.layers.0.self_attn.q_proj.weight': (r) => r >= dh && r < 2 * dh,
      'model.layers.0.self_attn.k_proj.weight': (r) => Math.floor(r / dh) === kv,
      'model.layers.0.self_attn.v_proj.weight': (r) => Math.floor(r / dh) === kv,
      'model.layers.0.self_attn.o_proj.weight': (_, c) => c >= dh && c < 2 * dh,
    }),
    gpt2: ({ d, dh }) => ({
      // Conv1D [in, out]: q | k | v columns.
      'transformer.h.0.attn.c_attn.weight': (_, c) => [0, 1, 2].some((k) => c >= k * d + dh && c < k * d + 2 * dh),
      'transformer.h.0.attn.c_attn.bias': (_, c) => [0, 1, 2].some((k) => c >= k * d + dh && c < k * d + 2 * dh),
      'transformer.h.0.attn.c_proj.weight': (r) => r >= dh && r < 2 * dh,
    }),
    gpt_neox: ({ dh }) => ({
      // Interleaved per head: head h's rows are [3h·dh, 3(h+1)·dh) (its q, k, v).
      'gpt_neox.layers.0.attention.query_key_value.weight': (r) => r >= 3 * dh && r < 6 * dh,
      'gpt_neox.layers.0.attention.query_key_value.bias': (_, c) => c >= 3 * dh && c < 6 * dh,
      'gpt_neox.layers.0.attention.dense.weight': (_, c) => c >= dh && c < 2 * dh,
    }),
  };
  for (const [family, slices] of Object.entries(expected)) {
    test(`${family}: sampling l0.h1 moves exactly that head's slices; every other weight stays bit-identical`, async () => {
      const { layout, flat } = await loadParameters(join(REFERENCE_MODELS, family));
      const ref = await openReference(family);
      await ref.file.close();
      const restriction = parseRestriction('l0.h1', layout);
      const target = await TransformerTarget.create(layout, flat, { rows: ref.rows }, { batchSize: 2, seed: 0, restriction });
      const theta = Float32Array.from(flat);
      const grad = new Float32Array(layout.size);
      const sampler = new Sgmcmc(flat, restriction, { ...SGMCMC_DEFAULTS, epsilon: 1e-3, nbeta: 10, gamma: 1 }, new NormalRng(1, 0, 1));
      // Moved: changed by some step (one step could land back on θ*'s float32 value, if very rarely).
      const changed = new Uint8Array(layout.size);
      for (let s = 0; s < 3; s++) {
        sampler.step(theta, grad, await target.lossAndGradient(theta, 0, s, grad));
        for (let i = 0; i < theta.length; i++) if (!Object.is(theta[i], flat[i])) changed[i] = 1;
      }
      await target.release();
      const s = layout.spec;
      const kv = Math.floor(1 / (s.nHeads / s.nKvHeads));
      const want = slices({ d: s.dModel, dh: s.dHead, kv });
      let moved = 0;
      for (const slot of layout.slots) {
        const cols = slot.shape.length === 2 ? slot.shape[1] : slot.shape[0];
        const rule = want[slot.name];
        for (let k = 0; k < slot.size; k++) {
          const i = slot.offset + k;
          const inHead = rule ? (slot.shape.length === 2 ? rule(Math.floor(k / cols), k % cols) : rule(0, k)) : false;
          assert.equal(changed[i], inHead ? 1 : 0, `${slot.name}[${k}] ${inHead ? 'should move' : 'moved'}`);
          if (inHead) moved++;
        }
      }
      assert.equal(moved, restriction.count);
      assert.deepEqual(restriction.params.sort(), Object.keys(want).sort());
    });
  }

  test('components by name: a layer, its attention and MLP, embeddings, unembedding; bad names refused', async () => {
    const { layout } = await loadParameters(join(REFERENCE_MODELS, 'llama'));
    const s = layout.spec;
    const size = (n: string) => layout.slot(n).size;
    const attn = ['q_proj', 'k_proj', 'v_proj', 'o_proj'].reduce((a, p) => a + size(`model.layers.1.self_attn.${p}.weight`), 0);
    const mlp = ['gate_proj', 'up_proj', 'down_proj'].reduce((a, p) => a + size(`model.layers.1.mlp.${p}.weight`), 0);
    const norms = 2 * s.dModel;
    assert.equal(parseRestriction('l1.attn', layout).count, attn);
    assert.equal(parseRestriction('l1.mlp', layout).count, mlp);
    assert.equal(parseRestriction('l1', layout).count, attn + mlp + norms);
    assert.equal(parseRestriction('embed', layout).count, size('model.embed_tokens.weight'));
    assert.deepEqual(parseRestriction('unembed', layout).params, ['lm_head.weight']);
    assert.equal(parseRestriction('l0.h0+l0.h1', layout).count, 2 * parseRestriction('l0.h0', layout).count - 2 * s.dHead * s.dModel); // GQA: the two heads share a kv head
    assert.equal(parseRestriction('full', layout).count, layout.size);
    assert.throws(() => parseRestriction('l9', layout), /layer 9 out of range: the model has 2 layers/);
    assert.throws(() => parseRestriction('l0.h7', layout), /head 7 out of range/);
    assert.throws(() => parseRestriction('heads', layout), /unknown component "heads"/);
  });
});

function sum(n: number, f: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(i);
  return s;
}

/** Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const m = A.map((r, i) => [...r, b[i]]);
  const k = m.length;
  for (let i = 0; i < k; i++) {
    let p = i;
    for (let r = i + 1; r < k; r++) if (Math.abs(m[r][i]) > Math.abs(m[p][i])) p = r;
    [m[i], m[p]] = [m[p], m[i]];
    for (let r = 0; r < k; r++)
      if (r !== i) {
        const f = m[r][i] / m[i][i];
        for (let c = i; c <= k; c++) m[r][c] -= f * m[i][c];
      }
  }
  return m.map((r, i) => r[k] / r[i]);
}

test('NormalRng draws standard normals: moments, tail mass beyond the ziggurat base and a KS test; fill draws the same numbers', () => {
  const n = 1_000_000;
  const rng = new NormalRng(9, 2, 1);
  const xs = Float64Array.from({ length: n }, () => rng.normal());
  // fill's fast path: the same numbers (rejected draws included), leaving the generator where normal() does.
  const filler = new NormalRng(9, 2, 1);
  const filled = filler.fill(new Float64Array(n));
  assert.equal(filled.findIndex((x, i) => x !== xs[i]), -1);
  assert.equal(filler.normal(), rng.normal());
  let mean = 0;
  for (const x of xs) mean += x / n;
  let v = 0;
  let k4 = 0;
  let tail = 0;
  for (const x of xs) {
    v += (x - mean) ** 2 / n;
    k4 += (x - mean) ** 4 / n;
    if (Math.abs(x) > 3.442619855899) tail++;
  }
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 0.01, `variance ${v}`);
  assert.ok(Math.abs(k4 / v ** 2 - 3) < 0.05, `kurtosis ${k4 / v ** 2}`);
  // P(|Z| > 3.4426) = 5.76e-4: the tail is drawn by its own method.
  assert.ok(Math.abs(tail / n - 5.76e-4) < 5 * Math.sqrt(5.76e-4 / n), `tail ${tail / n}`);
  // Kolmogorov–Smirnov against Φ (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): D below the 0.1 % critical value.
  const erf = (x: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return x >= 0 ? y : -y;
  };
  const sorted = xs.slice().sort();
  let D = 0;
  sorted.forEach((x, i) => {
    const F = 0.5 * (1 + erf(x / Math.SQRT2));
    D = Math.max(D, Math.abs(F - i / n), Math.abs(F - (i + 1) / n));
  });
  assert.ok(D < 1.95 / Math.sqrt(n), `KS D ${D}`);
});

test('MALA acceptance of the draws leaves out the burn-in estimates, and chains that failed', () => {
  const record = (chain: number, mala: number[], error?: string) =>
    ({ chain, steps: { mala: Float32Array.from(mala) }, drawLoss: new Float32Array(0), observables: {}, completed: 0, ...(error ? { error } : {}) }) as unknown as ChainRecord;
  const m = malaAcceptance([record(0, [0, NaN, 0.1, NaN, 0.8, NaN, 1]), record(1, [0, NaN, 0, NaN, 0.6, NaN, 0.6]), record(2, [1, 1, 1, 1, 1], 'chain 2: the loss is NaN')], 4);
  assert.deepEqual(m.perChain, { 0: 0.9000000059604645, 1: 0.6000000238418579 });
  assert.ok(Math.abs(m.mean - 0.75) < 1e-6);
});
