/**
 * Models whose learning coefficient is known, as engine graphs with the parameters as one input
 * `theta`, the same models devinterp's test suite checks its sampler on: the polynomial
 * f(x) = x·∏ wᵢ^{kᵢ} at w* = 0 and reduced-rank regression (Aoyagi & Watanabe 2004).
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../engine/src/onnx/builder';
import { NormalRng } from '../../engine/src/sampling/normal';
import { GraphTarget } from '../../engine/src/sampling/graphTarget';

/** n draws of N(0, sd²), float32, from a seeded stream. */
export function normals(n: number, sd: number, seed: number): Float32Array {
  const rng = new NormalRng(seed, 0, 99);
  return Float32Array.from({ length: n }, () => sd * rng.normal());
}

/** MSE of the polynomial model on (x, y), full batch, parameters at `center`. */
export async function polynomialTarget(powers: number[], x: Float32Array, y: Float32Array, center = new Float32Array(powers.length)) {
  const b = new GraphBuilder('float32');
  const theta = b.input('theta', 'float32', [powers.length]);
  const xs = b.input('x', 'float32', [x.length]);
  const ys = b.input('y', 'float32', [y.length]);
  let pred = xs;
  powers.forEach((k, i) => {
    const w = b.slice(theta, 0, i, i + 1);
    for (let p = 0; p < k; p++) pred = b.mul(pred, w);
  });
  const err = b.sub(pred, ys);
  const loss = b.op('ReduceMean', [b.mul(err, err)], { axes: [0], keepdims: 0 });
  const feeds = { x: new ort.Tensor('float32', x, [x.length]), y: new ort.Tensor('float32', y, [y.length]) };
  return GraphTarget.create(b, { theta, loss, center, feeds: () => feeds });
}

/** The true learning coefficient of reduced-rank regression, M inputs, rank H, N outputs (Aoyagi & Watanabe 2004). */
export function rrrLearningCoefficient(M: number, H: number, N: number): number {
  if (M + H < N) return (M * H) / 2;
  if (N + H < M) return (H * N) / 2;
  if (M + N < H) return (M * N) / 2;
  const base = (2 * M * N + 2 * H * N + 2 * M * H - M * M - N * N - H * H) / 8;
  return (M + H + N) % 2 === 1 ? base + 1 / 8 : base;
}

/** x [n, M] @ A [M, H] @ B [H, N] against y [n, N], mean squared error over every element; θ = (A, B) flattened. */
export async function rrrTarget(M: number, H: number, N: number, x: Float32Array, y: Float32Array, center: Float32Array) {
  const n = x.length / M;
  const b = new GraphBuilder('float32');
  const theta = b.input('theta', 'float32', [M * H + H * N]);
  const A = b.reshape(b.slice(theta, 0, 0, M * H), [M, H]);
  const B = b.reshape(b.slice(theta, 0, M * H, M * H + H * N), [H, N]);
  const xs = b.input('x', 'float32', [n, M]);
  const ys = b.input('y', 'float32', [n, N]);
  const err = b.sub(b.matmul(b.matmul(xs, A), B), ys);
  const loss = b.op('ReduceMean', [b.mul(err, err)], { axes: [0, 1], keepdims: 0 });
  const feeds = { x: new ort.Tensor('float32', x, [n, M]), y: new ort.Tensor('float32', y, [n, N]) };
  return GraphTarget.create(b, { theta, loss, center, feeds: () => feeds });
}
