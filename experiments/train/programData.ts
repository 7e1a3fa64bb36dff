/**
 * The program-tracer recipe's data: a tokenizer that extends the binding-tracer's (every binding
 * program tokenizes as before, so the binding model is the starting point) to the benchmark's other
 * program kinds, and examples of every kind in the embedded model's query form — the program, then
 * `#x:` on its own line, then the value and a newline, the value's tokens supervised.
 */
import { charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import type { Examples } from '../../engine/src/train/trainer';
import { type GeneratorName, resolveGenerator } from '../../engine/src/tasks/generators';
import { runPython } from '../../engine/src/tasks/interpreter';
import { Rng } from '../../engine/src/tasks/rng';
import { BINDING_CHARS } from './bindingScore';

/** Printable ASCII and the tab, after the binding characters (whose ids stay as they were). */
const PROGRAM_CHARS = [
  ...BINDING_CHARS,
  ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => !BINDING_CHARS.includes(c)),
  '\t',
];

/**
 * Pieces the programs repeat, each made one token by merges built left to right. None of them
 * starts a pair that occurs in a binding program (`v = d`, `#v:`), so those tokenize as before.
 */
const PIECES = [
  ' += ',
  ' -= ',
  ' // ',
  '  # step ',
  'for i in range(',
  '):',
  'count',
  'result',
  'try:',
  'except ZeroDivisionError:',
  'True',
  'False',
  'and ',
  'or ',
  'not ',
  'a, b = b, a + b',
  'a, b = 1, 1',
];

function piecesMerges(pieces: readonly string[]): [string, string][] {
  // A block's indentation: two pairs of spaces, as BPE pairs four spaces up.
  const merges: [string, string][] = [[' ', ' '], ['  ', '  ']];
  const made = new Set<string>([...PROGRAM_CHARS, '  ', '    ']);
  for (const p of pieces)
    for (let n = 2; n <= p.length; n++) {
      const whole = p.slice(0, n);
      if (made.has(whole)) continue;
      merges.push([p.slice(0, n - 1), p[n - 1]]);
      made.add(whole);
    }
  return merges;
}

export function programTokenizerJson(): object {
  return charTokenizerJson(PROGRAM_CHARS, piecesMerges(PIECES));
}

/** The benchmark's generators the recipe trains on, the longest programs it trains on, and the variable each asks about. */
export const KIND_GENERATORS: { name: GeneratorName; maxLength: number; variable: string }[] = [
  { name: 'range', maxLength: 20, variable: 'x' },
  { name: 'counter', maxLength: 20, variable: 'count' },
  { name: 'range_lines', maxLength: 16, variable: 'x' },
  { name: 'variable_increments', maxLength: 16, variable: 'x' },
  { name: 'arithmetic_sequence', maxLength: 16, variable: 'x' },
  { name: 'plus_minus', maxLength: 12, variable: 'x' },
  { name: 'fibonacci', maxLength: 16, variable: 'result' },
  { name: 'boolean', maxLength: 10, variable: 'x' },
  { name: 'boolean_advanced', maxLength: 10, variable: 'x' },
  { name: 'exception', maxLength: 8, variable: 'result' },
];

/** Supervised positions besides the answer, with the labels the trainer takes there. */
type Supervised = { at: number[]; labels: number[] };

export interface KindExample {
  seqLen: number;
  ids: number[];
  /** Positions of the value's tokens and the newline after it. */
  answers: number[];
  /** Intermediate supervision of boolean programs: at each line's last token, the value the line assigns (True/False). */
  lineValues?: Supervised;
  /**
   * Intermediate supervision of integer programs: after each line that completes a statement (but
   * the last, whose value is the answer), the queried variable's value then and a newline, spelled
   * from the line's last token on over the positions before the next line's end — positions whose
   * own next token nothing reads. Targets and labels as the trainer takes them.
   */
  runningValues?: Supervised;
}

export interface KindOptions {
  /** Program lengths: 1..the generator's maxLength unless given. */
  lengths?: number[];
  lineValues?: boolean;
  /**
   * Chance that a program starting `v = 0` starts from another digit instead (its value recomputed
   * by the interpreter): the generators always start loops and counters at 0, and a trace's
   * counterfactual changes exactly that literal.
   */
  startValues?: number;
  /** Supervise integer programs' running values (KindExample.runningValues). */
  runningValues?: boolean;
}

