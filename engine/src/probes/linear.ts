/**
 * Linear probes on raw activations, the baselines an SAE latent is measured against:
 * - logistic regression on standardised features with an L2 penalty (sklearn's
 *   `LogisticRegression(C=1)`: minimises C · Σ log-loss + ½‖w‖²), fitted by Newton's method;
 * - the difference-of-means direction (mean of the positives minus mean of the negatives).
 * Both return a direction in the original (unstandardised) units and a bias, so scores are x·w + b.
 */
import { IntrospectError } from '../errors';

export interface LinearProbe {
  w: Float64Array;
  b: number;
}

export function probeScores(p: LinearProbe, x: ArrayLike<number>, d: number): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = p.b;
    for (let j = 0; j < d; j++) s += x[r * d + j] * p.w[j];
    out[r] = s;
  }
  return out;
}

export function differenceOfMeans(x: ArrayLike<number>, d: number, positive: ArrayLike<boolean>): LinearProbe {
  const n = x.length / d;
  const pos = new Float64Array(d);
  const neg = new Float64Array(d);
  let np = 0;
  for (let r = 0; r < n; r++) {
    const into = positive[r] ? pos : neg;
    if (positive[r]) np++;
    for (let j = 0; j < d; j++) into[j] += x[r * d + j];
  }
  if (np === 0 || np === n) throw new IntrospectError('both classes need samples', 'probe');
  const w = Float64Array.from(pos, (v, j) => v / np - neg[j] / (n - np));
  // Threshold halfway between the class means' projections.
  let b = 0;
  for (let j = 0; j < d; j++) b -= (w[j] * (pos[j] / np + neg[j] / (n - np))) / 2;
  return { w, b };
}

export function logisticRegression(x: ArrayLike<number>, d: number, positive: ArrayLike<boolean>, o: { C?: number; iterations?: number } = {}): LinearProbe {
  const n = x.length / d;
  const C = o.C ?? 1;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mu[j] += x[r * d + j] / n;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) sd[j] += (x[r * d + j] - mu[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const z = (r: number, j: number) => (j === d ? 1 : (x[r * d + j] - mu[j]) / sd[j]);
  // Parameters: d weights and the (unpenalised) intercept last.
  const D = d + 1;
  const beta = new Float64Array(D);
  for (let it = 0; it < (o.iterations ?? 50); it++) {
    const g = new Float64Array(D);
    const H = new Float64Array(D * D);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += beta[j] * z(r, j);
      const p = 1 / (1 + Math.exp(-s));
      const e = p - (positive[r] ? 1 : 0);
      const wgt = p * (1 - p);
      for (let i = 0; i < D; i++) {
        const zi = z(r, i);
        g[i] += C * e * zi;
        for (let j = i; j < D; j++) H[i * D + j] += C * wgt * zi * z(r, j);
      }
    }
    for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) H[i * D + j] = H[j * D + i];
    for (let i = 0; i < d; i++) {
      g[i] += beta[i];
      H[i * D + i] += 1;
    }
    H[d * D + d] += 1e-9;
    const step = solve(H, g, D);
    let size = 0;
    for (let i = 0; i < D; i++) {
      beta[i] -= step[i];
      size = Math.max(size, Math.abs(step[i]));
    }
    if (size < 1e-10) break;
  }
  const w = Float64Array.from({ length: d }, (_, j) => beta[j] / sd[j]);
  let b = beta[d];
  for (let j = 0; j < d; j++) b -= w[j] * mu[j];
  return { w, b };
}

/** Solves A x = y for symmetric positive-definite A (Cholesky). */
function solve(A: Float64Array, y: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j];
    }
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = y[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * t[k];
    t[i] = s / L[i * n + i];
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = t[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * out[k];
    out[i] = s / L[i * n + i];
  }
  return out;
}
