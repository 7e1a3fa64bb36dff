/**
 * Every gradient rule against finite differences, in float64 on CPU, on small random graphs that
 * exercise broadcasting, batch dims, symbolic and run-time-only dims.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { gradients } from '../../engine/src/autodiff/gradients';
import { sessionFor } from '../../engine/src/autodiff/session';
import { GraphBuilder, type Value } from '../../engine/src/onnx/builder';
import { checkGradients, uniform } from './finiteDifference';

const f64 = (b: GraphBuilder, values: number[], dims: number[]) => b.initializer('c', 'float64', dims, Float64Array.from(values));
const positive = (n: number, seed: number) => uniform(n, seed, 0.5, 2);

const unaryOps = ['Neg', 'Identity', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Cos', 'Sin'];

describe('gradient rules match finite differences (float64)', () => {
  for (const op of unaryOps) {
    test(op, () => checkGradients([{ name: 'x', dims: [2, 3] }], (b, x) => b.op(op, [x.x])));
  }
  // onnxruntime has no float64 Erf kernel.
  test('Erf (float32)', () => checkGradients([{ name: 'x', dims: [2, 3] }], (b, x) => b.op('Erf', [x.x]), { type: 'float32' }));
  for (const op of ['Reciprocal', 'Sqrt', 'Log']) {
    test(op, () => checkGradients([{ name: 'x', dims: [2, 3], data: positive(6, 3) }], (b, x) => b.op(op, [x.x])));
  }

  const broadcasts: Array<[number[], number[]]> = [
    [[2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4]],
    [[2, 3, 1], [2, 3, 4]],
    [[3, 1], [1, 4]],
    [[2, 1, 4], []],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [da, db] of broadcasts) {
      test(`${op} [${da}] with [${db}]`, () =>
        checkGradients(
          [
            { name: 'a', dims: da },
            { name: 'b', dims: db, data: op === 'Div' ? positive(db.reduce((p, d) => p * d, 1), 5) : undefined },
          ],
          (b, x) => b.op(op, [x.a, x.b]),
        ));
    }
  }
  test('Add with symbolic batch and sequence dims', () =>
    checkGradients(
      [
        { name: 'a', dims: [2, 3, 4], declared: ['batch', 'seq', 4] },
        { name: 'b', dims: [2, 3, 1], declared: ['batch', 'seq', 1] },
      ],
      (b, x) => b.op('Mul', [x.a, x.b]),
    ));
  test('broadcast against a dim known only at run time', () =>
    checkGradients(
      [
        { name: 'a', dims: [2, 1] },
        { name: 'like', dims: [1, 2], constant: true },
        { name: 'b', dims: [3, 1] },
      ],
      // Reshaped to a shape read at run time: its dims are unknown when the graph is built.
      (b, x) => b.op('Add', [b.op('Reshape', [x.a, b.op('Shape', [x.like])]), x.b]),
    ));

  const matmuls: Array<[number[], number[]]> = [
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 5]],
    [[2, 3, 4, 5], [2, 3, 5, 2]],
    [[2, 1, 3, 4], [1, 2, 4, 3]],
    [[2, 3, 4, 5], [5, 2]],
  ];
  for (const [da, db] of matmuls) {
    test(`MatMul [${da}] @ [${db}]`, () => checkGradients([{ name: 'a', dims: da }, { name: 'b', dims: db }], (b, x) => b.op('MatMul', [x.a, x.b])));
  }

  test('Reshape with 0 and -1', () => checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('Reshape', [x.x, b.constInt64([0, -1, 2])])));
  test('Transpose', () => checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('Transpose', [x.x], { perm: [2, 0, 1] })));
  test('Unsqueeze', () => checkGradients([{ name: 'x', dims: [2, 3] }], (b, x) => b.op('Unsqueeze', [x.x, b.constInt64([0, -1])])));
  test('Expand', () => checkGradients([{ name: 'x', dims: [2, 1, 3] }], (b, x) => b.op('Expand', [x.x, b.constInt64([4, 2, 5, 3])])));
  test('Concat', () =>
    checkGradients([{ name: 'a', dims: [2, 3] }, { name: 'b', dims: [2, 2] }], (b, x) => b.op('Concat', [x.a, b.op('Neg', [x.b]), x.a], { axis: -1 })));
  test('Concat along a symbolic axis', () =>
    checkGradients(
      [
        { name: 'a', dims: [2, 3], declared: [2, 'n'] },
        { name: 'b', dims: [2, 2], declared: [2, 'm'] },
      ],
      (b, x) => b.op('Concat', [x.a, x.b], { axis: 1 }),
    ));
  test('Slice (rotary halves)', () =>
    checkGradients([{ name: 'x', dims: [2, 3, 8] }], (b, x) =>
      b.op('Concat', [b.op('Neg', [b.slice(x.x, 2, 4, 8)]), b.slice(x.x, 2, 0, 4)], { axis: 2 }),
    ));
  test('Slice with a negative end on a symbolic axis', () =>
    checkGradients([{ name: 'x', dims: [2, 5, 3], declared: [2, 'seq', 3] }], (b, x) => b.slice(x.x, 1, 1, -1)));
  test('Gather (embedding, repeated ids)', () =>
    checkGradients(
      [
        { name: 'table', dims: [5, 3] },
        { name: 'ids', dims: [2, 3], type: 'int64', data: [0, 4, 4, 1, 0, 4] },
      ],
      (b, x) => b.op('Gather', [x.table, x.ids], { axis: 0 }),
    ));
  for (const axis of [1, -1])
    test(`Gather along axis ${axis} (one position per row, repeated)`, () =>
      checkGradients(
        [
          { name: 'x', dims: [2, 4, 3] },
          { name: 'pos', dims: [2], type: 'int64', data: [2, 2] },
        ],
        (b, x) => b.op('Gather', [x.x, x.pos], { axis }),
      ));
  test('Gather along axis 1 with a 2-d index', () =>
    checkGradients(
      [
        { name: 'x', dims: [2, 5, 3] },
        { name: 'pos', dims: [2, 2], type: 'int64', data: [0, 4, 4, 2] },
      ],
      (b, x) => b.op('Gather', [x.x, x.pos], { axis: 1 }),
    ));
  test('GatherElements', () =>
    checkGradients(
      [
        { name: 'x', dims: [2, 4] },
        { name: 'idx', dims: [2, 1], type: 'int64', data: [3, 0] },
      ],
      (b, x) => b.op('GatherElements', [x.x, x.idx], { axis: 1 }),
    ));
  test('Softmax', () => checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('Softmax', [x.x], { axis: -1 })));
  test('LogSoftmax', () => checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('LogSoftmax', [x.x], { axis: -1 })));
  test('Where with a broadcast mask and scalar', () =>
    checkGradients(
      [
        { name: 'cond', dims: [1, 3], type: 'bool', data: [1, 0, 1] },
        { name: 'x', dims: [2, 3] },
      ],
      (b, x) => b.op('Where', [x.cond, x.x, f64(b, [-5], [])]),
    ));
  test('Cast float64 → float32 → float64', () =>
    checkGradients([{ name: 'x', dims: [2, 3] }], (b, x) => b.op('Cast', [b.op('Mul', [b.op('Cast', [x.x], { to: 1 }), b.constFloat32([3], [])])], { to: 11 }), {
      h: 1e-3,
      tol: 1e-4,
    }));
  test('ReduceMean (keepdims, as RMSNorm uses it)', () =>
    checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('ReduceMean', [x.x], { axes: [-1], keepdims: 1 })));
  test('ReduceMean over a symbolic axis, dropping it', () =>
    checkGradients([{ name: 'x', dims: [2, 3, 4], declared: [2, 'seq', 4] }], (b, x) => b.op('ReduceMean', [x.x], { axes: [1], keepdims: 0 })));
  test('ReduceSum', () =>
    checkGradients([{ name: 'x', dims: [2, 3, 4] }], (b, x) => b.op('ReduceSum', [x.x, b.constInt64([0, 2])], { keepdims: 0 })));

  const layerNorm = (b: GraphBuilder, x: Record<string, Value>): Value =>
    b.op('LayerNormalization', [x.x, x.scale, x.bias], { axis: -1, epsilon: { float: 1e-5 } });
  test('LayerNormalization', () =>
    checkGradients(
      [
        { name: 'x', dims: [2, 3, 6] },
        { name: 'scale', dims: [6] },
        { name: 'bias', dims: [6] },
      ],
      layerNorm,
    ));
  test('TopK mask as the SAE writes it (the k largest, ReLU\'d)', () =>
    checkGradients([{ name: 'x', dims: [3, 6] }], (b, x) => {
      const [values] = b.opN('TopK', [x.x, b.constInt64([2])], 2, { axis: -1, largest: 1, sorted: 1 });
      const kth = b.op('ReduceMin', [values], { axes: [-1], keepdims: 1 });
      return b.where(b.op('GreaterOrEqual', [x.x, kth]), b.op('Relu', [x.x]), f64(b, [0], [1]));
    }));
  test('RMSNorm as the builder writes it', () =>
    checkGradients([{ name: 'x', dims: [2, 3, 6] }, { name: 'w', dims: [6] }], (b, x) => {
      const ms = b.op('ReduceMean', [b.op('Mul', [x.x, x.x])], { axes: [-1], keepdims: 1 });
      const inv = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [ms, f64(b, [1e-6], [])])])]);
      return b.op('Mul', [b.op('Mul', [x.x, inv]), x.w]);
    }));
});

describe('gradients() with stopped values', () => {
  test('a stopped value is a constant: d/dx Σ x·stop(x) = x', async () => {
    const b = new GraphBuilder('float32');
    const x = b.input('x', 'float64', [4]);
    const held = b.op('Identity', [x]);
    const y = b.op('ReduceSum', [b.op('Mul', [x, held])], { keepdims: 0 });
    b.output(gradients(b, y, [x], { stop: [held] }).get(x)!, 'stopped', 'float64', [4]);
    b.output(gradients(b, y, [x]).get(x)!, 'full', 'float64', [4]);
    const { session } = await sessionFor(b, 'cpu');
    try {
      const data = Float64Array.from([0.5, -1, 2, 3]);
      const out = await session.run({ x: new ort.Tensor('float64', data, [4]) });
      assert.deepEqual(Array.from(out.stopped.data as Float64Array), Array.from(data));
      assert.deepEqual(Array.from(out.full.data as Float64Array), Array.from(data, (v) => 2 * v));
    } finally {
      await session.release();
    }
  });
});

describe('gradients() refuses what it cannot differentiate', () => {
  test('an op without a rule on the path is named', () => {
    const b = new GraphBuilder('float32');
    const x = b.input('x', 'float64', [2]);
    const y = b.op('ReduceSum', [b.op('Max', [x, f64(b, [0], [])])], { keepdims: 0 });
    assert.throws(() => gradients(b, y, [x]), /no gradient rule for op Max/);
  });
  test('integer values and non-scalar objectives without a seed', () => {
    const b = new GraphBuilder('float32');
    const ids = b.input('ids', 'int64', [2]);
    const x = b.input('x', 'float64', [2]);
    assert.throws(() => gradients(b, x, [ids]), /non-float/);
    assert.throws(() => gradients(b, b.op('Neg', [x]), [x]), /must be a scalar/);
  });
});
