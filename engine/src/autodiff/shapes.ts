/**
 * Static type and shape inference over a builder's node list, as far as autodiff needs it: the
 * element type of every value (gradient constants must match it) and its dims, each a number, a
 * symbol ('batch', 'seq') or null when not known before run time. Gradient rules use dims to
 * decide, at build time, which axes a broadcast gradient must be summed over; where a dim is
 * unknown they fall back to computing that at run time.
 */
import type { Dim, ElemType, GraphBuilder, Initializer, NodeRecord, Value } from '../onnx/builder';

export type SymDim = number | string | null;

export interface ValueInfo {
  type: ElemType;
  dims: SymDim[];
}

const TYPE_BY_ONNX: Record<number, ElemType> = { 1: 'float32', 10: 'float16', 11: 'float64', 7: 'int64', 6: 'int32', 9: 'bool' };

export const isFloat = (t: ElemType) => t === 'float32' || t === 'float16' || t === 'float64';

export class ShapeInfo {
  private readonly info = new Map<Value, ValueInfo>();
  private readonly inits = new Map<Value, Initializer>();
  private unknown = 0;

  constructor(b: GraphBuilder) {
    for (const i of b.inputs) this.info.set(i.name, { type: i.type, dims: i.shape.map((d: Dim) => d) });
    for (const i of b.initializers) {
      this.inits.set(i.name, i);
      this.info.set(i.name, { type: i.type, dims: [...i.dims] });
    }
    for (const n of b.nodes) this.add(n);
  }

  get(v: Value): ValueInfo {
    const i = this.info.get(v);
    if (!i) throw new Error(`autodiff: no type/shape known for value "${v}"`);
    return i;
  }

  has(v: Value): boolean {
    return this.info.has(v);
  }

  rank(v: Value): number {
    return this.get(v).dims.length;
  }

  /** The integer values of a constant (initializer) input, e.g. a Reshape's target shape. */
  constInts(v: Value): number[] | undefined {
    const i = this.inits.get(v);
    if (!i || (i.type !== 'int64' && i.type !== 'int32')) return undefined;
    return Array.from(i.data as BigInt64Array | Int32Array, Number);
  }

  /** Records a node (the forward graph's, or one autodiff emits) so later rules can ask about its outputs. */
  add(n: NodeRecord): void {
    const outs = this.infer(n);
    n.outputs.forEach((o, k) => {
      if (o) this.info.set(o, outs[k] ?? { type: outs[0].type, dims: this.fresh(outs[0].dims.length) });
    });
  }

  /** Registers a value made outside the node list (an initializer added later, a graph input). */
  set(v: Value, info: ValueInfo): void {
    this.info.set(v, info);
  }

  addInitializer(i: Initializer): void {
    this.inits.set(i.name, i);
    this.info.set(i.name, { type: i.type, dims: [...i.dims] });
  }

  private fresh(rank: number): SymDim[] {
    return Array.from({ length: rank }, () => null);
  }

