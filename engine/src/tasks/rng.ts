/**
 * A small seeded PRNG (mulberry32): the same seed gives the same stream on every machine and
 * Node version, because it only uses 32-bit integer arithmetic (Math.imul, >>>).
 */
import { IntrospectError } from '../errors';

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new IntrospectError(`must be an integer, got ${seed}`, 'seed');
    // Fold any safe integer (including negatives) into 32 bits.
    this.state = (seed ^ Math.floor(seed / 0x100000000)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new IntrospectError(`bad integer range [${min}, ${max}]`, 'rng.int');
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new IntrospectError('cannot choose from an empty list', 'rng.choice');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks items[i] with probability weights[i] / sum(weights). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((a, b) => a + b, 0);
    if (items.length === 0 || items.length !== weights.length || !(total > 0)) {
      throw new IntrospectError('needs as many positive weights as items', 'rng.weighted');
    }
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
