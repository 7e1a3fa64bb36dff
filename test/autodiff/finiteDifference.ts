/**
 * Checks a graph's autodiff gradients against central finite differences, both computed by
 * onnxruntime on CPU: the objective is sum(Y * R) for a fixed random R, so every element of every
 * output's gradient is exercised.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { gradients } from '../../engine/src/autodiff/gradients';
import { sessionFor } from '../../engine/src/autodiff/session';
import { ShapeInfo } from '../../engine/src/autodiff/shapes';
import { GraphBuilder, type Value } from '../../engine/src/onnx/builder';

export type FloatType = 'float64' | 'float32';

export interface FdInput {
  name: string;
  dims: number[];
  /** Symbolic dims to declare instead of the numbers (the feed still has `dims`). */
  declared?: (number | string)[];
  /** Defaults to uniform in [-1, 1); differentiated unless `constant`. */
  data?: number[];
  type?: FloatType | 'int64' | 'bool';
  constant?: boolean;
}

/** Deterministic uniform numbers in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  });
}

function tensor(type: FdInput['type'], data: number[], dims: number[]): ort.Tensor {
  switch (type ?? 'float64') {
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data), dims);
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(data), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), dims);
    default:
      return new ort.Tensor('bool', Uint8Array.from(data), dims);
  }
}

/**
 * Builds `build(b, inputs)` → Y, appends sum(Y*R) and its gradients, and compares each with finite
 * differences (step `h`), asserting max |analytic − numeric| ≤ tol · max(1, max |numeric|).
 */
export async function checkGradients(
  inputs: FdInput[],
  build: (b: GraphBuilder, x: Record<string, Value>) => Value,
  opts: { type?: FloatType; h?: number; tol?: number; seed?: number } = {},
): Promise<void> {
  const type = opts.type ?? 'float64';
  const h = opts.h ?? (type === 'float64' ? 1e-6 : 1e-2);
  const tol = opts.tol ?? (type === 'float64' ? 1e-6 : 2e-2);
  const b = new GraphBuilder('float32');
  const x: Record<string, Value> = {};
  for (const i of inputs) x[i.name] = b.input(i.name, i.type ?? type, i.declared ?? i.dims);
  const y = build(b, x);
  const outDims = await probeShape(b, y, inputs, type);
  const rData = uniform(outDims.reduce((p, d) => p * d, 1), (opts.seed ?? 7) + 101);
  const r = b.input('fd.r', type, outDims);
  const objective = b.op('ReduceSum', [b.op('Mul', [y, r])], { keepdims: 0 }, 'objective');
  b.output(objective, 'objective', type, []);
  const wrt = inputs.filter((i) => !i.constant && (i.type ?? type) === type).map((i) => i.name);
  const grads = gradients(b, objective, wrt);
  for (const w of wrt) b.output(grads.get(w)!, `grad.${w}`, type, inputs.find((i) => i.name === w)!.dims);
  const { session } = await sessionFor(b, 'cpu');
  try {
    const values = inputs.map((i, k) => i.data ?? uniform(i.dims.reduce((p, d) => p * d, 1), (opts.seed ?? 7) + k));
    const feeds = (vals: number[][]) => {
      const f: Record<string, ort.Tensor> = { 'fd.r': tensor(type, rData, outDims) };
      inputs.forEach((i, k) => (f[i.name] = tensor(i.type ?? type, vals[k], i.dims)));
      return f;
    };
    const out = await session.run(feeds(values));
    const f = async (vals: number[][]) => Number((await session.run(feeds(vals), ['objective'])).objective.data[0]);
    for (const w of wrt) {
      const k = inputs.findIndex((i) => i.name === w);
      const analytic = Array.from(out[`grad.${w}`].data as Float64Array);
      assert.equal(analytic.length, values[k].length, `grad.${w} has ${analytic.length} values for ${values[k].length}`);
      const numeric: number[] = [];
      for (let j = 0; j < values[k].length; j++) {
        const plus = values.map((v) => [...v]);
        const minus = values.map((v) => [...v]);
        plus[k][j] += h;
        minus[k][j] -= h;
        numeric.push(((await f(plus)) - (await f(minus))) / (2 * h));
      }
      const scale = Math.max(1, ...numeric.map(Math.abs));
      const err = Math.max(...numeric.map((n, j) => Math.abs(n - analytic[j])));
      assert.ok(err <= tol * scale, `d/d${w}: max |analytic − numeric| = ${err} (scale ${scale})`);
    }
  } finally {
    await session.release();
  }
}

/** Runs the forward graph once to learn Y's concrete shape (R must match it). */
async function probeShape(b: GraphBuilder, y: Value, inputs: FdInput[], type: FloatType): Promise<number[]> {
  const probe = new GraphBuilder('float32');
  probe.nodes.push(...b.nodes);
  probe.inputs.push(...b.inputs);
  probe.initializers.push(...b.initializers);
  const rank = new ShapeInfo(b).rank(y);
  probe.output(y, y, type, Array.from({ length: rank }, (_, i) => `d${i}`));
  const { session } = await sessionFor(probe, 'cpu');
  try {
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((i, k) => (feeds[i.name] = tensor(i.type ?? type, i.data ?? uniform(i.dims.reduce((p, d) => p * d, 1), k + 1), i.dims)));
    const out = await session.run(feeds);
    return out[y].dims.map(Number);
  } finally {
    await session.release();
  }
}
