/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) over the flat parameter vector, in place, with
 * typed arrays: one pass per step over the decayed and the undecayed ranges.
 */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamWState {
  m: Float32Array;
  v: Float32Array;
  /** Steps taken (for bias correction). */
  t: number;
}

export class AdamW {
  readonly state: AdamWState;

  /** `decay[i]` ranges [start, end) of the flat vector get weight decay (matrices), the rest not (norms, biases). */
  constructor(
    size: number,
    readonly opts: AdamWOptions,
    private readonly decay: Array<[number, number, boolean]>,
    state?: AdamWState,
  ) {
    this.state = state ?? { m: new Float32Array(size), v: new Float32Array(size), t: 0 };
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    const { beta1: b1, beta2: b2, eps, weightDecay } = this.opts;
    const { m, v } = this.state;
    const t = ++this.state.t;
    const c1 = 1 / (1 - b1 ** t);
    const c2 = 1 / (1 - b2 ** t);
    for (const [start, end, decays] of this.decay) {
      const shrink = decays ? 1 - lr * weightDecay : 1;
      for (let i = start; i < end; i++) {
        const g = grad[i];
        const mi = b1 * m[i] + (1 - b1) * g;
        const vi = b2 * v[i] + (1 - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] = params[i] * shrink - (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
      }
    }
  }
}

/** Global L2 norm of the gradient. */
export function gradNorm(grad: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grad.length; i++) s += grad[i] * grad[i];
  return Math.sqrt(s);
}

/** Scales the gradient so its norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grad: Float32Array, maxNorm: number): number {
  const norm = gradNorm(grad);
  if (norm > maxNorm && norm > 0) {
    const k = maxNorm / norm;
    for (let i = 0; i < grad.length; i++) grad[i] *= k;
  }
  return norm;
}
