/**
 * The SGMCMC update of devinterp (`optim/sgmcmc.py`), over the sampled coordinates of a flat
 * parameter vector, in place:
 *
 *   d = G ⊙ (nβ·g + γ(θ − θ*)) + λθ            g: gradient of the mean minibatch loss
 *   θ ← θ − ε/2 · d + √ε · √G ⊙ σ·N(0, 1)
 *   θ ← clamp(θ, θ* − box, θ* + box)           with a bounding box only
 *
 * SGLD: G = 1. RMSProp-SGLD: V ← αV + (1 − α)g² (the raw gradient; V starts at 0, no bias
 * correction), G = 1/(√V + eps). Coordinates outside the restriction are never written, so they
 * stay bit-identical to θ*.
 *
 * Each step also measures what devinterp's diagnostics do: the norms of the gradient term
 * (ε/2·nβ·G·g), the localization term (ε/2·G·γ(θ − θ*)) and the noise (√ε·√G·σ·η), the distance
 * ‖θ − θ*‖ before the step. `acceptance` then gives the Metropolis (MALA) acceptance probability
 * of the step just taken, from the energy U = nβ·L + γ/2·‖θ − θ*‖² and the step's own Gaussian
 * proposal (mean θ − ε/2·G·∇U, variance ε·σ²·G, weight decay left out), both directions with the
 * step's preconditioner. The caller evaluates U at the new point on the step's own minibatch: with
 * consecutive minibatches, as devinterp estimates it, the minibatch noise in U swamps the estimate.
 */
import { SAMPLERS, type SamplerKind } from '../api/studies';
import { IntrospectError } from '../errors';
import type { NormalRng } from './normal';
import type { Restriction } from './restriction';

export interface SgmcmcOptions {
  sampler: SamplerKind;
  /** Step size ε. */
  epsilon: number;
  /** Inverse temperature nβ. */
  nbeta: number;
  /** Localization strength γ toward θ*. */
  gamma: number;
  /** Weight decay λ (not preconditioned, as devinterp). */
  weightDecay: number;
  /** Half-width of a box around θ* the chain is clamped to. */
  boundingBox?: number;
  /** σ, the noise standard deviation (1 for a true sampler; 0 turns it into gradient descent). */
  noiseLevel: number;
  /** RMSProp's α and eps. */
  alpha: number;
  rmsEps: number;
}

export const SGMCMC_DEFAULTS = { sampler: 'sgld', gamma: 0, weightDecay: 0, noiseLevel: 1, alpha: 0.99, rmsEps: 0.1 } as const;

/** devinterp's default inverse temperature: batch size over its log. */
export const defaultNbeta = (batchSize: number) => (batchSize > 1 ? batchSize / Math.log(batchSize) : 1);

/** What one step measured. */
export interface StepDiagnostics {
  gradTerm: number;
  localization: number;
  noise: number;
  /** ‖θ − θ*‖ at the point the step started from. */
  distance: number;
}

export class Sgmcmc {
  private readonly v: Float32Array | undefined;
  /**
   * The last step's starting point, drift ∇U and preconditioner there, and U, for `acceptance`:
   * allocated on the first step that keeps them (three more copies of the sampled weights).
   */
  private prev: { theta: Float32Array; drift: Float32Array; G: Float32Array | undefined } | undefined;
  private prevEnergy = NaN;
  /** One chunk of the step's noise. */
  private readonly noise = new Float64Array(1 << 16);

  constructor(
    private readonly center: Float32Array,
    private readonly restriction: Restriction,
    private readonly o: SgmcmcOptions,
    private readonly rng: NormalRng,
  ) {
    for (const k of ['epsilon', 'nbeta'] as const)
      if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new IntrospectError(`must be a positive number, got ${o[k]}`, k);
    for (const k of ['gamma', 'weightDecay', 'noiseLevel'] as const)
      if (!(o[k] >= 0) || !Number.isFinite(o[k])) throw new IntrospectError(`must be a number ≥ 0, got ${o[k]}`, k);
    if (o.boundingBox !== undefined && !(o.boundingBox > 0)) throw new IntrospectError(`must be positive, got ${o.boundingBox}`, 'boundingBox');
    if (!SAMPLERS.includes(o.sampler)) throw new IntrospectError(`must be one of ${SAMPLERS.join(', ')}, got "${o.sampler}"`, 'sampler');
    this.v = o.sampler === 'rmsprop-sgld' ? new Float32Array(restriction.count) : undefined;
    // One empty run, so that the code V8 optimizes in the middle of the first chunk's loop has type
    // feedback for what follows the loop, rather than deoptimizing there on every chunk.
    const none: ChunkArrays = { theta: NONE, grad: NONE, center: NONE, noise: this.noise, v: NONE, prevTheta: NONE, prevDrift: NONE, prevG: NONE };
    updateChunk(none, { half: 0, root: 0, nbeta: 0, gamma: 0, wd: 0, sigma: 0, alpha: 0, rmsEps: 0, box: Infinity }, 0, 0, 0, new Float64Array(4));
  }

