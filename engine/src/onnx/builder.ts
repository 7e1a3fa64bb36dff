/**
 * A small typed builder over the ONNX protobuf. Nodes, weights and hook points get scoped names
 * (`blocks.3.attn.q`), so a graph reads like the module tree it came from. The node list is kept
 * as plain records (not only protobuf) because autodiff walks it to emit gradient graphs.
 */
import { onnx } from 'onnx-proto';
import { float32ArrayToFloat16 } from '../checkpoint/halfFloat';

/** A tensor in the graph, by name. */
export type Value = string;

export type ElemType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool';

const ELEM: Record<ElemType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

export interface NodeRecord {
  op: string;
  inputs: Value[];
  outputs: Value[];
  attrs: Record<string, AttrValue>;
  name: string;
}

export interface ValueInfo {
  name: Value;
  type: ElemType;
  shape: Dim[];
}

export interface Initializer {
  name: Value;
  type: ElemType;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

/** Initializers at least this large go to the external weights file. */
const EXTERNAL_MIN_BYTES = 1024;
const OPSET = 17;

export class GraphBuilder {
  readonly nodes: NodeRecord[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  /** Names of the initializers made by `weight()` (model parameters, as opposed to constants). */
  readonly weightNames = new Set<Value>();
  private readonly scopes: string[] = [];
  private readonly used = new Set<string>();

  /** `dtype`: the compute type weights are stored in and activations flow in. */
  constructor(readonly dtype: 'float32' | 'float16') {}

  /** Runs `fn` with `name` pushed onto the scope, so names made inside are prefixed with it. */
  scope<T>(name: string | number, fn: () => T): T {
    this.scopes.push(String(name));
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A fresh name under the current scope. */
  name(base: string): Value {
    const full = [...this.scopes, base].join('.');
    let n = full;
    for (let i = 1; this.used.has(n); i++) n = `${full}_${i}`;
    this.used.add(n);
    return n;
  }

  input(name: string, type: ElemType, shape: Dim[]): Value {
    this.used.add(name);
    this.inputs.push({ name, type, shape });
    return name;
  }

  /** Declares `v` a graph output called `name` (through an Identity when the names differ). */
  output(v: Value, name: string, type: ElemType, shape: Dim[]): Value {
    if (v !== name) {
      this.used.add(name);
      this.nodes.push({ op: 'Identity', inputs: [v], outputs: [name], attrs: {}, name: `${name}.identity` });
    }
    this.outputs.push({ name, type, shape });
    return name;
  }

  /** A weight in the compute dtype (converted from float32). */
  weight(base: string, dims: number[], data: Float32Array): Value {
    const name = this.initializer(base, this.dtype, dims, data);
    this.weightNames.add(name);
    return name;
  }

  initializer(base: string, type: ElemType, dims: number[], data: Initializer['data']): Value {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`initializer ${base}: ${data.length} values for shape [${dims}]`);
    const name = this.name(base);
    this.initializers.push({ name, type, dims, data });
    return name;
  }

  /** A small constant in the compute dtype. */
  constant(values: number[] | Float32Array, dims: number[] = [values.length], base = 'const'): Value {
    return this.initializer(base, this.dtype, dims, Float32Array.from(values));
  }

  constFloat32(values: number[] | Float32Array, dims: number[] = [values.length], base = 'const'): Value {
    return this.initializer(base, 'float32', dims, Float32Array.from(values));
  }

  constInt64(values: number[], dims: number[] = [values.length], base = 'shape'): Value {
    return this.initializer(base, 'int64', dims, BigInt64Array.from(values.map(BigInt)));
  }

  /** Adds a node with one output. */
  op(op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}, base?: string): Value {
    return this.opN(op, inputs, 1, attrs, base)[0];
  }

  opN(op: string, inputs: Value[], nOut: number, attrs: Record<string, AttrValue> = {}, base?: string): Value[] {
    const stem = base ?? op.toLowerCase();
    const outputs = Array.from({ length: nOut }, (_, i) => this.name(nOut === 1 ? stem : `${stem}.${i}`));
    this.nodes.push({ op, inputs, outputs, attrs, name: `${outputs[0]}.node` });
    return outputs;
  }

