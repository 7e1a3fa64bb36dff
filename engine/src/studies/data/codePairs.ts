/**
 * `code-pairs`: small Python functions (sums, counts, max/min, search, string building, loops and
 * branches), each correct (group `correct`) with a buggy twin (`incorrect`) made by one mutation
 * operator of the kinds people write: an off-by-one bound, a flipped comparison, a wrong operator,
 * a wrong initial value, a wrong variable, a missing update. Every bug is confirmed with the
 * project's interpreter on the template's test inputs: the correct version must return on all of
 * them and the buggy one must return something else (or raise) on at least one. A mutation that
 * fails this, or runs past the step limit (a dropped `i += 1` can loop forever), is not used.
 */
import { IntrospectError } from '../../errors';
import { callPython, PyException, type PyValue } from '../../tasks/interpreter';
import { Rng } from '../../tasks/rng';
import type { StudyData, StudySample } from './samples';

export const MUTATIONS = ['off-by-one', 'flipped-comparison', 'wrong-operator', 'wrong-initial-value', 'wrong-variable', 'missing-update'] as const;
export type MutationKind = (typeof MUTATIONS)[number];

/** One drawn problem: the correct function and the inputs its twin is judged on. */
interface Instance {
  template: string;
  fn: string;
  source: string;
  inputs: PyValue[][];
}

export interface CodePair {
  template: string;
  mutation: MutationKind;
  fn: string;
  correct: string;
  buggy: string;
  inputs: PyValue[][];
}

// ---------------------------------------------------------------------------------------------
// Templates

const LIST_NAMES = ['xs', 'values', 'nums', 'items', 'data'];
const ACC_NAMES = ['total', 'acc', 'result', 'running'];

/** A function's source: 4-space indents, one line per string, ending in a newline. */
const code = (...lines: string[]) => `${lines.join('\n')}\n`;

/** `k` single-argument inputs, each a list of random ints, of lengths 2, 3, ... (never empty: some templates read xs[0]). */
function listInputs(rng: Rng, k: number, lo = -9, hi = 9): PyValue[][] {
  return Array.from({ length: k }, (_, i) => [Array.from({ length: 2 + i }, () => rng.int(lo, hi))]);
}

