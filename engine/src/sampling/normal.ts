/**
 * Seeded standard-normal noise for the samplers: xoshiro128** seeded by splitmix32 from
 * (seed, chain, stream), so each chain's noise and minibatch order are reproducible on their own
 * and independent of how many other chains run. Normals by Marsaglia & Tsang's ziggurat (128
 * layers): one 32-bit word per draw in all but ~1 % of cases, several times faster than Box–Muller,
 * which matters when every step draws one per sampled weight (162M for Pythia-160m). The layer
 * index and the signed value come from disjoint bits of the word (7 and 25), avoiding the
 * original's reuse of the low bits.
 */

/** Ziggurat tables for 128 layers (Marsaglia & Tsang 2000), values on a 2^24 scale. */
const ZIG = (() => {
  const layers = 128;
  const scale = 2 ** 24;
  const R = 3.442619855899;
  const V = 9.91256303526217e-3;
  const k = new Uint32Array(layers);
  const w = new Float64Array(layers);
  const f = new Float64Array(layers);
  let d = R;
  let t = d;
  const q = V / Math.exp(-0.5 * d * d);
  k[0] = Math.floor((d / q) * scale);
  k[1] = 0;
  w[0] = q / scale;
  w[layers - 1] = d / scale;
  f[0] = 1;
  f[layers - 1] = Math.exp(-0.5 * d * d);
  for (let i = layers - 2; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(V / d + Math.exp(-0.5 * d * d)));
    k[i + 1] = Math.floor((d / t) * scale);
    t = d;
    f[i] = Math.exp(-0.5 * d * d);
    w[i] = d / scale;
  }
  return { k, w, f, R };
})();

/** splitmix32: spreads a 32-bit state into well-mixed words (used only for seeding). */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) >>> 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** A stream id for each use of randomness, so adding a use never shifts another's numbers. */
export const Stream = { noise: 1, batches: 2, initLoss: 3, bootstrap: 4 } as const;

export class NormalRng {
  /** xoshiro128** state; int32 lanes, so updates never box a double. */
  private readonly s = new Int32Array(4);

  constructor(seed: number, chain = 0, stream = 0) {
    let st = (seed ^ Math.imul(chain + 1, 0x27d4eb2d) ^ Math.imul(stream + 1, 0x165667b1)) >>> 0;
    for (let i = 0; i < 4; i++) [st, this.s[i]] = splitmix32(st);
    this.s[3] |= 1; // the all-zero state is the one state xoshiro must avoid
  }

  /** Next 32-bit word (xoshiro128**). */
  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in (0, 1), never 0 (so its log is finite). */
  uniform(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    const word = this.nextU32() | 0;
    const h = word >> 7; // signed, |h| < 2^24
    // Inside the layer's rectangle: ~99 % of draws.
    return Math.abs(h) < ZIG.k[word & 127] ? h * ZIG.w[word & 127] : this.rejected(word);
  }

  /** The ziggurat past a word that fell outside its layer's rectangle: the tail, the wedge, or a new word. */
  private rejected(word: number): number {
    const { k, w, f, R } = ZIG;
    for (;;) {
      const i = word & 127;
      const h = word >> 7;
      const x = h * w[i];
      if (Math.abs(h) < k[i]) return x;
      if (i === 0) {
        // The tail beyond R, by Marsaglia's exponential method.
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(this.uniform()) / R;
          ty = -Math.log(this.uniform());
        } while (ty + ty < tx * tx);
        return h > 0 ? R + tx : -R - tx;
      }
      if (f[i] + this.uniform() * (f[i - 1] - f[i]) < Math.exp(-0.5 * x * x)) return x;
      word = this.nextU32() | 0;
    }
  }

  /**
   * Fills `out` with standard normals: the same numbers as calling `normal()` for each, but with
   * the generator's state and the ziggurat's common case in locals (about twice as fast, and the
   * samplers draw one per sampled weight per step).
   */
  fill(out: Float32Array | Float64Array): typeof out {
    const { k, w } = ZIG;
    const s = this.s;
    let s0 = s[0];
    let s1 = s[1];
    let s2 = s[2];
    let s3 = s[3];
    for (let i = 0; i < out.length; i++) {
      const word = Math.imul(rotl(Math.imul(s1, 5), 7), 9) | 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const layer = word & 127;
      const h = word >> 7;
      if (Math.abs(h) < k[layer]) out[i] = h * w[layer];
      else {
        // The rare rest (~1 %): hand the state back, take normal()'s path from this word on.
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        out[i] = this.rejected(word);
        s0 = s[0];
        s1 = s[1];
        s2 = s[2];
        s3 = s[3];
      }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /** A shuffled 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
