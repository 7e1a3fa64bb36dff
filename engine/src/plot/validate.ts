/** Checks on plot inputs; failures are IntrospectErrors naming the offending field. */
import { IntrospectError } from '../errors';

export function positiveInt(x: number, field: string): number {
  if (!Number.isInteger(x) || x < 1) throw new IntrospectError(`expected a positive integer, got ${x}`, field);
  return x;
}

export function lengthIs<T>(arr: readonly T[], n: number, field: string, what: string): readonly T[] {
  if (!Array.isArray(arr as unknown)) throw new IntrospectError(`expected an array of ${what}`, field);
  if (arr.length !== n) throw new IntrospectError(`expected ${what}, got ${arr.length} entries`, field);
  return arr;
}

export function nonEmpty<T>(arr: readonly T[], field: string, what: string): void {
  if (!Array.isArray(arr as unknown) || arr.length === 0) throw new IntrospectError(`expected at least one ${what}`, field);
}

/** Finite numbers, or NaN where a value is missing (drawn as a gap); ±Infinity is refused. */
export function numbersOrNaN(arr: readonly number[], field: string): void {
  arr.forEach((v, i) => {
    if (typeof v !== 'number' || v === Infinity || v === -Infinity)
      throw new IntrospectError(`expected a finite number or NaN, got ${String(v)}`, `${field}[${i}]`);
  });
}

export function finiteNumbers(arr: readonly number[], field: string): void {
  arr.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new IntrospectError(`expected a finite number, got ${String(v)}`, `${field}[${i}]`);
  });
}

export function range(lo: number, hi: number, field: string): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi))
    throw new IntrospectError(`expected finite bounds with min < max, got [${lo}, ${hi}]`, field);
  return [lo, hi];
}
