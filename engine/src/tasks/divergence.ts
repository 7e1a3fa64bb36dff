/**
 * Program pairs that diverge at one line (the seed's make_counterfactual_pair): two programs over
 * `x` with the same operations except at `divergenceIndex`, where the second gets a different one.
 * For tracing where a model's state for x starts to differ.
 */
import { IntrospectError } from '../errors';
import type { Rng } from './rng';

const OPS = {
  add: { line: (v: number) => `x += ${v}`, apply: (x: number, v: number) => x + v },
  sub: { line: (v: number) => `x -= ${v}`, apply: (x: number, v: number) => x - v },
  div: { line: (v: number) => `x //= ${v}`, apply: (x: number, v: number) => Math.floor(x / v) },
  mod: { line: (v: number) => `x %= ${v}`, apply: (x: number, v: number) => ((x % v) + v) % v },
  abs: { line: (v: number) => `x = abs(x - ${v})`, apply: (x: number, v: number) => Math.abs(x - v) },
};
type Op = keyof typeof OPS;
const OP_NAMES = Object.keys(OPS) as Op[];

export interface TracedProgram {
  program: string;
  /** x after each operation line. */
  intermediates: number[];
}

export interface DivergentPair {
  a: TracedProgram;
  b: TracedProgram;
  /** 0-based index of the operation that differs (program line divergenceIndex + 1). */
  divergenceIndex: number;
}

export function divergentArithmeticPair(seqLen: number, divergenceIndex: number, rng: Rng): DivergentPair {
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new IntrospectError(`must be a positive integer, got ${seqLen}`, 'seqLen');
  if (!Number.isInteger(divergenceIndex) || divergenceIndex < 0 || divergenceIndex >= seqLen) {
    throw new IntrospectError(`must be 0..${seqLen - 1}, got ${divergenceIndex}`, 'divergenceIndex');
  }
  const draw = () => ({ op: rng.choice(OP_NAMES), v: rng.int(1, 9) });
  const stepsA = Array.from({ length: seqLen }, draw);
  const stepsB = stepsA.slice();
  const diverged = stepsA[divergenceIndex];
  let other = draw();
  while (OPS[other.op].line(other.v) === OPS[diverged.op].line(diverged.v)) other = draw();
  stepsB[divergenceIndex] = other;
  return { a: trace(stepsA), b: trace(stepsB), divergenceIndex };
}

function trace(steps: { op: Op; v: number }[]): TracedProgram {
  let x = 0;
  const intermediates: number[] = [];
  const lines = ['x = 0'];
  for (const { op, v } of steps) {
    x = OPS[op].apply(x, v) + 0;
    intermediates.push(x);
    lines.push(OPS[op].line(v));
  }
  return { program: lines.join('\n'), intermediates };
}