/** Each template draws its names, constants and test inputs, so samples vary. */
export const TEMPLATES: Record<string, (rng: Rng) => Instance> = {
  sum: (rng) => {
    const [fn, xs, acc, x] = [rng.choice(['total_of', 'list_sum', 'add_all']), rng.choice(LIST_NAMES), rng.choice(ACC_NAMES), rng.choice(['x', 'v', 'item'])];
    return { template: 'sum', fn, source: code(`def ${fn}(${xs}):`, `    ${acc} = 0`, `    for ${x} in ${xs}:`, `        ${acc} += ${x}`, `    return ${acc}`), inputs: listInputs(rng, 5) };
  },
  count: (rng) => {
    const [fn, xs, n, x, limit] = [rng.choice(['count_above', 'how_many_over']), rng.choice(LIST_NAMES), rng.choice(['count', 'n', 'hits']), rng.choice(['x', 'v']), rng.int(-2, 4)];
    return {
      template: 'count',
      fn,
      source: code(`def ${fn}(${xs}, limit):`, `    ${n} = 0`, `    for ${x} in ${xs}:`, `        if ${x} > limit:`, `            ${n} += 1`, `    return ${n}`),
      inputs: listInputs(rng, 5).map((args) => [...args, limit]),
    };
  },
  max: (rng) => {
    const [fn, xs, best, x] = [rng.choice(['largest', 'max_of', 'biggest']), rng.choice(LIST_NAMES), rng.choice(['best', 'top', 'm']), rng.choice(['x', 'v'])];
    return {
      template: 'max',
      fn,
      source: code(`def ${fn}(${xs}):`, `    ${best} = ${xs}[0]`, `    for ${x} in ${xs}[1:]:`, `        if ${x} > ${best}:`, `            ${best} = ${x}`, `    return ${best}`),
      inputs: listInputs(rng, 5),
    };
  },
  'min-index': (rng) => {
    const [fn, xs, at] = [rng.choice(['argmin', 'index_of_smallest']), rng.choice(LIST_NAMES), rng.choice(['best', 'where', 'k'])];
    return {
      template: 'min-index',
      fn,
      source: code(`def ${fn}(${xs}):`, `    ${at} = 0`, `    for i in range(1, len(${xs})):`, `        if ${xs}[i] < ${xs}[${at}]:`, `            ${at} = i`, `    return ${at}`),
      inputs: listInputs(rng, 5, 0, 20),
    };
  },
  search: (rng) => {
    const [fn, xs] = [rng.choice(['find_index', 'position_of', 'locate']), rng.choice(LIST_NAMES)];
    // Targets alternate between one the list holds and one it cannot (7 is outside 0..6).
    const inputs = listInputs(rng, 5, 0, 6).map(([list], i) => [list, i % 2 ? 7 : (list as number[])[i % (list as number[]).length]]);
    return {
      template: 'search',
      fn,
      source: code(`def ${fn}(${xs}, target):`, '    i = 0', `    while i < len(${xs}):`, `        if ${xs}[i] == target:`, '            return i', '        i += 1', '    return -1'),
      inputs,
    };
  },
  join: (rng) => {
    const [fn, out, sep] = [rng.choice(['joined', 'numbers_text', 'as_text']), rng.choice(['s', 'out', 'text']), rng.choice([',', '-', ' '])];
    return {
      template: 'join',
      fn,
      source: code(`def ${fn}(n):`, `    ${out} = ""`, '    for i in range(n):', `        ${out} = ${out} + str(i) + "${sep}"`, `    return ${out}`),
      inputs: [[0], [1], [3], [5]],
    };
  },
  'range-sum': (rng) => {
    const [fn, acc, k] = [rng.choice(['scaled_sum', 'series']), rng.choice(ACC_NAMES), rng.int(2, 5)];
    return {
      template: 'range-sum',
      fn,
      source: code(`def ${fn}(n):`, `    ${acc} = 0`, '    for i in range(n):', `        ${acc} = ${acc} + i * ${k}`, `    return ${acc}`),
      inputs: [[1], [2], [4], [7]],
    };
  },
  'count-char': (rng) => {
    const [fn, n, ch] = [rng.choice(['count_char', 'occurrences']), rng.choice(['count', 'n']), rng.choice(['a', 'e', 'o'])];
    return {
      template: 'count-char',
      fn,
      source: code(`def ${fn}(s):`, `    ${n} = 0`, '    for c in s:', `        if c == "${ch}":`, `            ${n} += 1`, `    return ${n}`),
      inputs: ['banana', 'free', 'oboe', 'xyz', 'aaa', 'hello'].map((w) => [w]),
    };
  },
  factorial: (rng) => {
    const [fn, acc] = [rng.choice(['factorial', 'product_upto']), rng.choice(['p', 'prod', 'result'])];
    return {
      template: 'factorial',
      fn,
      source: code(`def ${fn}(n):`, `    ${acc} = 1`, '    for i in range(1, n + 1):', `        ${acc} *= i`, `    return ${acc}`),
      inputs: [[1], [3], [5], [6]],
    };
  },
  clamp: (rng) => {
    const [fn, lo, hi] = [rng.choice(['clamp', 'bounded']), rng.int(-3, 0), rng.int(3, 6)];
    return {
      template: 'clamp',
      fn,
      source: code(`def ${fn}(x):`, `    if x < ${lo}:`, `        return ${lo}`, `    elif x > ${hi}:`, `        return ${hi}`, '    else:', '        return x'),
      inputs: [[lo - 2], [lo], [0], [hi], [hi + 3]],
    };
  },
  evens: (rng) => {
    const [fn, xs, out, x] = [rng.choice(['evens', 'keep_even']), rng.choice(LIST_NAMES), rng.choice(['out', 'kept']), rng.choice(['x', 'v'])];
    return {
      template: 'evens',
      fn,
      source: code(`def ${fn}(${xs}):`, `    ${out} = []`, `    for ${x} in ${xs}:`, `        if ${x} % 2 == 0:`, `            ${out}.append(${x})`, `    return ${out}`),
      inputs: listInputs(rng, 5),
    };
  },
  reverse: (rng) => {
    const [fn, xs, out] = [rng.choice(['reversed_copy', 'backwards']), rng.choice(LIST_NAMES), rng.choice(['out', 'rev'])];
    return {
      template: 'reverse',
      fn,
      source: code(`def ${fn}(${xs}):`, `    ${out} = []`, `    i = len(${xs}) - 1`, '    while i >= 0:', `        ${out}.append(${xs}[i])`, '        i -= 1', `    return ${out}`),
      inputs: listInputs(rng, 4),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Mutation operators: each rewrites one line of the source (the templates' regular shapes make
// line-level text edits exact), giving every candidate; the confirmation step picks real bugs.

/** A candidate for line i: its new text, or null to delete it. */
type LineEdit = string | null;

const isCondition = (line: string) => /^\s*(if|elif|while)\b/.test(line);

/** The line with each match of `re` in turn replaced by `to[match]` (matches without an entry are kept). */
function replaceEach(line: string, re: RegExp, to: Record<string, string>): string[] {
  return [...line.matchAll(re)].flatMap((m) => (m[0] in to ? [line.slice(0, m.index) + to[m[0]] + line.slice(m.index! + m[0].length)] : []));
}

/** `e - 1`, folding a literal (`n + 1` → `n`, `3` → `2`). */
function lessOne(e: string): string {
  if (/^-?\d+$/.test(e)) return String(Number(e) - 1);
  const plusOne = /^(.*) \+ 1$/.exec(e);
  return plusOne ? plusOne[1] : `${e} - 1`;
}

/** `range(n)` → `range(n - 1)`, `range(1, n)`; `range(a, b)` → `range(a, b - 1)`, `range(a + 1, b)`; `<` ↔ `<=`, `>` ↔ `>=` in conditions. */
function offByOne(line: string): LineEdit[] {
  const m = /range\(([^(),]*(?:\([^()]*\))?[^(),]*)(?:, ([^(),]*(?:\([^()]*\))?[^(),]*))?\)/.exec(line);
  const edits: string[] = [];
  if (m) {
    const put = (args: string) => line.slice(0, m.index) + `range(${args})` + line.slice(m.index + m[0].length);
    const [a, b] = [m[1], m[2]];
    if (b === undefined) edits.push(put(lessOne(a)), put(`1, ${a}`));
    else edits.push(put(`${a}, ${lessOne(b)}`), put(`${/^\d+$/.test(a) ? Number(a) + 1 : `${a} + 1`}, ${b}`));
  }
  if (isCondition(line)) edits.push(...replaceEach(line, /<=|>=|<|>/g, { '<': '<=', '<=': '<', '>': '>=', '>=': '>' }));
  return edits;
}

const OPERATORS: Record<Exclude<MutationKind, 'wrong-variable'>, (line: string) => LineEdit[]> = {
  'off-by-one': offByOne,
  'flipped-comparison': (line) => (isCondition(line) ? replaceEach(line, /==|!=|<=|>=|<|>/g, { '==': '!=', '!=': '==', '<': '>', '>': '<', '<=': '>=', '>=': '<=' }) : []),
  'wrong-operator': (line) => (isCondition(line) ? [] : replaceEach(line, /\+=|-=|\*=| \+ | - | \* /g, { '+=': '-=', '-=': '+=', '*=': '+=', ' + ': ' - ', ' - ': ' + ', ' * ': ' + ' })),
  'wrong-initial-value': (line) => {
    const m = /^(\s*\w+ = )(-?\d+|""|\[\])$/.exec(line);
    if (!m) return [];
    const swapped: Record<string, string> = { '0': '1', '1': '0', '""': '" "', '[]': '[0]' };
    return [m[1] + (swapped[m[2]] ?? String(Number(m[2]) + 1))];
  },
  'missing-update': (line) => (/^\s*(\w+ [-+*]= .*|\w+\.append\(.*\))$/.test(line) ? [null] : []),
};

const NOT_VARIABLES = new Set(['def', 'return', 'for', 'in', 'if', 'elif', 'else', 'while', 'and', 'or', 'not', 'range', 'len', 'str', 'append']);

/** The function's parameters, assigned names and loop variables. */
function variables(lines: string[]): string[] {
  const names = new Set<string>();
  for (const line of lines) {
    const def = /^def \w+\((.*)\):$/.exec(line);
    if (def) def[1].split(', ').forEach((p) => names.add(p));
    const bound = /^\s*(?:for (\w+) in|(\w+) [-+*]?= )/.exec(line);
    if (bound) names.add(bound[1] ?? bound[2]);
  }
  return [...names];
}

/** Each variable the line reads (right of `=`, after `in`, in conditions, returns and calls) replaced by each other variable. */
function wrongVariable(line: string, vars: string[]): LineEdit[] {
  if (/^def /.test(line)) return [];
  const readsFrom = /^\s*for \w+ in |^\s*\w+ [-+*]?= /.exec(line)?.[0].length ?? 0;
  // Letters inside string literals ("a") are not names: blank them out before matching.
  const masked = line.replace(/"[^"]*"/g, (s) => `"${' '.repeat(s.length - 2)}"`);
  const edits: string[] = [];
  for (const m of masked.slice(readsFrom).matchAll(/\b[a-z_]\w*\b(?!\()/g)) {
    if (NOT_VARIABLES.has(m[0]) || !vars.includes(m[0])) continue;
    const at = readsFrom + m.index!;
    for (const other of vars) if (other !== m[0]) edits.push(line.slice(0, at) + other + line.slice(at + m[0].length));
  }
  return edits;
}

/** Every single-line mutation of `source` by operator `kind`, as whole sources (distinct, each unlike the source). */
export function mutations(source: string, kind: MutationKind): string[] {
  const lines = source.split('\n');
  const vars = variables(lines);
  const indent = (l: string | undefined) => (l === undefined || l === '' ? -1 : l.length - l.trimStart().length);
  const out = lines.flatMap((line, i) => {
    const edits = kind === 'wrong-variable' ? wrongVariable(line, vars) : OPERATORS[kind](line);
    return edits.map((edit) => {
      if (edit !== null) return [...lines.slice(0, i), edit, ...lines.slice(i + 1)].join('\n');
      // A deleted line that was its block's only statement leaves `pass`, so the source still parses.
      const alone = lines[i - 1].trimEnd().endsWith(':') && indent(lines[i + 1]) < indent(line);
      return [...lines.slice(0, i), ...(alone ? [`${' '.repeat(indent(line))}pass`] : []), ...lines.slice(i + 1)].join('\n');
    });
  });
  return [...new Set(out)].filter((s) => s !== source);
}

// ---------------------------------------------------------------------------------------------
// Confirmation and generation

type Outcome = { value: PyValue } | { error: string };

/** Steps a template's function may take on one input: ample for the correct ones, quick to stop a runaway bug. */
const MAX_STEPS = 20_000;

/** Whether a list holds itself (`out.append(out)`): such a value has no JSON or plain text to compare. */
function cyclic(v: PyValue, open: PyValue[][] = []): boolean {
  return Array.isArray(v) && (open.includes(v) || v.some((x) => cyclic(x, [...open, v])));
}

/** What a call does: its value or its exception; undefined when it runs past the step limit or returns a cyclic list. */
function outcome(source: string, fn: string, args: PyValue[]): Outcome | undefined {
  try {
    const value = callPython(source, fn, args, { maxSteps: MAX_STEPS });
    return cyclic(value) ? undefined : { value };
  } catch (e) {
    if (e instanceof PyException) return { error: e.type };
    if (e instanceof IntrospectError) return undefined;
    throw e;
  }
}

const sameOutcome = (a: Outcome, b: Outcome) => JSON.stringify(a) === JSON.stringify(b);

/** The instance made into a pair, or undefined when its correct version fails or no mutation is a confirmed bug. */
function makePair(inst: Instance, rng: Rng): CodePair | undefined {
  const expected = inst.inputs.map((args) => outcome(inst.source, inst.fn, args));
  if (expected.some((o) => o === undefined || 'error' in o)) return undefined;
  const confirmed = (buggy: string) => {
    const got = inst.inputs.map((args) => outcome(buggy, inst.fn, args));
    return got.every((o) => o !== undefined) && got.some((o, i) => !sameOutcome(o!, expected[i]!));
  };
  // A random operator first, then the others in turn where it gives no confirmed bug here.
  const first = rng.int(0, MUTATIONS.length - 1);
  for (let j = 0; j < MUTATIONS.length; j++) {
    const mutation = MUTATIONS[(first + j) % MUTATIONS.length];
    const buggy = rng.shuffle(mutations(inst.source, mutation)).find(confirmed);
    if (buggy) return { template: inst.template, mutation, fn: inst.fn, correct: inst.source, buggy, inputs: inst.inputs };
  }
  return undefined;
}

/** `n` confirmed pairs, deterministic from `seed`; the templates take turns, so all occur. */
export function generateCodePairs(n: number, seed: number): CodePair[] {
  const rng = new Rng(seed * 1_000_003 + 11);
  const templates = Object.values(TEMPLATES);
  const pairs: CodePair[] = [];
  for (let attempt = 0; pairs.length < n; attempt++) {
    if (attempt >= 10 * n + 100) throw new IntrospectError(`could only confirm ${pairs.length} of ${n} pairs`, 'code-pairs');
    const pair = makePair(templates[attempt % templates.length](rng), rng);
    if (pair) pairs.push(pair);
  }
  return pairs;
}

/** The data set: pair k's correct function at index 2k, its buggy twin at 2k + 1. */
export function codePairs(n: number, seed: number): StudyData {
  const samples: StudySample[] = generateCodePairs(n, seed).flatMap((p, pair) => [
    { text: p.correct, group: 'correct', pair },
    { text: p.buggy, group: 'incorrect', pair },
  ]);
  return { name: 'code-pairs', samples };
}
