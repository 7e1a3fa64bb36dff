/**
 * Program generators of the seed framework (loops, increments, sequences, booleans, exceptions),
 * each `(seqLen, rng) => { program, answer, metadata }`, plus the registry that experiment
 * configs name them by. Variable binding lives in binding.ts.
 */
import { IntrospectError, nearest } from '../errors';
import { bindingProgram, type BindingOptions } from './binding';
import type { Rng } from './rng';
import type { Answer, GeneratedProgram, Generator } from './types';

/** `x = 0; for i in range(n): x += z` — answer n·z. */
export function rangeProgram(seqLen: number, rng: Rng): GeneratedProgram<number> {
  const z = rng.int(1, 9);
  return { program: `x = 0\nfor i in range(${seqLen}):\n    x += ${z}`, answer: seqLen * z, metadata: { increment: z } };
}

/** The loop unrolled: `x = 0` then n lines `x += z`. */
export function rangeProgramLines(seqLen: number, rng: Rng): GeneratedProgram<number> {
  const z = rng.int(1, 9);
  const lines = ['x = 0', ...Array.from({ length: seqLen }, () => `x += ${z}`)];
  return { program: lines.join('\n'), answer: seqLen * z, metadata: { increment: z } };
}

/** A different increment (1..4) on every line, each with a `# step i` comment. */
export function variableIncrements(seqLen: number, rng: Rng): GeneratedProgram<number> {
  const increments = Array.from({ length: seqLen }, () => rng.int(1, 4));
  const lines = ['x = 0', ...increments.map((inc, i) => `x += ${inc}  # step ${i + 1}`)];
  return { program: lines.join('\n'), answer: increments.reduce((a, b) => a + b, 0), metadata: { increments } };
}

/** Start 0..4, constant step 1..2. */
export function arithmeticSequence(seqLen: number, rng: Rng): GeneratedProgram<number> {
  const start = rng.int(0, 4);
  const step = rng.int(1, 2);
  const lines = [`x = ${start}`, ...Array.from({ length: seqLen }, (_, i) => `x += ${step}  # step ${i + 1}`)];
  return { program: lines.join('\n'), answer: start + seqLen * step, metadata: { start, step } };
}

/** Counts loop iterations. */
export function counterProgram(seqLen: number): GeneratedProgram<number> {
  return { program: `count = 0\nfor i in range(${seqLen}):\n    count += 1`, answer: seqLen, metadata: { variable: 'count' } };
}

/** `a, b = b, a + b` n times from 1, 1; answer in `result`. */
export function fibonacciProgram(seqLen: number): GeneratedProgram<number> {
  let [a, b] = [1, 1];
  const lines = ['a, b = 1, 1'];
  for (let i = 0; i < seqLen; i++) {
    [a, b] = [b, a + b];
    lines.push(`a, b = b, a + b  # step ${i + 1}`);
  }
  lines.push('result = a');
  return { program: lines.join('\n'), answer: a, metadata: { variable: 'result' } };
}

/** Random `x += k` / `x -= k` steps, k in 0..9 (the seed's integer-tracking sequences). */
export function plusMinusSequence(seqLen: number, rng: Rng): GeneratedProgram<number> {
  let x = 0;
  const lines = ['x = 0'];
  const intermediates: number[] = [];
  for (let i = 0; i < seqLen; i++) {
    const plus = rng.chance(0.5);
    const k = rng.int(0, 9);
    x += plus ? k : -k;
    lines.push(`x ${plus ? '+' : '-'}= ${k}`);
    intermediates.push(x);
  }
  return { program: lines.join('\n'), answer: x, metadata: { intermediates } };
}

/** x and y start True/False; each step is `x = x and y`, `x = x or y` or `x = not x`. */
export function booleanProgram(seqLen: number, rng: Rng): GeneratedProgram<boolean> {
  let x = rng.chance(0.5);
  const y = rng.chance(0.5);
  const lines = [`x = ${py(x)}`, `y = ${py(y)}`];
  for (let i = 0; i < seqLen; i++) {
    const op = rng.choice(['and', 'or', 'not'] as const);
    if (op === 'not') {
      x = !x;
      lines.push('x = not x');
    } else {
      x = op === 'and' ? x && y : x || y;
      lines.push(`x = x ${op} y`);
    }
  }
  return { program: lines.join('\n'), answer: x, metadata: {} };
}

