/**
 * Susceptibilities against known truths: on a Gaussian posterior (linear regression) the estimator
 * matches its closed form, for the whole model and for a restricted component; on a transformer
 * built so that one attention head carries one data distribution and the other head the other,
 * each head's susceptibility singles out its own distribution, with the sign the definition gives.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadParameters } from '../../engine/src/autodiff/load';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { GraphBuilder } from '../../engine/src/onnx/builder';
import { type ChainRecord, type ChainSettings, runChain } from '../../engine/src/sampling/chain';
import { GraphObserver, GraphTarget } from '../../engine/src/sampling/graphTarget';
import type { Restriction } from '../../engine/src/sampling/restriction';
import { parseRestriction } from '../../engine/src/sampling/restriction';
import { SGMCMC_DEFAULTS } from '../../engine/src/sampling/sgmcmc';
import { SampleLosses, TransformerTarget } from '../../engine/src/sampling/transformer';
import { bootstrapSusceptibilities, fullOffsets, refinedLlc, stackDraws, susceptibilities } from '../../engine/src/slt/susceptibility';
import { NormalRng } from '../../engine/src/sampling/normal';
import { normals } from './toyModels';

const root = mkdtempSync(join(tmpdir(), 'introspect-susceptibility-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sum = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0);

/** Solves A x = b (Gaussian elimination; small and well-conditioned here). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = M.slice(c).reduce((best, r, i) => (Math.abs(r[c]) > Math.abs(M[best][c]) ? c + i : best), c);
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

const settings = (o: Partial<ChainSettings>): ChainSettings => ({ ...SGMCMC_DEFAULTS, draws: 100, burnIn: 0, every: 1, seed: 11, malaEvery: 0, epsilon: 1e-3, nbeta: 1, ...o });
const range = (name: string, start: number, end: number): Restriction => ({ name, ranges: Int32Array.of(start, end), count: end - start, params: [] });

describe('a Gaussian posterior in closed form', () => {
  // Linear regression: L(w) = mean over the sampling samples S of (xᵢ·w − yᵢ)², sampled at nβ, γ around the least-squares
  // w*. Restricted to coordinates R the tempered posterior is N(w*_R, Λ_RR⁻¹), Λ = nβ·(2/|S|)X_SᵀX_S + γI, so each residual
  // rᵢ = xᵢ·w − yᵢ is Gaussian with mean mᵢ and covariance C = X_R Λ_RR⁻¹ X_Rᵀ: Cov(rₐ², r_b²) = 2C²ₐb + 4mₐm_bCₐb, E rₐ² = mₐ² + Cₐₐ.
  // χ_j = Var_C(L) − Cov_C(L, ℓ_j) + E_C[φ]·(E_C[L − ℓ_j] − E_full[L − ℓ_j]) with ℓ_j = r_j² of a probe sample.
  const [nS, nP, d] = [30, 20, 3];
  const n = nS + nP;
  const x = normals(n * d, 1, 5);
  const noise = normals(n, 0.5, 6);
  const y = Float32Array.from({ length: n }, (_, i) => 0.5 * x[i * d] + x[i * d + 1] - x[i * d + 2] + noise[i]);
  const X = (i: number, a: number) => x[i * d + a];
  const XtX = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => sum(nS, (i) => X(i, a) * X(i, b))));
  const wStar = Float32Array.from(solve(XtX, Array.from({ length: d }, (_, a) => sum(nS, (i) => X(i, a) * y[i]))));
  const [nbeta, gamma] = [20, 2];
  const m = Array.from({ length: n }, (_, i) => sum(d, (a) => X(i, a) * wStar[a]) - y[i]);
  const initLoss = sum(nS, (a) => m[a] ** 2) / nS;
  const sigmaOf = (R: number[]) => {
    const precision = R.map((a) => R.map((b) => (nbeta * 2 * XtX[a][b]) / nS + (a === b ? gamma : 0)));
    return R.map((_, k) => solve(precision, R.map((__, l) => (k === l ? 1 : 0))));
  };
  const moments = (R: number[]) => {
    const sigma = sigmaOf(R);
    const C = (i: number, j: number) => sum(R.length, (k) => sum(R.length, (l) => X(i, R[k]) * sigma[k][l] * X(j, R[l])));
    const cov = (i: number, j: number) => 2 * C(i, j) ** 2 + 4 * m[i] * m[j] * C(i, j);
    const ePhi = sum(nS, (a) => C(a, a)) / nS;
    return { cov, ePhi, varL: sum(nS, (a) => sum(nS, (b) => cov(a, b))) / nS ** 2, eLminus: (j: number) => initLoss + ePhi - (m[j] ** 2 + C(j, j)) };
  };
  const F = moments([0, 1, 2]);
  const truth = (R: number[]) => {
    const M = moments(R);
    return Array.from({ length: nP }, (_, k) => M.varL - sum(nS, (a) => M.cov(a, nS + k)) / nS + M.ePhi * (M.eLminus(nS + k) - F.eLminus(nS + k)));
  };
  const relativeError = (est: Float64Array, want: number[]) => Math.sqrt(sum(nP, (k) => (est[k] - want[k]) ** 2) / sum(nP, (k) => want[k] ** 2));
  /** Draws as the studies stack them: L over S, and each probe's squared residual. */
  const drawsOf = (T: number, draw: (w: Float64Array) => void): Draws => {
    const out: Draws = { L: new Float64Array(T), obs: new Float64Array(T * nP), n: nP };
    const w = new Float64Array(d);
    for (let t = 0; t < T; t++) {
      draw(w);
      let L = 0;
      for (let i = 0; i < n; i++) {
        let r = -y[i];
        for (let a = 0; a < d; a++) r += x[i * d + a] * w[a];
        if (i < nS) L += (r * r) / nS;
        else out.obs[t * nP + i - nS] = r * r;
      }
      out.L[t] = L;
    }
    return out;
  };

  test('the estimator on exact posterior draws: χ of every probe sample, whole model and two of three weights (relative error < 0.05)', () => {
    const rng = new NormalRng(3, 0, 1);
    const exact = (R: number[]) => {
      const sigma = sigmaOf(R);
      // Cholesky of Σ_R, then w = w* + chol·z on R, w* elsewhere.
      const Lc = R.map(() => R.map(() => 0));
      for (let i = 0; i < R.length; i++)
        for (let j = 0; j <= i; j++) {
          const s = sigma[i][j] - sum(j, (k) => Lc[i][k] * Lc[j][k]);
          Lc[i][j] = i === j ? Math.sqrt(s) : s / Lc[j][j];
        }
      const z = new Float64Array(R.length);
      return drawsOf(800_000, (w) => {
        w.set(wStar);
        for (let i = 0; i < R.length; i++) z[i] = rng.normal();
        for (let i = 0; i < R.length; i++) for (let k = 0; k <= i; k++) w[R[i]] += Lc[i][k] * z[k];
      });
    };
    const offsets = fullOffsets(exact([0, 1, 2]));
    for (const R of [[0, 1, 2], [0, 1]]) {
      const est = exact(R);
      const rel = relativeError(susceptibilities(est, initLoss, offsets), truth(R));
      assert.ok(rel < 0.05, `R = ${R}: relative error ${rel.toFixed(3)}`);
      const llc = refinedLlc(est, initLoss, nbeta);
      assert.ok(Math.abs(llc / (nbeta * moments(R).ePhi) - 1) < 0.02, `R = ${R}: LLC ${llc}`);
    }
  });

  test('SGLD chains on the engine graph, then the estimator: the whole model (relative error < 0.2)', async () => {
    const graph = (rows: number) => {
      const b = new GraphBuilder('float32');
      const theta = b.input('theta', 'float32', [d]);
      const err = b.sub(b.reshape(b.matmul(b.input('x', 'float32', [rows, d]), b.reshape(theta, [d, 1])), [rows]), b.input('y', 'float32', [rows]));
      const sq = b.mul(err, err);
      return { b, theta, sq, loss: b.op('ReduceMean', [sq], { axes: [0], keepdims: 0 }) };
    };
    const tg = graph(nS);
    const feeds = { x: new ort.Tensor('float32', x.slice(0, nS * d), [nS, d]), y: new ort.Tensor('float32', y.slice(0, nS), [nS]) };
    const target = await GraphTarget.create(tg.b, { theta: tg.theta, loss: tg.loss, center: wStar, feeds: () => feeds });
    const og = graph(n);
    const observer = await GraphObserver.create(og.b, { theta: og.theta, outputs: { sequence: { value: og.sq, size: n } }, feeds: { x: new ort.Tensor('float32', x, [n, d]), y: new ort.Tensor('float32', y, [n]) } });
    const records: ChainRecord[] = [];
    for (let c = 0; c < 4; c++) records.push(await runChain(target, range('full', 0, d), settings({ epsilon: 2e-3, nbeta, gamma, draws: 4000, burnIn: 500, every: 5 }), c, [observer]));
    await target.release();
    await observer.release();
    const est = stackDraws(records, nP, (rec, t) => sum(nS, (a) => rec.observables.sequence[t * n + a]) / nS, (rec, t, into) => into.set(rec.observables.sequence.subarray(t * n + nS, t * n + n)));
    const rel = relativeError(susceptibilities(est, initLoss, fullOffsets(est)), truth([0, 1, 2]));
    assert.ok(rel < 0.2, `relative error ${rel.toFixed(3)}`);
  });
});

