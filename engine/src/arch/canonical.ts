/**
 * Canonical weights: one layout for every family, in the orientation the graph multiplies by
 * (x @ W, W as [in, out]). Each family adapter maps Hugging Face tensors to these names.
 */
import type { Tensor } from '../checkpoint/safetensors';

export interface LayerWeights {
  ln1: Norm;
  ln2: Norm;
  q: Linear; // [d_model, n_heads * d_head]
  k: Linear; // [d_model, n_kv_heads * d_head]
  v: Linear;
  o: Linear; // [n_heads * d_head, d_model]
  qNorm?: Float32Array; // [d_head]
  kNorm?: Float32Array;
  gate?: Linear; // [d_model, d_mlp], gated MLPs only
  up: Linear; // [d_model, d_mlp]
  down: Linear; // [d_mlp, d_model]
}

export interface Norm {
  w: Float32Array;
  b?: Float32Array;
}

export interface Linear {
  w: Float32Array;
  b?: Float32Array;
  inDim: number;
  outDim: number;
}

export interface CanonicalWeights {
  embed: Float32Array; // [vocab, d_model]
  pos?: Float32Array; // [max_positions, d_model], learned positions only
  layers: LayerWeights[];
  finalNorm: Norm;
  unembed: Linear; // [d_model, vocab]
}

/** HF Linear stores [out, in]; transpose to [in, out]. */
export function transpose(t: Tensor): Float32Array {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return out;
}

/** Columns [start, start + n) of a row-major [rows, cols] matrix. */
export function columns(data: Float32Array, rows: number, cols: number, start: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + start, r * cols + start + n), r * n);
  return out;
}

/** Gathers the given index ranges [start, start + n) of a vector, concatenated. */
export function ranges(data: Float32Array, parts: Array<[number, number]>): Float32Array {
  const out = new Float32Array(parts.reduce((a, [, n]) => a + n, 0));
  let o = 0;
  for (const [s, n] of parts) {
    out.set(data.subarray(s, s + n), o);
    o += n;
  }
  return out;
}
