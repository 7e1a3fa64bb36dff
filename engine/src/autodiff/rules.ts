/**
 * The backward rule of every differentiable op the graph builders use, one table. A rule gets the
 * forward node and the gradients of its outputs (undefined where an output got none) and returns
 * the gradients of its inputs (undefined where an input needs none). It only emits work for inputs
 * `needs` says are on a path from a differentiated weight or activation to the objective.
 *
 * Ops whose outputs are integers or booleans (Shape, Range, LessOrEqual, And, Not, integer Max and
 * CumSum, ...) never carry gradient, so they need no rule; Cos and Sin carry one only when their
 * input does (rotary tables are computed from positions, so in practice they do not).
 */
import { IntrospectError } from '../errors';
import type { NodeRecord, Value } from '../onnx/builder';
import type { Emitter } from './emit';
import { norm } from './shapes';

export type Grads = (Value | undefined)[];

export interface RuleContext {
  e: Emitter;
  /** Whether input `v` needs a gradient. */
  needs(v: Value): boolean;
}

export type Rule = (c: RuleContext, n: NodeRecord, dOut: Grads) => Grads;

/** Runs `f` only for inputs that need a gradient. */
const when = (c: RuleContext, v: Value | undefined, f: () => Value): Value | undefined => (v && c.needs(v) ? f() : undefined);

/** Rules for unary ops whose gradient is dY times a factor of x and y. */
const unary =
  (factor: (e: Emitter, x: Value, y: Value) => Value): Rule =>
  (c, n, [g]) => [when(c, n.inputs[0], () => c.e.mul(g!, factor(c.e, n.inputs[0], n.outputs[0])))];