/**
 * Three boolean variables x, y, z; each step reassigns one of them from two others with and/or,
 * or negates one — so the answer (x) depends on tracking every variable, not just x.
 */
export function booleanAdvancedProgram(seqLen: number, rng: Rng): GeneratedProgram<boolean> {
  const names = ['x', 'y', 'z'] as const;
  const env: Record<string, boolean> = {};
  const lines: string[] = [];
  for (const n of names) {
    env[n] = rng.chance(0.5);
    lines.push(`${n} = ${py(env[n])}`);
  }
  for (let i = 0; i < seqLen; i++) {
    const target = rng.choice(names);
    const op = rng.choice(['and', 'or', 'not'] as const);
    if (op === 'not') {
      const src = rng.choice(names);
      env[target] = !env[src];
      lines.push(`${target} = not ${src}`);
    } else {
      const [a, b] = rng.shuffle(names).slice(0, 2);
      env[target] = op === 'and' ? env[a] && env[b] : env[a] || env[b];
      lines.push(`${target} = ${a} ${op} ${b}`);
    }
  }
  return { program: lines.join('\n'), answer: env.x, metadata: {} };
}

/**
 * `result = 0`, then n try/except blocks `result += n // d`; 30% of denominators are 0, where the
 * except branch adds a negative fallback instead. Other denominators divide n exactly when n has a
 * divisor in 1..10 (it always has 1).
 */
export function exceptionProgram(seqLen: number, rng: Rng): GeneratedProgram<number> {
  const lines = ['result = 0'];
  let total = 0;
  let raised = 0;
  for (let i = 0; i < seqLen; i++) {
    const n = rng.int(1, 20);
    const d = rng.chance(0.3) ? 0 : rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((k) => n % k === 0));
    const fallback = rng.int(-5, -1);
    lines.push('try:', `    result += ${n} // ${d}`, 'except ZeroDivisionError:', `    result += ${fallback}`);
    if (d === 0) {
      total += fallback;
      raised++;
    } else total += Math.floor(n / d);
  }
  return { program: lines.join('\n'), answer: total, metadata: { variable: 'result', exceptions: raised } };
}

function py(b: boolean): string {
  return b ? 'True' : 'False';
}

// ---------------------------------------------------------------------------------------------
// Registry

/** How an experiment config names a generator: JSON-serializable, so run folders record it. */
export interface GeneratorSpec {
  name: GeneratorName;
  /** Only `binding` takes options (BindingOptions). */
  options?: BindingOptions;
}

const FAMILIES = {
  range: rangeProgram,
  range_lines: rangeProgramLines,
  variable_increments: variableIncrements,
  arithmetic_sequence: arithmeticSequence,
  counter: counterProgram,
  fibonacci: fibonacciProgram,
  plus_minus: plusMinusSequence,
  boolean: booleanProgram,
  boolean_advanced: booleanAdvancedProgram,
  exception: exceptionProgram,
  binding: bindingProgram,
} satisfies Record<string, (seqLen: number, rng: Rng, options?: BindingOptions) => GeneratedProgram<Answer>>;

export type GeneratorName = keyof typeof FAMILIES;
export const GENERATOR_NAMES = Object.keys(FAMILIES) as GeneratorName[];

/** The generator a spec names, with its options bound. */
export function resolveGenerator(spec: GeneratorSpec, field = 'generator'): Generator {
  const family = FAMILIES[spec.name];
  if (!family) {
    throw new IntrospectError(`unknown generator "${spec.name}" (did you mean "${nearest(String(spec.name), GENERATOR_NAMES)}"?)`, field);
  }
  if (spec.options && spec.name !== 'binding') throw new IntrospectError(`generator "${spec.name}" takes no options`, field);
  return (seqLen, rng) => {
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new IntrospectError(`sequence length must be a positive integer, got ${seqLen}`, field);
    return family(seqLen, rng, spec.options);
  };
}
