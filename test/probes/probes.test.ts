/**
 * The correctness probes against independent computations: AUROC and the best threshold by brute
 * force over pairs and cut points, logistic regression at the optimum of its own objective, the
 * bootstrap against the binomial standard error, and a planted correctness latent found and scored
 * on held-out pairs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { correctnessDirections, pairSplit } from '../../engine/src/probes/correctness';
import { differenceOfMeans, logisticRegression, probeScores } from '../../engine/src/probes/linear';
import { auroc, bestThreshold, bootstrap, ruleAccuracy } from '../../engine/src/probes/separation';
import { NormalRng } from '../../engine/src/sampling/normal';

function data(n: number, seed: number, ties = false) {
  const rng = new NormalRng(seed, 0, 1);
  const positive = Array.from({ length: n }, () => rng.uniform() < 0.4);
  const scores = positive.map((p) => (ties ? Math.round(2 * rng.normal() + (p ? 1 : 0)) : rng.normal() + (p ? 1 : 0)));
  return { scores, positive };
}

describe('separation', () => {
  test('AUROC is the share of (positive, negative) pairs ordered right, ties counted half', () => {
    for (const ties of [false, true]) {
      const { scores, positive } = data(200, ties ? 2 : 1, ties);
      let wins = 0;
      let pairs = 0;
      for (let i = 0; i < 200; i++)
        for (let j = 0; j < 200; j++)
          if (positive[i] && !positive[j]) {
            pairs++;
            wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
          }
      assert.ok(Math.abs(auroc(scores, positive) - wins / pairs) < 1e-12);
    }
    assert.equal(auroc([1, 2, 3], [false, true, true]), 1);
    assert.equal(auroc([1, 2, 3], [true, true, false]), 0);
    assert.equal(auroc([5, 5, 5, 5], [true, false, true, false]), 0.5);
    assert.ok(Number.isNaN(auroc([1, 2], [true, true])));
  });

  test('the best threshold is the best of every cut point in either direction', () => {
    for (const seed of [3, 4, 5]) {
      const { scores, positive } = data(150, seed, seed === 5);
      const rule = bestThreshold(scores, positive);
      assert.equal(ruleAccuracy(rule, scores, positive), rule.accuracy);
      const cuts = [-Infinity, ...scores, ...scores.map((s) => -s)];
      let best = 0;
      for (const sign of [1, -1] as const) for (const threshold of cuts) best = Math.max(best, ruleAccuracy({ sign, threshold }, scores, positive));
      assert.equal(rule.accuracy, best);
    }
    assert.deepEqual(bestThreshold([3, 2, 1], [false, true, true]).sign, -1);
  });

  test('the bootstrap interval of an accuracy brackets it with about the binomial width, and repeats by seed', () => {
    const n = 400;
    const { scores, positive } = data(n, 6);
    const rule = { sign: 1 as const, threshold: 0.5 };
    const acc = (s: Float64Array, p: boolean[]) => ruleAccuracy(rule, s, p);
    const iv = bootstrap(acc, scores, positive, { rounds: 2000, seed: 1 });
    assert.equal(iv.value, ruleAccuracy(rule, scores, positive));
    assert.ok(iv.lo < iv.value && iv.value < iv.hi);
    const binomial = 2 * 1.96 * Math.sqrt((iv.value * (1 - iv.value)) / n);
    assert.ok(Math.abs(iv.hi - iv.lo - binomial) < 0.25 * binomial, `width ${iv.hi - iv.lo} vs ${binomial}`);
    assert.deepEqual(bootstrap(acc, scores, positive, { rounds: 2000, seed: 1 }), iv);
    assert.notDeepEqual(bootstrap(acc, scores, positive, { rounds: 2000, seed: 2 }), iv);
  });
});

describe('linear probes', () => {
  const d = 3;
  const rng = new NormalRng(7, 0, 1);
  const n = 300;
  const positive = Array.from({ length: n }, (_, i) => i % 2 === 0);
  // Features on different scales; the label shows in the first two.
  const x = Float64Array.from({ length: n * d }, (_, k) => {
    const [r, j] = [Math.floor(k / d), k % d];
    return [10, 0.1, 1][j] * (rng.normal() + (j < 2 && positive[r] ? 0.8 : 0));
  });

  test('logistic regression sits at the minimum of C·Σ log-loss + ½‖w‖² on standardised features', () => {
    const probe = logisticRegression(x, d, positive);
    const mu = [0, 1, 2].map((j) => x.filter((_, k) => k % d === j).reduce((a, v) => a + v, 0) / n);
    const sd = [0, 1, 2].map((j) => Math.sqrt(x.filter((_, k) => k % d === j).reduce((a, v) => a + (v - mu[j]) ** 2, 0) / n));
    // The same probe in standardised units, and the objective there.
    const beta = [...[0, 1, 2].map((j) => probe.w[j] * sd[j]), probe.b + [0, 1, 2].reduce((a, j) => a + probe.w[j] * mu[j], 0)];
    const objective = (bt: number[]) => {
      let f = 0.5 * (bt[0] ** 2 + bt[1] ** 2 + bt[2] ** 2);
      for (let r = 0; r < n; r++) {
        let s = bt[3];
        for (let j = 0; j < d; j++) s += bt[j] * ((x[r * d + j] - mu[j]) / sd[j]);
        f += positive[r] ? Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
      }
      return f;
    };
    for (let i = 0; i < 4; i++) {
      const h = 1e-5;
      const up = [...beta];
      const down = [...beta];
      up[i] += h;
      down[i] -= h;
      assert.ok(Math.abs((objective(up) - objective(down)) / (2 * h)) < 1e-4, `∂/∂β${i} ≠ 0`);
    }
    const acc = ruleAccuracy({ sign: 1, threshold: 0 }, probeScores(probe, x, d), positive);
    assert.ok(acc > 0.7, `train accuracy ${acc}`);
  });

  test('difference of means: the mean gap, thresholded halfway between the class means', () => {
    const p = differenceOfMeans(x, d, positive);
    for (let j = 0; j < d; j++) {
      const mean = (want: boolean) => {
        const v = Array.from({ length: n }, (_, r) => r).filter((r) => positive[r] === want);
        return v.reduce((a, r) => a + x[r * d + j], 0) / v.length;
      };
      assert.ok(Math.abs(p.w[j] - (mean(true) - mean(false))) < 1e-9);
    }
    const s = probeScores(p, x, d);
    const classMean = (want: boolean) => s.filter((_, r) => positive[r] === want).reduce((a, v) => a + v, 0) / (n / 2);
    assert.ok(Math.abs(classMean(true) + classMean(false)) < 1e-9);
    assert.throws(() => differenceOfMeans(x, d, positive.map(() => true)), /both classes/);
  });
});

describe('correctness directions', () => {
  test('twins stay on one side of the split', () => {
    const pair = Array.from({ length: 100 }, (_, i) => Math.floor(i / 2));
    const side = pairSplit(pair, 0.5, 3);
    for (let i = 0; i < 100; i += 2) assert.equal(side[i], side[i + 1]);
    assert.equal(side.filter(Boolean).length, 50);
    assert.notDeepEqual(pairSplit(pair, 0.5, 4), side);
  });

  test('a planted correctness latent is found on the training pairs and scores on the held-out ones', () => {
    const pairs = 200;
    const n = 2 * pairs;
    const [d, m] = [4, 6];
    const rng = new NormalRng(9, 0, 1);
    const positive = Array.from({ length: n }, (_, i) => i % 2 === 0);
    const latents = Float32Array.from({ length: n * m }, (_, k) => {
      const [r, j] = [Math.floor(k / m), k % m];
      return Math.max(0, rng.normal() + (j === 4 && positive[r] ? 3 : 0));
    });
    const vectors = Float32Array.from({ length: n * d }, (_, k) => rng.normal() + (k % d === 1 && positive[Math.floor(k / d)] ? 2 : 0));
    const r = correctnessDirections({ vectors, d, latents, m, positive, pair: positive.map((_, i) => Math.floor(i / 2)) }, { seed: 0, rounds: 200 });
    assert.deepEqual(r.split, { train: pairs, heldOut: pairs, seed: 0 });
    assert.equal(r.top[0].latent, 4);
    assert.ok(r.top[0].heldOutAccuracy.value > 0.85 && r.top[0].heldOutAuroc.value > 0.9);
    assert.ok(r.top.slice(1).every((t) => t.heldOutAccuracy.hi < r.top[0].heldOutAccuracy.lo), 'the noise latents score below it');
    for (const probe of [r.logistic, r.differenceOfMeans]) assert.ok(probe.heldOutAccuracy.value > 0.75, `${probe.heldOutAccuracy.value}`);
    assert.equal(r.perLatent.trainAuroc.length, m);
    assert.throws(
      () => correctnessDirections({ vectors: vectors.subarray(0, 2 * d), d, latents: latents.subarray(0, 2 * m), m, positive: [true, false], pair: [0, 0] }),
      /split needs both correct and incorrect samples .* use more pairs/,
    );
  });
});