  private infer(n: NodeRecord): ValueInfo[] {
    const inp = n.inputs.map((v) => (v ? this.info.get(v) : undefined));
    const x = inp[0];
    const need = () => {
      if (!x) throw new Error(`autodiff: ${n.op} node ${n.name} has an input of unknown shape`);
      return x;
    };
    const same = (): ValueInfo[] => [{ type: need().type, dims: [...need().dims] }];
    const a = n.attrs;
    switch (n.op) {
      case 'Identity':
      case 'Neg':
      case 'Reciprocal':
      case 'Sqrt':
      case 'Sigmoid':
      case 'Erf':
      case 'Tanh':
      case 'Exp':
      case 'Log':
      case 'Cos':
      case 'Sin':
      case 'Abs':
      case 'Relu':
      case 'Softmax':
      case 'LogSoftmax':
      case 'CumSum':
      case 'Not':
        return same();
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Max':
      case 'Min':
      case 'Pow':
      case 'Sum':
        return [{ type: need().type, dims: broadcast(inp.map((i) => i!.dims)) }];
      case 'Equal':
      case 'Less':
      case 'LessOrEqual':
      case 'Greater':
      case 'GreaterOrEqual':
      case 'And':
      case 'Or':
        return [{ type: 'bool', dims: broadcast(inp.map((i) => i!.dims)) }];
      case 'Where':
        return [{ type: inp[1]!.type, dims: broadcast(inp.map((i) => i!.dims)) }];
      case 'Cast':
        return [{ type: TYPE_BY_ONNX[a.to as number], dims: [...need().dims] }];
      case 'Shape':
        return [{ type: 'int64', dims: [need().dims.length] }];
      case 'Size':
        return [{ type: 'int64', dims: [] }];
      case 'NonZero':
        return [{ type: 'int64', dims: [need().dims.length, null] }];
      case 'Flatten': {
        const axis = norm((a.axis as number) ?? 1, need().dims.length);
        const prod = (ds: SymDim[]) => ds.reduce<SymDim>((p, d) => (typeof p === 'number' && typeof d === 'number' ? p * d : ds.length === 1 ? d : null), 1);
        return [{ type: need().type, dims: [prod(need().dims.slice(0, axis)), prod(need().dims.slice(axis))] }];
      }
      case 'Range':
        return [{ type: need().type, dims: [null] }];
      case 'ConstantOfShape': {
        const s = this.constInts(n.inputs[0]);
        return [{ type: 'float32', dims: s ?? this.fresh(need().dims[0] as number) }];
      }
      case 'MatMul': {
        const [A, B] = [need().dims, inp[1]!.dims];
        const batch = broadcast([A.slice(0, -2), B.slice(0, -2)]);
        return [{ type: need().type, dims: [...batch, A[A.length - 2], B[B.length - 1]] }];
      }
      case 'Transpose': {
        const perm = a.perm as number[];
        return [{ type: need().type, dims: perm.map((p) => need().dims[p]) }];
      }
      case 'Reshape':
        return [{ type: need().type, dims: reshapeDims(need().dims, this.constInts(n.inputs[1]), this.rankOfShape(n.inputs[1])) }];
      case 'Unsqueeze': {
        const axes = this.constInts(n.inputs[1]) ?? [];
        const r = need().dims.length + axes.length;
        const norm = axes.map((ax) => (ax < 0 ? ax + r : ax));
        const out: SymDim[] = [];
        let k = 0;
        for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : need().dims[k++]);
        return [{ type: need().type, dims: out }];
      }
      case 'Squeeze': {
        const axes = (this.constInts(n.inputs[1]) ?? []).map((ax) => (ax < 0 ? ax + need().dims.length : ax));
        return [{ type: need().type, dims: need().dims.filter((_, i) => !axes.includes(i)) }];
      }
      case 'Concat': {
        const r = need().dims.length;
        const axis = norm(a.axis as number, r);
        const dims = [...need().dims];
        dims[axis] = sumDims(inp.map((i) => i!.dims[axis]));
        return [{ type: need().type, dims }];
      }
      case 'Split': {
        const r = need().dims.length;
        const axis = norm((a.axis as number) ?? 0, r);
        const sizes = n.inputs[1] ? this.constInts(n.inputs[1]) : undefined;
        return n.outputs.map((_, k) => {
          const dims = [...need().dims];
          dims[axis] = sizes ? sizes[k] : null;
          return { type: need().type, dims };
        });
      }
      case 'Slice': {
        const dims = [...need().dims];
        const starts = this.constInts(n.inputs[1]);
        const ends = this.constInts(n.inputs[2]);
        const axes = n.inputs[3] ? this.constInts(n.inputs[3]) : dims.map((_, i) => i);
        (axes ?? dims.map((_, i) => i)).forEach((ax, k) => {
          const i = norm(ax, dims.length);
          dims[i] = starts && ends ? sliceLen(dims[i], starts[k], ends[k]) : null;
        });
        return [{ type: need().type, dims }];
      }
      case 'Pad': {
        const pads = this.constInts(n.inputs[1]);
        const r = need().dims.length;
        const dims = need().dims.map((d, i) => (pads && typeof d === 'number' ? d + pads[i] + pads[i + r] : null));
        return [{ type: need().type, dims }];
      }
      case 'Gather': {
        const r = need().dims.length;
        const axis = norm((a.axis as number) ?? 0, r);
        const idx = inp[1]!.dims;
        return [{ type: need().type, dims: [...need().dims.slice(0, axis), ...idx, ...need().dims.slice(axis + 1)] }];
      }
      case 'GatherElements':
        return [{ type: need().type, dims: [...inp[1]!.dims] }];
      case 'TopK': {
        const dims = [...need().dims];
        const k = this.constInts(n.inputs[1]);
        dims[norm((a.axis as number) ?? -1, dims.length)] = k ? k[0] : null;
        return [
          { type: need().type, dims },
          { type: 'int64', dims: [...dims] },
        ];
      }
      case 'ScatterND':
      case 'ScatterElements':
        return same();
      case 'OneHot': {
        const depth = this.constInts(n.inputs[1]);
        const axis = (a.axis as number) ?? -1;
        const dims = [...need().dims];
        dims.splice(axis < 0 ? dims.length + 1 + axis : axis, 0, depth ? depth[0] : null);
        return [{ type: inp[2]!.type, dims }];
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin': {
        const r = need().dims.length;
        const axes = (a.axes as number[] | undefined) ?? (n.inputs[1] ? this.constInts(n.inputs[1]) : undefined);
        const keep = (a.keepdims as number | undefined) ?? 1;
        if (!axes) return [{ type: need().type, dims: keep ? need().dims.map(() => null) : this.fresh(0) }];
        const ax = axes.map((v) => norm(v, r));
        const dims = keep ? need().dims.map((d, i) => (ax.includes(i) ? 1 : d)) : need().dims.filter((_, i) => !ax.includes(i));
        return [{ type: need().type, dims }];
      }
      case 'Expand': {
        const s = this.constInts(n.inputs[1]);
        const target: SymDim[] = s ? s.map((d) => d) : this.fresh(this.rankOfShape(n.inputs[1]));
        return [{ type: need().type, dims: broadcast([need().dims, target]) }];
      }
      case 'LayerNormalization': {
        const axis = norm((a.axis as number) ?? -1, need().dims.length);
        const stat = need().dims.map((d, i) => (i < axis ? d : 1));
        return [same()[0], { type: 'float32', dims: stat }, { type: 'float32', dims: [...stat] }];
      }
      default:
        throw new Error(`autodiff: no shape rule for op ${n.op} (node ${n.name})`);
    }
  }

  private rankOfShape(v: Value): number {
    const d = this.get(v).dims[0];
    if (typeof d !== 'number') throw new Error(`autodiff: shape input "${v}" has unknown length`);
    return d;
  }
}

