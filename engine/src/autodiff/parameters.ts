/**
 * A model's parameters as one flat float32 vector in Hugging Face naming and order (what an
 * optimizer updates and a checkpoint stores), and where each element of each graph weight comes
 * from in it. Family adapters turn HF tensors into canonical weights by transposing, splitting and
 * sharing (tied embeddings); every canonical element is a copy of one HF element. So the graph
 * weights are a gather from the flat vector, and gradients go back by the adjoint, a scatter-add
 * (a tied embedding gets the sum of both uses).
 *
 * The gather indices are found by building the graph on parameters that hold their own flat
 * offsets: whatever the adapter and the builder do with the values, each graph weight element
 * then reads out where it came from.
 */
import { type Family, type ParamInfo } from '../arch/families';
import type { CanonicalWeights } from '../arch/canonical';
import type { ModelSpec } from '../arch/spec';
import type { Tensor } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { GraphBuilder } from '../onnx/builder';

export interface ParamSlot extends ParamInfo {
  /** Offset of the tensor's first element in the flat vector. */
  offset: number;
  size: number;
}

/** float32 holds integers exactly up to 2^24; offsets are encoded in two halves below that. */
const HALF = 1 << 16;

export class ParameterLayout {
  readonly slots: ParamSlot[];
  readonly size: number;
  private readonly byName: Map<string, ParamSlot>;

  constructor(
    readonly family: Family,
    readonly spec: ModelSpec,
  ) {
    let offset = 0;
    this.slots = family.parameters(spec).map((p) => {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const slot = { ...p, offset, size };
      offset += size;
      return slot;
    });
    this.size = offset;
    this.byName = new Map(this.slots.map((s) => [s.name, s]));
  }

  slot(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new IntrospectError(`no parameter of that name in a ${this.spec.modelType} model`, name);
    return s;
  }

  /** The flat vector from HF tensors (by name, shapes already checked by `canonicalWeights`). */
  flatten(tensors: Map<string, Tensor>): Float32Array {
    const flat = new Float32Array(this.size);
    for (const s of this.slots) {
      const t = tensors.get(s.name);
      if (!t) throw new IntrospectError('missing tensor', s.name);
      flat.set(t.data, s.offset);
    }
    return flat;
  }

  /** HF tensors viewing the flat vector (no copy). */
  tensors(flat: Float32Array): Map<string, Tensor> {
    return new Map(
      this.slots.map((s) => [s.name, { dtype: 'float32', shape: s.shape, data: flat.subarray(s.offset, s.offset + s.size) }]),
    );
  }

  canonical(flat: Float32Array): CanonicalWeights {
    const t = this.tensors(flat);
    return this.family.canonical(this.spec, (n) => t.get(n)!);
  }

  /**
   * For each graph weight `build` makes, the flat offset of every element. `build` must build
   * the same graph whatever the weight values are (true of the transformer builder).
   */
  sources(build: (b: GraphBuilder, w: CanonicalWeights) => void): Map<string, Int32Array> {
    if (this.size >= 2 ** 31) throw new IntrospectError(`${this.size} parameters: too many to train here`, 'model');
    const halves = [0, 1].map((k) => {
      const codes = new Float32Array(this.size);
      for (let i = 0; i < this.size; i++) codes[i] = k === 0 ? i % HALF : Math.floor(i / HALF);
      const b = new GraphBuilder('float32');
      build(b, this.canonical(codes));
      return new Map(b.initializers.filter((i) => b.weightNames.has(i.name)).map((i) => [i.name, i.data as Float32Array]));
    });
    const out = new Map<string, Int32Array>();
    for (const [name, lo] of halves[0]) {
      const hi = halves[1].get(name)!;
      out.set(name, Int32Array.from(lo, (l, j) => hi[j] * HALF + l));
    }
    return out;
  }
}

/** dst[j] = flat[src[j]]: a graph weight's values from the flat vector. */
export function gatherInto(dst: Float32Array, flat: Float32Array, src: Int32Array): Float32Array {
  for (let j = 0; j < src.length; j++) dst[j] = flat[src[j]];
  return dst;
}

/** flat[src[j]] += g[j]: a graph weight's gradient added into the flat gradient. */
export function scatterAdd(flat: Float32Array, g: Float32Array, src: Int32Array): void {
  for (let j = 0; j < src.length; j++) flat[src[j]] += g[j];
}