export const RULES: Record<string, Rule> = {
  Identity: (c, n, [g]) => [when(c, n.inputs[0], () => g!)],
  Neg: (c, n, [g]) => [when(c, n.inputs[0], () => c.e.neg(g!))],

  Add: (c, { inputs: [a, b] }, [g]) => [
    when(c, a, () => c.e.unbroadcast(g!, a)),
    when(c, b, () => c.e.unbroadcast(g!, b)),
  ],
  Sub: (c, { inputs: [a, b] }, [g]) => [
    when(c, a, () => c.e.unbroadcast(g!, a)),
    when(c, b, () => c.e.unbroadcast(c.e.neg(g!), b)),
  ],
  Mul: (c, { inputs: [a, b] }, [g]) => [
    when(c, a, () => c.e.unbroadcast(c.e.mul(g!, b), a)),
    when(c, b, () => c.e.unbroadcast(c.e.mul(g!, a), b)),
  ],
  Div: (c, { inputs: [a, b], outputs: [y] }, [g]) => [
    when(c, a, () => c.e.unbroadcast(c.e.div(g!, b), a)),
    // d(a/b)/db = -a/b² = -y/b
    when(c, b, () => c.e.unbroadcast(c.e.neg(c.e.mul(g!, c.e.div(y, b))), b)),
  ],

  MatMul: (c, { inputs: [a, b] }, [g]) => {
    const e = c.e;
    const ra = e.dims(a).length;
    const rb = e.dims(b).length;
    if (ra < 2 || rb < 2) throw new IntrospectError('autodiff: MatMul with a vector operand is not supported', a);
    return [
      when(c, a, () => e.unbroadcast(e.op('MatMul', [g!, e.transposeLast(b)]), a)),
      when(c, b, () => {
        // A weight [K,N] applied to a batch [...,M,K]: one matmul over all batch rows.
        if (rb === 2 && ra > 2) {
          const a2 = e.op('Flatten', [a], { axis: ra - 1 });
          const g2 = e.op('Flatten', [g!], { axis: ra - 1 });
          return e.op('MatMul', [e.op('Transpose', [a2], { perm: [1, 0] }), g2]);
        }
        return e.unbroadcast(e.op('MatMul', [e.transposeLast(a), g!]), b);
      }),
    ];
  },

  Reshape: (c, { inputs: [x] }, [g]) => [when(c, x, () => c.e.op('Reshape', [g!, c.e.shape(x)]))],
  Flatten: (c, { inputs: [x] }, [g]) => [when(c, x, () => c.e.op('Reshape', [g!, c.e.shape(x)]))],
  Transpose: (c, n, [g]) => {
    const perm = n.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [when(c, n.inputs[0], () => c.e.op('Transpose', [g!], { perm: inv }))];
  },
  Unsqueeze: (c, { inputs: [x, axes] }, [g]) => [when(c, x, () => c.e.op('Squeeze', [g!, axes]))],
  Squeeze: (c, { inputs: [x, axes] }, [g]) => [when(c, x, () => c.e.op('Unsqueeze', [g!, axes]))],
  Expand: (c, { inputs: [x] }, [g]) => [when(c, x, () => c.e.unbroadcast(g!, x))],

  Concat: (c, n, [g]) => {
    const e = c.e;
    if (!n.inputs.some((v) => c.needs(v))) return [];
    const axis = norm(n.attrs.axis as number, e.dims(n.inputs[0]).length);
    const sizes = n.inputs.map((v) => e.dims(v)[axis]);
    const split = sizes.every((d): d is number => typeof d === 'number')
      ? e.ints(sizes)
      : e.op('Concat', n.inputs.map((v) => e.op('Gather', [e.shape(v), e.ints([axis])], { axis: 0 })), { axis: 0 });
    const parts = e.opN('Split', [g!, split], n.inputs.length, { axis });
    return n.inputs.map((v, i) => (c.needs(v) ? parts[i] : undefined));
  },

  Slice: (c, { inputs: [x, startsV, endsV, axesV, stepsV] }, [g]) => [
    when(c, x, () => {
      const e = c.e;
      const r = e.dims(x).length;
      const starts = e.shapes.constInts(startsV);
      const axes = axesV ? e.shapes.constInts(axesV) : Array.from({ length: r }, (_, i) => i);
      const steps = stepsV ? e.shapes.constInts(stepsV) : undefined;
      if (!starts || !axes || steps?.some((s) => s !== 1))
        throw new IntrospectError('autodiff: Slice needs constant starts/axes and unit steps', x);
      // The gradient is g padded with zeros back to x's shape: `start` before, the rest after.
      const xd = e.dims(x);
      const gd = e.dims(g!);
      const begin = new Array(r).fill(0);
      axes.forEach((ax, k) => {
        const i = norm(ax, r);
        const d = xd[i];
        begin[i] = typeof d === 'number' ? Math.max(0, Math.min(d, starts[k] < 0 ? starts[k] + d : starts[k])) : starts[k];
        if (begin[i] < 0) throw new IntrospectError('autodiff: Slice with a negative start on a dynamic axis', x);
      });
      const endStatic = xd.map((d, i) => {
        const o = gd[i];
        return typeof d === 'number' && typeof o === 'number' ? d - begin[i] - o : undefined;
      });
      let pads: Value;
      if (endStatic.every((v) => v !== undefined)) pads = e.ints([...begin, ...(endStatic as number[])]);
      else {
        const after = e.sub(e.sub(e.shape(x), e.shape(g!)), e.ints(begin)); // per axis: dim - out - begin
        pads = e.op('Concat', [e.ints(begin), after], { axis: 0 });
      }
      return e.op('Pad', [g!, pads]);
    }),
  ],

  Gather: (c, n, [g]) => {
    const [data, idx] = n.inputs;
    return [
      when(c, data, () => {
        const e = c.e;
        const r = e.dims(data).length;
        const axis = norm((n.attrs.axis as number) ?? 0, r);
        // Rows gathered several times (a token repeated in the batch) accumulate.
        const index = e.op('Unsqueeze', [idx, e.ints([-1])]);
        if (axis === 0) return e.op('ScatterND', [e.zerosLike(data), index, g!], { reduction: 'add' });
        // Along another axis: scatter with that axis moved to the front (g's index dims likewise), then back.
        const q = e.dims(idx).length;
        const front = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
        const gFront = [...Array.from({ length: q }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: r - axis - 1 }, (_, i) => axis + q + i)];
        const moved = e.op('Transpose', [data], { perm: front });
        const scattered = e.op('ScatterND', [e.zerosLike(moved), index, e.op('Transpose', [g!], { perm: gFront })], { reduction: 'add' });
        const back = front.map((_, i) => front.indexOf(i));
        return e.op('Transpose', [scattered], { perm: back });
      }),
    ];
  },
  GatherElements: (c, n, [g]) => {
    const [data, idx] = n.inputs;
    return [
      when(c, data, () =>
        c.e.op('ScatterElements', [c.e.zerosLike(data), idx, g!], { axis: (n.attrs.axis as number) ?? 0, reduction: 'add' }),
      ),
    ];
  },

  Where: (c, { inputs: [cond, x, y] }, [g]) => {
    const e = c.e;
    const zero = () => e.scalar(0, e.type(g!));
    return [
      undefined,
      when(c, x, () => e.unbroadcast(e.op('Where', [cond, g!, zero()]), x)),
      when(c, y, () => e.unbroadcast(e.op('Where', [cond, zero(), g!]), y)),
    ];
  },

  Cast: (c, { inputs: [x] }, [g]) => [when(c, x, () => c.e.cast(g!, c.e.type(x)))],

  Softmax: (c, n, [g]) => [
    when(c, n.inputs[0], () => {
      const e = c.e;
      const y = n.outputs[0];
      const axis = norm((n.attrs.axis as number) ?? -1, e.dims(y).length);
      const gy = e.mul(g!, y);
      return e.sub(gy, e.mul(y, e.op('ReduceSum', [gy, e.ints([axis])], { keepdims: 1 })));
    }),
  ],
  LogSoftmax: (c, n, [g]) => [
    when(c, n.inputs[0], () => {
      const e = c.e;
      const y = n.outputs[0];
      const axis = norm((n.attrs.axis as number) ?? -1, e.dims(y).length);
      return e.sub(g!, e.mul(e.op('Exp', [y]), e.op('ReduceSum', [g!, e.ints([axis])], { keepdims: 1 })));
    }),
  ],

  ReduceMean: (c, n, [g]) => [when(c, n.inputs[0], () => reduceGrad(c.e, n, g!, true))],
  ReduceSum: (c, n, [g]) => [when(c, n.inputs[0], () => reduceGrad(c.e, n, g!, false))],

  Reciprocal: unary((e, _x, y) => e.neg(e.mul(y, y))),
  Sqrt: (c, { inputs: [x], outputs: [y] }, [g]) => [when(c, x, () => c.e.div(g!, c.e.add(y, y)))],
  Exp: unary((_e, _x, y) => y),
  Log: (c, { inputs: [x] }, [g]) => [when(c, x, () => c.e.div(g!, x))],
  Relu: unary((e, _x, y) => e.cast(e.op('Greater', [y, e.scalar(0, e.type(y))]), e.type(y))),
  Sigmoid: unary((e, _x, y) => e.sub(y, e.mul(y, y))),
  Tanh: unary((e, _x, y) => e.sub(e.scalar(1, e.type(y)), e.mul(y, y))),
  Erf: unary((e, x) => e.mul(e.scalar(2 / Math.sqrt(Math.PI), e.type(x)), e.op('Exp', [e.neg(e.mul(x, x))]))),
  Cos: unary((e, x) => e.neg(e.op('Sin', [x]))),
  Sin: unary((e, x) => e.op('Cos', [x])),

  LayerNormalization: (c, n, [g]) => {
    const e = c.e;
    const [x, scale, bias] = n.inputs;
    const r = e.dims(x).length;
    const axis = norm((n.attrs.axis as number) ?? -1, r);
    const eps = (n.attrs.epsilon as { float: number } | undefined)?.float ?? 1e-5;
    const axes = Array.from({ length: r - axis }, (_, i) => axis + i);
    const mean = (v: Value) => e.op('ReduceMean', [v], { axes, keepdims: 1 });
    // Recomputed rather than read from the forward node, so the forward graph stays as built.
    const xc = e.sub(x, mean(x));
    const inv = e.op('Reciprocal', [e.op('Sqrt', [e.add(mean(e.mul(xc, xc)), e.scalar(eps, e.type(x)))])]);
    const xhat = e.mul(xc, inv);
    return [
      when(c, x, () => {
        const dxhat = e.mul(g!, scale);
        return e.mul(inv, e.sub(e.sub(dxhat, mean(dxhat)), e.mul(xhat, mean(e.mul(dxhat, xhat)))));
      }),
      when(c, scale, () => e.unbroadcast(e.mul(g!, xhat), scale)),
      when(c, bias, () => e.unbroadcast(g!, bias)),
    ];
  },
};

/** ReduceSum / ReduceMean: the gradient spread back over the reduced axes (divided by their size for a mean). */
function reduceGrad(e: Emitter, n: NodeRecord, g: Value, mean: boolean): Value {
  const x = n.inputs[0];
  const xd = e.dims(x);
  const r = xd.length;
  const axesList = (n.attrs.axes as number[] | undefined) ?? (n.inputs[1] ? e.shapes.constInts(n.inputs[1]) : undefined);
  const axes = (axesList ?? xd.map((_, i) => i)).map((a) => norm(a, r));
  const keep = (n.attrs.keepdims as number | undefined) ?? 1;
  const gk = keep ? g : e.op('Unsqueeze', [g, e.ints(axes)]);
  const spread = e.op('Expand', [gk, e.shape(x)]);
  if (!mean) return spread;
  const counts = axes.map((a) => xd[a]);
  if (counts.every((d): d is number => typeof d === 'number'))
    return e.mul(spread, e.scalar(1 / counts.reduce((p, d) => p * d, 1), e.type(x)));
  const size = (v: Value) => e.cast(e.op('Size', [v]), e.type(x));
  const ratio = e.div(size(n.outputs[0]), size(x));
  return e.mul(spread, ratio);
}
