/**
 * float32 ↔ float16 / bfloat16 bit conversions with round-to-nearest-even, shared by the
 * safetensors reader/writer and the graph builder (float16 initializers).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of `value`, rounded to nearest, ties to even; overflow → ±Inf, NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero) half: shift the full 24-bit significand into the 10-bit field.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(full, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The float value of IEEE binary16 bits. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return (sign ? -mant : mant) * 2 ** -24;
  u32[0] = (sign << 16) | (exp === 0x1f ? 0x7f800000 : (exp + 112) << 23) | (mant << 13);
  return f32[0];
}

/** bfloat16 bits of `value`, rounded to nearest, ties to even; NaN stays a (quiet) NaN. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float value of bfloat16 bits. */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

let f16Table: Float32Array | undefined;

/** Converts float16 bits to float32 values (a 64k lookup table makes multi-GB weights fast). */
export function float16ArrayToFloat32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16BitsToFloat32(i);
  }
  const table = f16Table;
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Converts bfloat16 bits to float32 values: bfloat16 is the top half of a float32. */
export function bfloat16ArrayToFloat32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

export function float32ArrayToFloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

export function float32ArrayToBfloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16Bits(values[i]);
  return out;
}
