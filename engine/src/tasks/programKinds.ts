/**
 * The kinds of program the benchmark's generators write, recognised by the shapes of their lines:
 * what a model folder's declared domain names, and how code is placed inside or outside it. A
 * program is of a kind when every line (comments and the query line aside) has one of the kind's
 * shapes; it may be of several (`x = 0` alone is both binding and increments) or of none.
 */
import type { GeneratorName } from './generators';

export const PROGRAM_KINDS = ['binding', 'loop', 'increments', 'fibonacci', 'boolean', 'exception'] as const;
export type ProgramKind = (typeof PROGRAM_KINDS)[number];

interface KindShape {
  /** One program of the kind: "a range loop". */
  name: string;
  /** What a user reads: "variable-binding programs (`a = 5`, `b = a`)". */
  description: string;
  lines: RegExp[];
  /** A line the kind's programs always have (the loop's `for`), so a program of only `x += 1` lines is no loop. */
  marker?: RegExp;
}

const NAME = '[A-Za-z_]\\w*';
const INT = '-?\\d+';

export const KIND_SHAPES: Record<ProgramKind, KindShape> = {
  binding: {
    name: 'a variable-binding program',
    description: 'variable-binding programs (single-letter variables, `a = 5`, `b = a`)',
    lines: [/^[a-z] = ([0-9]|[a-z])$/],
  },
  loop: {
    name: 'a range loop',
    description: 'range loops (`x = 0`, `for i in range(5):`, `x += 3`)',
    lines: [new RegExp(`^${NAME} = ${INT}$`), new RegExp(`^for ${NAME} in range\\(\\d+\\):$`), new RegExp(`^${NAME} [+-]= ${INT}$`)],
    marker: /^for /,
  },
  increments: {
    name: 'an increment sequence',
    description: 'increment sequences (`x = 0`, `x += 3`, `x -= 2`)',
    lines: [new RegExp(`^${NAME} = ${INT}$`), new RegExp(`^${NAME} [+-]= ${INT}$`)],
  },
  fibonacci: {
    name: 'a fibonacci program',
    description: 'fibonacci steps (`a, b = 1, 1`, `a, b = b, a + b`)',
    lines: [new RegExp(`^${NAME}, ${NAME} = ${INT}, ${INT}$`), new RegExp(`^${NAME}, ${NAME} = ${NAME}, ${NAME} \\+ ${NAME}$`), new RegExp(`^${NAME} = ${NAME}$`)],
    marker: /,.*=.*,/,
  },
  boolean: {
    name: 'a boolean-logic program',
    description: 'boolean logic (`x = True`, `x = x and y`, `x = not x`)',
    lines: [new RegExp(`^${NAME} = (True|False)$`), new RegExp(`^${NAME} = ${NAME} (and|or) ${NAME}$`), new RegExp(`^${NAME} = not ${NAME}$`)],
  },
  exception: {
    name: 'a try/except program',
    description: 'try/except programs (`result += 8 // 0` under `except ZeroDivisionError:`)',
    lines: [new RegExp(`^${NAME} = ${INT}$`), /^try:$/, new RegExp(`^${NAME} \\+= ${INT} // ${INT}$`), /^except ZeroDivisionError:$/, new RegExp(`^${NAME} \\+= ${INT}$`)],
    marker: /^try:$/,
  },
};

/** The kind of program each generator writes. */
export const GENERATOR_KIND: Record<GeneratorName, ProgramKind> = {
  binding: 'binding',
  range: 'loop',
  counter: 'loop',
  range_lines: 'increments',
  variable_increments: 'increments',
  arithmetic_sequence: 'increments',
  plus_minus: 'increments',
  fibonacci: 'fibonacci',
  boolean: 'boolean',
  boolean_advanced: 'boolean',
  exception: 'exception',
};

export interface CodeLine {
  /** 0-based line of the code. */
  line: number;
  /** The line without its comment and surrounding blanks. */
  text: string;
}

/** The code's lines that carry a statement: comments, blank lines and query lines (`#x:`) left out. */
export function statementLines(code: string): CodeLine[] {
  return code
    .split('\n')
    .map((raw, line) => ({ line, text: raw.replace(/#.*$/, '').trim() }))
    .filter((l) => l.text !== '');
}

const fits = (kind: ProgramKind, text: string) => KIND_SHAPES[kind].lines.some((re) => re.test(text));

/** Every kind the code is of (none for general code, or for no code at all). */
export function programKinds(code: string): ProgramKind[] {
  const lines = statementLines(code);
  if (lines.length === 0) return [];
  return PROGRAM_KINDS.filter((kind) => {
    const { marker } = KIND_SHAPES[kind];
    return lines.every((l) => fits(kind, l.text)) && (!marker || lines.some((l) => marker.test(l.text)));
  });
}

/** The first line that none of `kinds` writes, if any: what puts the code outside them. */
export function firstLineOutside(code: string, kinds: readonly ProgramKind[]): CodeLine | undefined {
  return statementLines(code).find((l) => !kinds.some((kind) => fits(kind, l.text)));
}
