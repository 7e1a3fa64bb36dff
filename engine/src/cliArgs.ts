/** Flag parsing shared by every CLI command: node's parseArgs, with errors naming the flag. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Device, DType } from './api/types';
import { IntrospectError } from './errors';
import { LoadedModel } from './model';

export const MODEL_FLAGS = {
  model: { type: 'string' },
  device: { type: 'string', default: 'auto' },
  dtype: { type: 'string', default: 'float32' },
} as const satisfies ParseArgsConfig['options'];

export type Flags = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Flags>(argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    throw new IntrospectError((e as Error).message.replace(/^TypeError \[\w+\]: /, ''), 'arguments');
  }
}

export function required(v: string | undefined, flag: string): string {
  if (!v) throw new IntrospectError('is required', flag);
  return v;
}

export function integer(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isSafeInteger(n)) throw new IntrospectError(`must be an integer, got "${v}"`, flag);
  return n;
}

export function positiveInt(v: string | undefined, flag: string): number {
  const n = integer(v, flag);
  if (n <= 0) throw new IntrospectError(`must be a positive integer, got "${v}"`, flag);
  return n;
}

export function positiveNumber(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new IntrospectError(`must be a positive number, got "${v}"`, flag);
  return n;
}

export function nonNegativeNumber(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < 0) throw new IntrospectError(`must be a number ≥ 0, got "${v}"`, flag);
  return n;
}

/** A probability: a number from 0 to 1. */
export function probability(v: string | undefined, flag: string): number {
  const p = nonNegativeNumber(v, flag);
  if (p > 1) throw new IntrospectError(`must be a probability from 0 to 1, got ${v}`, flag);
  return p;
}

/**
 * A share of a training batch given as a fraction, as a row count: 0..1 of `batch` rows, or below 1
 * where the rest of the batch must keep at least some rows.
 */
export function batchShare(v: string | undefined, flag: string, batch: number, o: { belowOne?: boolean } = {}): number {
  const f = nonNegativeNumber(v, flag);
  if (o.belowOne ? f >= 1 : f > 1) throw new IntrospectError(`must be a fraction of the batch${o.belowOne ? ' below 1' : ''}, got ${v}`, flag);
  return Math.round(f * batch);
}

export function intList(v: string, flag: string): number[] {
  return v.split(',').map((s) => positiveInt(s.trim(), flag));
}

/**
 * Training steps as a comma-separated list of steps and ranges `A-B/S` (A, A+S, …, up to B):
 * e.g. `0,100,5000-10000/500`. Sorted, without repeats.
 */
export function stepList(v: string, flag: string): number[] {
  const steps = new Set<number>();
  for (const part of v.split(',').map((s) => s.trim())) {
    const range = /^(\d+)-(\d+)\/(\d+)$/.exec(part);
    if (!range) {
      const n = integer(part, flag);
      if (n < 0) throw new IntrospectError(`steps must be ≥ 0, got "${part}"`, flag);
      steps.add(n);
      continue;
    }
    const [a, b, s] = range.slice(1).map(Number);
    if (s <= 0 || b < a) throw new IntrospectError(`a range is A-B/S with A ≤ B and S > 0, got "${part}"`, flag);
    for (let k = a; k <= b; k += s) steps.add(k);
  }
  return [...steps].sort((x, y) => x - y);
}

export function oneOf<T extends string>(v: string, options: readonly T[], flag: string): T {
  if (!options.includes(v as T)) throw new IntrospectError(`must be one of ${options.join(', ')}, got "${v}"`, flag);
  return v as T;
}

export function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new IntrospectError(`cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, path);
  }
}

export function modelOptions(v: { device?: string; dtype?: string }): { device: Device; dtype: DType; log: (m: string) => void } {
  return {
    device: oneOf(v.device ?? 'auto', ['auto', 'cpu', 'webgpu', 'cuda'] as const, '--device'),
    dtype: oneOf(v.dtype ?? 'float32', ['float32', 'float16'] as const, '--dtype'),
    log: (m) => process.stderr.write(`[engine] ${m}\n`),
  };
}

export function loadModel(v: { model?: string; device?: string; dtype?: string }): Promise<LoadedModel> {
  return LoadedModel.load(required(v.model, '--model'), modelOptions(v));
}
