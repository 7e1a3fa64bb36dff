/**
 * Susceptibilities from chain records (Baker et al. 2504.18274, App. C.4; devinterp v2
 * `slt/susceptibilities.py`). A component C — a weight restriction — is sampled on its own; at each
 * of its draws φ = L − L(θ*), L the loss on the sampling data. For an observable ℓ_j (one token's
 * loss, one sample's, a group's mean):
 *
 *   χ_j = E_C[φ·(L − ℓ_j)] − E_C[φ]·(E_full[L] − E_full[ℓ_j])   ≈ −Cov_C(φ, ℓ_j − L),
 *
 * centred with the whole model's posterior (a full run) as devinterp does, without an nβ factor.
 * E_C is over the component's draws, all chains stacked; E_full over the full run's. nβ·E_C[φ] is
 * the component's weight-refined LLC.
 */
import { IntrospectError } from '../errors';
import type { ChainRecord } from '../sampling/chain';
import type { Interval } from '../probes/separation';
import { NormalRng, Stream } from '../sampling/normal';

/** A run's draws, chains stacked: L at each draw and the observables ℓ ([draws, n], row-major). */
export interface Draws {
  L: Float64Array;
  obs: Float64Array;
  n: number;
}

/**
 * Stacks the finished chains' draws: `L(record, draw)` gives the sampling loss at a draw, and
 * `columns(record, draw, into)` writes its n observables.
 */
export function stackDraws(records: ChainRecord[], n: number, L: (r: ChainRecord, draw: number) => number, columns: (r: ChainRecord, draw: number, into: Float64Array) => void): Draws {
  const ok = records.filter((r) => !r.error && r.completed >= 2);
  if (ok.length === 0) throw new IntrospectError('no chain finished with at least 2 draws', 'susceptibility');
  const draws = ok.reduce((s, r) => s + r.completed, 0);
  const out: Draws = { L: new Float64Array(draws), obs: new Float64Array(draws * n), n };
  let t = 0;
  for (const r of ok)
    for (let d = 0; d < r.completed; d++, t++) {
      out.L[t] = L(r, d);
      columns(r, d, out.obs.subarray(t * n, (t + 1) * n));
    }
  return out;
}

/** E_full[L] − E_full[ℓ_j] for every column: the full posterior's centring. */
export function fullOffsets(full: Draws): Float64Array {
  const T = full.L.length;
  const meanL = full.L.reduce((a, v) => a + v, 0) / T;
  const out = new Float64Array(full.n).fill(meanL);
  for (let t = 0; t < T; t++) for (let j = 0; j < full.n; j++) out[j] -= full.obs[t * full.n + j] / T;
  return out;
}

/** χ_j for every column of the component's draws (over the draws `pick`, default all: a bootstrap passes a resample). */
export function susceptibilities(c: Draws, initLoss: number, offsets: Float64Array, pick?: Int32Array): Float64Array {
  if (offsets.length !== c.n) throw new IntrospectError(`the full run observed ${offsets.length} values, the component ${c.n}`, 'susceptibility');
  const T = pick ? pick.length : c.L.length;
  const acc = new Float64Array(c.n);
  let phiSum = 0;
  for (let k = 0; k < T; k++) {
    const t = pick ? pick[k] : k;
    const phi = c.L[t] - initLoss;
    phiSum += phi;
    const row = t * c.n;
    for (let j = 0; j < c.n; j++) acc[j] += phi * (c.L[t] - c.obs[row + j]);
  }
  const ePhi = phiSum / T;
  for (let j = 0; j < c.n; j++) acc[j] = acc[j] / T - ePhi * offsets[j];
  return acc;
}

/** nβ·E_C[φ]: the LLC of the component's weights. */
export function refinedLlc(c: Draws, initLoss: number, nbeta: number): number {
  return (nbeta * c.L.reduce((a, v) => a + v - initLoss, 0)) / c.L.length;
}

/** Each column's χ with a 95 % percentile interval from resampling the component's draws (the full run's centring held fixed). */
export function bootstrapSusceptibilities(c: Draws, initLoss: number, offsets: Float64Array, resamples: number, seed: number): Interval[] {
  const value = susceptibilities(c, initLoss, offsets);
  const T = c.L.length;
  const rng = new NormalRng(seed, 0, Stream.bootstrap);
  const samples = Array.from({ length: c.n }, () => new Float64Array(resamples));
  const pick = new Int32Array(T);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < T; k++) pick[k] = rng.below(T);
    const x = susceptibilities(c, initLoss, offsets, pick);
    for (let j = 0; j < c.n; j++) samples[j][b] = x[j];
  }
  return Array.from(value, (v, j) => {
    const s = samples[j].sort();
    const at = (q: number) => s[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
    return { value: v, lo: at(0.025), hi: at(0.975) };
  });
}