/** `n` programs of generator `g`, seeded by (seed, stream), with their queries and answers. */
export function kindExamples(encode: (s: string) => number[], g: (typeof KIND_GENERATORS)[number], seed: number, stream: number, n: number, o: KindOptions = {}): KindExample[] {
  const rng = new Rng(seed * 1_000_003 + stream);
  const generate = resolveGenerator({ name: g.name });
  const [newline] = encode('\n');
  return Array.from({ length: n }, () => {
    const seqLen = o.lengths ? o.lengths[rng.int(0, o.lengths.length - 1)] : rng.int(1, g.maxLength);
    const p = generate(seqLen, rng);
    let [program, answer] = [p.program, p.answer];
    // No draw unless asked for: the first run (without it) stays reproducible.
    if (o.startValues && /^\w+ = 0\n/.test(program) && rng.chance(o.startValues)) {
      program = program.replace(/^(\w+) = 0/, `$1 = ${rng.int(1, 9)}`);
      answer = runPython(program).get(g.variable) as number;
    }
    const value = typeof answer === 'boolean' ? (answer ? 'True' : 'False') : String(answer);
    const prompt = encode(`${program}\n#${g.variable}:`);
    const ids = [...prompt, ...encode(`${value}\n`)];
    const example: KindExample = { seqLen, ids, answers: ids.slice(prompt.length).map((_, i) => prompt.length + i) };
    const ends = ids.flatMap((id, t) => (id === newline && t < prompt.length ? [t] : []));
    if (o.runningValues && typeof answer === 'number') example.runningValues = runningValues(encode, program, g.variable, ends);
    if (o.lineValues && typeof answer === 'boolean') {
      const values = booleanLineValues(program);
      // Each assignment line ends at a newline (the last one at the query's); its value is predicted from the line's last token.
      example.lineValues = { at: ends.slice(0, values.length), labels: values.map((v) => encode(v ? 'True' : 'False')[0]) };
    }
    return example;
  });
}

/**
 * `variable`'s value after each line of `program` that ends a statement, but the last (a prefix
 * that does not parse, such as a loop header or a try block without its except, ends none; nor
 * does one before the variable exists), spelled with a newline from the line's newline on, where
 * that fits before the next such line's newline (or the last line's). `ends`: the newlines' token
 * positions.
 */
function runningValues(encode: (s: string) => number[], program: string, variable: string, ends: number[]): Supervised {
  const lines = program.split('\n');
  const after: { line: number; value: number }[] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    try {
      const value = runPython(lines.slice(0, i + 1).join('\n')).get(variable);
      if (typeof value === 'number') after.push({ line: i, value });
    } catch {
      // Not a whole program yet.
    }
  }
  const at: number[] = [];
  const labels: number[] = [];
  after.forEach(({ line, value }, k) => {
    const spelled = encode(`${value}\n`);
    if (ends[line] + spelled.length > ends[after[k + 1]?.line ?? lines.length - 1]) return;
    spelled.forEach((id, j) => {
      at.push(ends[line] + j);
      labels.push(id);
    });
  });
  return { at, labels };
}

/** The value each line of a boolean program assigns, by running the lines in order. */
function booleanLineValues(program: string): boolean[] {
  const env = new Map<string, boolean>();
  return program.split('\n').map((line) => {
    const [, target, rhs] = /^(\w+) = (.+)$/.exec(line)!;
    const word = (w: string) => (w === 'True' ? true : w === 'False' ? false : env.get(w)!);
    const parts = rhs.split(' ');
    const v = parts.length === 1 ? word(parts[0]) : parts[0] === 'not' ? !word(parts[1]) : parts[1] === 'and' ? word(parts[0]) && word(parts[2]) : word(parts[0]) || word(parts[2]);
    env.set(target, v);
    return v;
  });
}

/**
 * Binding examples whose every answer is followed by a supervised newline (one appended after the
 * last), so the model ends a binding value as it ends the other kinds' — where a reader of its
 * output (the hover's whole value, the benchmark) knows the value is complete.
 */
export function withAnswerEnds<E extends { ids: number[]; answers: number[] }>(examples: E[], newline: number): E[] {
  return examples.map((e) => {
    const ids = e.answers.at(-1) === e.ids.length - 1 ? [...e.ids, newline] : e.ids;
    const ends = e.answers.map((a) => a + 1).filter((t) => ids[t] === newline);
    return { ...e, ids, answers: [...e.answers, ...ends].sort((a, b) => a - b) };
  });
}

/** The trainer's view: targets are the answers, after the line or running values when those are supervised. */
export function toExamples(ps: { ids: number[]; answers: number[]; lineValues?: Supervised; runningValues?: Supervised }[]): Examples {
  return {
    rows: ps.map((p) => p.ids),
    targets: ps.map((p) => [...(p.lineValues?.at ?? []), ...(p.runningValues?.at ?? []), ...p.answers]),
    labels: ps.map((p) => [...(p.lineValues?.labels ?? []), ...(p.runningValues?.labels ?? []), ...p.answers.map((a) => p.ids[a])]),
  };
}