  // Thin typed wrappers for the ops the transformer builders use.
  matmul = (a: Value, b: Value, n?: string) => this.op('MatMul', [a, b], {}, n);
  add = (a: Value, b: Value, n?: string) => this.op('Add', [a, b], {}, n);
  sub = (a: Value, b: Value, n?: string) => this.op('Sub', [a, b], {}, n);
  mul = (a: Value, b: Value, n?: string) => this.op('Mul', [a, b], {}, n);
  div = (a: Value, b: Value, n?: string) => this.op('Div', [a, b], {}, n);
  neg = (a: Value) => this.op('Neg', [a]);
  reshape = (a: Value, shape: number[], n?: string) => this.op('Reshape', [a, this.constInt64(shape)], {}, n);
  transpose = (a: Value, perm: number[], n?: string) => this.op('Transpose', [a], { perm }, n);
  unsqueeze = (a: Value, axes: number[]) => this.op('Unsqueeze', [a, this.constInt64(axes, [axes.length], 'axes')]);
  concat = (vs: Value[], axis: number, n?: string) => this.op('Concat', vs, { axis }, n);
  softmax = (a: Value, axis = -1) => this.op('Softmax', [a], { axis });
  where = (cond: Value, x: Value, y: Value, n?: string) => this.op('Where', [cond, x, y], {}, n);
  cast = (a: Value, to: ElemType) => this.op('Cast', [a], { to: ELEM[to] }, 'cast');
  gather = (data: Value, idx: Value, axis = 0, n?: string) => this.op('Gather', [data, idx], { axis }, n);
  /** Slice along one axis, [start, end). */
  slice = (a: Value, axis: number, start: number, end: number) =>
    this.op('Slice', [a, this.constInt64([start]), this.constInt64([end]), this.constInt64([axis])]);

  /**
   * The ONNX model, with large initializers pointing into `weightsFile`, whose contents are returned
   * as `weights` chunks (a model's weights can exceed what one Buffer or one write can hold).
   */
  serialize(weightsFile: string): { model: Uint8Array; weights: Buffer[] } {
    const chunks: Buffer[] = [];
    let offset = 0;
    const tensors = this.initializers.map((init) => {
      const raw = rawBytes(init);
      const t: onnx.ITensorProto = { name: init.name, dims: init.dims, dataType: ELEM[init.type] };
      if (raw.length >= EXTERNAL_MIN_BYTES) {
        const pad = (64 - (offset % 64)) % 64; // aligned so the runtime can map weights directly
        if (pad) chunks.push(Buffer.alloc(pad));
        offset += pad;
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        t.externalData = [
          { key: 'location', value: weightsFile },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(raw.length) },
        ];
        chunks.push(raw);
        offset += raw.length;
      } else {
        t.rawData = raw;
      }
      return t;
    });
    const model: onnx.IModelProto = {
      irVersion: 8,
      producerName: 'introspect',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'introspect',
        node: this.nodes.map(nodeProto),
        input: this.inputs.map(valueInfoProto),
        output: this.outputs.map(valueInfoProto),
        initializer: tensors,
      },
    };
    return { model: onnx.ModelProto.encode(model).finish(), weights: chunks };
  }
}

function rawBytes(init: Initializer): Buffer {
  if (init.type === 'float16') {
    return Buffer.from(float32ArrayToFloat16(init.data as Float32Array).buffer);
  }
  const d = init.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

function valueInfoProto(v: ValueInfo): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function nodeProto(n: NodeRecord): onnx.INodeProto {
  const attribute = Object.entries(n.attrs).map(([name, v]): onnx.IAttributeProto => {
    const T = onnx.AttributeProto.AttributeType;
    if (typeof v === 'number') return { name, type: T.INT, i: v };
    if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
    if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
    if ('float' in v) return { name, type: T.FLOAT, f: v.float };
    return { name, type: T.FLOATS, floats: v.floats };
  });
  return { opType: n.op, input: n.inputs, output: n.outputs, name: n.name, attribute };
}