  /**
   * One update of `theta` in place, from the gradient `grad` (flat, same layout) of the minibatch
   * loss `loss` at `theta`. `forAcceptance`: keep what `acceptance` needs for this step (the
   * chain asks only on the steps it estimates MALA, as the copies cost memory traffic).
   */
  step(theta: Float32Array, grad: Float32Array, loss: number, forAcceptance = true): StepDiagnostics {
    const o = this.o;
    const n = this.restriction.count;
    const prev = forAcceptance ? (this.prev ??= { theta: new Float32Array(n), drift: new Float32Array(n), G: this.v ? new Float32Array(n) : undefined }) : undefined;
    const c: ChunkConstants = {
      half: o.epsilon / 2,
      root: Math.sqrt(o.epsilon),
      nbeta: o.nbeta,
      gamma: o.gamma,
      wd: o.weightDecay,
      sigma: o.noiseLevel,
      alpha: o.alpha,
      rmsEps: o.rmsEps,
      box: o.boundingBox ?? Infinity,
    };
    const arrays: ChunkArrays = { theta, grad, center: this.center, noise: this.noise, v: this.v ?? NONE, prevTheta: prev?.theta ?? NONE, prevDrift: prev?.drift ?? NONE, prevG: prev?.G ?? NONE };
    const sums = new Float64Array(4);
    const r = this.restriction.ranges;
    let k = 0;
    for (let j = 0; j < r.length; j += 2)
      for (let i = r[j]; i < r[j + 1]; i += this.noise.length) {
        const m = Math.min(this.noise.length, r[j + 1] - i);
        // The chunk's noise first, by rng.fill's fast path: the same numbers, in the same order, as one normal() per coordinate.
        if (c.sigma !== 0) this.rng.fill(this.noise.subarray(0, m));
        updateChunk(arrays, c, i, k, m, sums);
        k += m;
      }
    this.prevEnergy = prev ? o.nbeta * loss + (o.gamma / 2) * sums[3] : NaN;
    return { gradTerm: Math.sqrt(sums[0]), localization: Math.sqrt(sums[1]), noise: Math.sqrt(sums[2]), distance: Math.sqrt(sums[3]) };
  }

  /**
   * MALA acceptance probability of the last step, given the loss and its gradient at the new
   * `theta` on that step's minibatch: min(1, exp(U(θ) − U(θ') + log q(θ | θ') − log q(θ' | θ))).
   */
  acceptance(theta: Float32Array, grad: Float32Array, loss: number): number {
    const { epsilon: eps, nbeta, gamma, noiseLevel: sigma } = this.o;
    const prev = this.prev;
    if (sigma === 0 || Number.isNaN(this.prevEnergy) || !prev) return NaN;
    const half = eps / 2;
    const r = this.restriction.ranges;
    let quadratic = 0;
    let distSq = 0;
    let k = 0;
    for (let j = 0; j < r.length; j += 2) {
      for (let i = r[j]; i < r[j + 1]; i++, k++) {
        const G = prev.G ? prev.G[k] : 1;
        const off = theta[i] - this.center[i];
        distSq += off * off;
        const back = prev.theta[k] - theta[i] + half * G * (nbeta * grad[i] + gamma * off);
        const fwd = theta[i] - prev.theta[k] + half * G * prev.drift[k];
        quadratic += (fwd * fwd - back * back) / (2 * eps * G);
      }
    }
    const energy = nbeta * loss + (gamma / 2) * distSq;
    return Math.min(1, Math.exp(quadratic / (sigma * sigma) + this.prevEnergy - energy));
  }
}

const NONE = new Float32Array(0);

interface ChunkConstants {
  half: number;
  root: number;
  nbeta: number;
  gamma: number;
  wd: number;
  sigma: number;
  alpha: number;
  rmsEps: number;
  /** Infinity without a bounding box. */
  box: number;
}

/** The step's arrays; V and the acceptance copies are empty when not kept. */
interface ChunkArrays {
  theta: Float32Array;
  grad: Float32Array;
  center: Float32Array;
  noise: Float64Array;
  v: Float32Array;
  prevTheta: Float32Array;
  prevDrift: Float32Array;
  prevG: Float32Array;
}

/**
 * The update of `m` coordinates from flat index `i0` (sampled index `k0`), adding the squared
 * gradient, localization, noise and distance terms to `sums`. A function of its own, over typed
 * arrays and numbers only, so V8 keeps one optimized loop for every step.
 */
function updateChunk(a: ChunkArrays, c: ChunkConstants, i0: number, k0: number, m: number, sums: Float64Array): void {
  const { theta, grad, center, noise, v, prevTheta, prevDrift, prevG } = a;
  const { half, root, nbeta, gamma, wd, sigma, alpha, rmsEps, box } = c;
  const rms = v.length > 0;
  const keep = prevTheta.length > 0;
  const keepG = prevG.length > 0;
  let gradSq = 0;
  let locSq = 0;
  let noiseSq = 0;
  let distSq = 0;
  for (let q = 0; q < m; q++) {
    const i = i0 + q;
    const k = k0 + q;
    const th = theta[i];
    const g = grad[i];
    const off = th - center[i];
    distSq += off * off;
    let G = 1.0;
    if (rms) {
      const vi = alpha * v[k] + (1 - alpha) * g * g;
      v[k] = vi;
      G = 1 / (Math.sqrt(vi) + rmsEps);
    }
    if (keep) {
      prevTheta[k] = th;
      prevDrift[k] = nbeta * g + gamma * off;
      if (keepG) prevG[k] = G;
    }
    const gt = half * G * nbeta * g;
    const lt = half * G * gamma * off;
    const nt = sigma === 0 ? 0 : root * Math.sqrt(G) * sigma * noise[q];
    gradSq += gt * gt;
    locSq += lt * lt;
    noiseSq += nt * nt;
    const next = th - gt - lt - half * wd * th + nt;
    theta[i] = Math.min(center[i] + box, Math.max(center[i] - box, next));
  }
  sums[0] += gradSq;
  sums[1] += locSq;
  sums[2] += noiseSq;
  sums[3] += distSq;
}
