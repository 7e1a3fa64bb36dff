/**
 * Seeded standard-normal noise for the samplers: xoshiro128** seeded by splitmix32 from
 * (seed, chain, stream), so each chain's noise and minibatch order are reproducible on their own
 * and independent of how many other chains run. Box–Muller in float64, stored as float32.
 */

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
  // A flag beside a number field, not `number | undefined`: V8 keeps a field that is only ever a
  // number unboxed, where a field that flips to undefined boxes every double stored into it.
  private spare = 0;
  private hasSpare = false;

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
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  /** Fills `out` with standard normals. */
  fill(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
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