type Draws = ReturnType<typeof stackDraws>;

describe('a transformer with a head for each distribution', () => {
  test('each head responds to its own distribution with χ < 0 and to the other with χ > 0; the dead MLP hardly at all', async () => {
    // Tokens a–h (ids 1–8) live in residual dims 0–7, i–p (ids 9–16) in dims 8–15. Attention is uniform (Q = K = 0);
    // head 1 reads dims 0–7 and writes them back, head 0 does the same for dims 8–15; the MLP is zero; the unembedding
    // reads each token's own dim. Distribution A repeats one of a–h, B one of i–p: perturbing head 1 moves A's losses
    // far more than B's (it touches B only through B's already small probabilities of A tokens), and head 0 the reverse.
    const dir = join(root, 'two-heads');
    const vocab = ['[UNK]', ...'abcdefghijklmnop'.split('')];
    await writeTinyCheckpoint(dir, { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, dMlp: 4, vocab, tied: false });
    const { layout, flat } = await loadParameters(dir);
    const slot = (name: string) => layout.slots.find((s) => s.name === `model.${name}` || s.name === name)!;
    const set = (name: string, f: (r: number, c: number) => number) => {
      const s = slot(name);
      const [rows, cols] = s.shape.length === 2 ? s.shape : [1, s.shape[0]];
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) flat[s.offset + r * cols + c] = f(r, c);
    };
    const dimOf = (token: number) => token - 1; // a → 0 … p → 15
    set('embed_tokens.weight', (t, k) => (t > 0 && dimOf(t) === k ? 1 : 0));
    for (const norm of ['layers.0.input_layernorm.weight', 'layers.0.post_attention_layernorm.weight', 'norm.weight']) set(norm, () => 1);
    for (const w of ['q_proj', 'k_proj']) set(`layers.0.self_attn.${w}.weight`, () => 0);
    // v_proj [out = head·8 + i, in]: head 0 reads dims 8–15, head 1 dims 0–7; o_proj [d_model, head·8 + i] writes them back.
    set('layers.0.self_attn.v_proj.weight', (o, i) => (o < 8 ? (i === 8 + o ? 1 : 0) : i === o - 8 ? 1 : 0));
    set('layers.0.self_attn.o_proj.weight', (dm, o) => (o < 8 ? (dm === 8 + o ? 1 : 0) : dm === o - 8 ? 1 : 0));
    for (const w of ['gate_proj', 'up_proj', 'down_proj']) set(`layers.0.mlp.${w}.weight`, () => 0);
    set('lm_head.weight', (t, k) => (t > 0 && dimOf(t) === k ? 1 : 0));

    const sequence = (token: number) => Array.from({ length: 8 }, () => token);
    const A = [1, 2, 3, 4, 5, 6, 7, 8];
    const B = [9, 10, 11, 12, 13, 14, 15, 16];
    const sampling = { rows: [...A, ...B, ...A, ...B].map(sequence) };
    const probes = [...A, ...B].map((t) => ({ ids: sequence(t) }));
    const groups = [...A.map(() => 'A'), ...B.map(() => 'B')];
    const observer = await SampleLosses.create(layout, flat, probes);
    const atCenter = await observer.observe(flat);
    const initLoss = atCenter.sequence.reduce((a, v) => a + v, 0) / probes.length;
    const run = async (name: string) => {
      const restriction = parseRestriction(name, layout);
      const target = await TransformerTarget.create(layout, flat, sampling, { batchSize: 32, seed: 0, restriction });
      const records: ChainRecord[] = [];
      for (let c = 0; c < 2; c++) records.push(await runChain(target, restriction, settings({ epsilon: 1e-3, nbeta: 30, gamma: 100, draws: 300, burnIn: 100 }), c, [observer]));
      await target.release();
      // The probes are the sampling distribution's two halves: L is their mean, the groups' means are the observables.
      return stackDraws(records, 2, (r, t) => r.observables.sequence.subarray(t * 16, t * 16 + 16).reduce((a, v) => a + v, 0) / 16, (r, t, into) => {
        into[0] = r.observables.sequence.subarray(t * 16, t * 16 + 8).reduce((a, v) => a + v, 0) / 8;
        into[1] = r.observables.sequence.subarray(t * 16 + 8, t * 16 + 16).reduce((a, v) => a + v, 0) / 8;
      });
    };
    const offsets = fullOffsets(await run('full'));
    const chi = async (name: string) => bootstrapSusceptibilities(await run(name), initLoss, offsets, 200, 0);
    const [h0, h1, mlp] = [await chi('l0.h0'), await chi('l0.h1'), await chi('l0.mlp')];
    await observer.release();
    const show = (x: { value: number; lo: number; hi: number }[]) => x.map((v, k) => `${groups[k * 8]} ${v.value.toExponential(2)} [${v.lo.toExponential(2)}, ${v.hi.toExponential(2)}]`).join(', ');
    // Head 1 carries A: its fluctuations raise A's loss more than the average loss (χ_A < 0) and B's less (χ_B > 0).
    assert.ok(h1[0].hi < 0 && h1[1].lo > 0, `head 1: ${show(h1)}`);
    assert.ok(h0[1].hi < 0 && h0[0].lo > 0, `head 0: ${show(h0)}`);
    const scale = Math.min(...[...h0, ...h1].map((v) => Math.abs(v.value)));
    assert.ok(mlp.every((v) => Math.abs(v.value) < 0.1 * scale), `MLP: ${show(mlp)}, heads at least ${scale.toExponential(2)}`);
  });
});

test('susceptibilities of a resample: the same draws picked again give the same χ', () => {
  const draws: Draws = { L: Float64Array.of(1, 2, 3, 4), obs: Float64Array.of(1, 0, 2, 1, 2, 2, 5, 1), n: 2 };
  const all = susceptibilities(draws, 0.5, Float64Array.of(0.1, -0.2));
  const again = susceptibilities(draws, 0.5, Float64Array.of(0.1, -0.2), Int32Array.of(0, 1, 2, 3));
  assert.deepEqual(Array.from(again), Array.from(all));
  // By hand, column 0: E[φ(L − ℓ)] − E[φ]·offset with φ = L − 0.5.
  const phi = [0.5, 1.5, 2.5, 3.5];
  const by = (phi.reduce((a, p, t) => a + p * ([1, 2, 3, 4][t] - [1, 2, 2, 5][t]), 0) / 4) - (phi.reduce((a, b) => a + b, 0) / 4) * 0.1;
  assert.ok(Math.abs(all[0] - by) < 1e-12);
});