export function norm(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Numpy broadcasting of symbolic dims (a known dim wins over an unknown one, which is then 1 or equal). */
export function broadcast(shapes: SymDim[][]): SymDim[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: SymDim[] = [];
  for (let i = 0; i < r; i++) {
    let d: SymDim = 1;
    for (const s of shapes) {
      const e = s[i - (r - s.length)];
      if (e === undefined || e === 1) continue;
      if (d === 1 || d === null) d = e;
    }
    out.push(d);
  }
  return out;
}

function sumDims(ds: SymDim[]): SymDim {
  if (ds.every((d): d is number => typeof d === 'number')) return ds.reduce((a, b) => a + b, 0);
  return null;
}

function sliceLen(d: SymDim, start: number, end: number): SymDim {
  if (typeof d !== 'number') return start === 0 && end >= 2 ** 62 ? d : null;
  const clamp = (v: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
  return Math.max(0, clamp(end) - clamp(start));
}

/** Reshape's output dims: 0 copies the input dim, -1 is solved symbolically when it can be. */
function reshapeDims(input: SymDim[], target: number[] | undefined, rank: number): SymDim[] {
  if (!target) return Array.from({ length: rank }, () => null);
  const out: SymDim[] = target.map((t, i) => (t === 0 ? input[i] : t === -1 ? null : t));
  const free = target.indexOf(-1);
  if (free < 0) return out;
  // Solve -1 = product(input) / product(other outputs), as a numeric factor times symbols.
  let num = 1;
  const syms: string[] = [];
  for (const d of input) {
    if (d === null) return out;
    if (typeof d === 'number') num *= d;
    else syms.push(d);
  }
  for (let i = 0; i < out.length; i++) {
    if (i === free) continue;
    const d = out[i];
    if (d === null) return out;
    if (typeof d === 'number') num /= d;
    else {
      const k = syms.indexOf(d);
      if (k < 0) return out;
      syms.splice(k, 1);
    }
  }
  if (syms.length === 0 && Number.isInteger(num)) out[free] = num;
  else if (syms.length === 1 && num === 1) out[free] = syms[0];
  return out;
}
