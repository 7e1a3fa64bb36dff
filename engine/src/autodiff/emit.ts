/**
 * What a gradient rule writes with: ops appended to the builder (their shapes recorded so later
 * rules can reason about them), typed constants (shared, so a graph holds one `1.0` per type), and
 * `unbroadcast`, which sums a gradient back to the shape of an input that was broadcast.
 */
import type { AttrValue, ElemType, GraphBuilder, Value } from '../onnx/builder';
import { ShapeInfo, type SymDim } from './shapes';

export class Emitter {
  private readonly consts = new Map<string, Value>();

  constructor(
    readonly b: GraphBuilder,
    readonly shapes: ShapeInfo,
  ) {}

  op(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}): Value {
    return this.opN(op, inputs, 1, attrs)[0];
  }

  opN(op: string, inputs: Value[], nOut: number, attrs: Record<string, AttrValue> = {}): Value[] {
    const outs = this.b.opN(op, inputs, nOut, attrs);
    this.shapes.add(this.b.nodes[this.b.nodes.length - 1]);
    return outs;
  }

  type(v: Value): ElemType {
    return this.shapes.get(v).type;
  }

  dims(v: Value): SymDim[] {
    return this.shapes.get(v).dims;
  }

  /** A scalar float constant of `type`. */
  scalar(value: number, type: ElemType): Value {
    const key = `${type}:${value}`;
    let v = this.consts.get(key);
    if (!v) {
      const data = type === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
      v = this.b.initializer('const', type, [], data);
      this.shapes.addInitializer(this.b.initializers[this.b.initializers.length - 1]);
      this.consts.set(key, v);
    }
    return v;
  }

  ints(values: number[]): Value {
    const key = `i64:${values.join(',')}`;
    let v = this.consts.get(key);
    if (!v) {
      v = this.b.constInt64(values, [values.length], 'ints');
      this.shapes.addInitializer(this.b.initializers[this.b.initializers.length - 1]);
      this.consts.set(key, v);
    }
    return v;
  }

  add = (a: Value, b: Value) => this.op('Add', [a, b]);
  sub = (a: Value, b: Value) => this.op('Sub', [a, b]);
  mul = (a: Value, b: Value) => this.op('Mul', [a, b]);
  div = (a: Value, b: Value) => this.op('Div', [a, b]);
  neg = (a: Value) => this.op('Neg', [a]);
  shape = (a: Value) => this.op('Shape', [a]);

  cast(v: Value, to: ElemType): Value {
    const out = this.b.cast(v, to);
    this.shapes.add(this.b.nodes[this.b.nodes.length - 1]);
    return out;
  }

  /** Zeros shaped like `like`. */
  zerosLike(like: Value): Value {
    return this.op('Expand', [this.scalar(0, this.type(like)), this.shape(like)]);
  }

  /** Swaps the last two axes. */
  transposeLast(v: Value): Value {
    const r = this.dims(v).length;
    const perm = Array.from({ length: r }, (_, i) => i);
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return this.op('Transpose', [v], { perm });
  }

  /**
   * Sums `g` (the gradient of a broadcast result) down to `x`'s shape: over the leading axes x
   * lacks and over every axis where x has size 1. Decided at build time from the inferred dims;
   * where x has a dim unknown until run time, the axes are computed in the graph.
   */
  unbroadcast(g: Value, x: Value): Value {
    const gd = this.dims(g);
    const xd = this.dims(x);
    const lead = gd.length - xd.length;
    if (lead < 0) throw new Error(`autodiff: gradient of rank ${gd.length} for "${x}" of rank ${xd.length}`);
    if (xd.some((d) => d === null)) return this.unbroadcastDynamic(g, x, lead);
    const axes: number[] = [];
    for (let i = 0; i < gd.length; i++) {
      if (i < lead || (xd[i - lead] === 1 && gd[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return g;
    const summed = this.op('ReduceSum', [g, this.ints(axes)], { keepdims: 1 });
    return lead === 0 ? summed : this.op('Squeeze', [summed, this.ints(axes.slice(0, lead))]);
  }

  private unbroadcastDynamic(g: Value, x: Value, lead: number): Value {
    const xs = this.shape(x);
    const padded = lead === 0 ? xs : this.op('Concat', [this.ints(new Array(lead).fill(1)), xs], { axis: 0 });
    const ones = this.op('Equal', [padded, this.ints([1])]);
    const axes = this.op('Squeeze', [this.op('NonZero', [ones]), this.ints([0])]);
    const summed = this.op('ReduceSum', [g, axes], { keepdims: 1, noop_with_empty_axes: 1 });
    return this.op('Reshape', [summed, xs]);
  }
}
