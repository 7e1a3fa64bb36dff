/**
 * Variable binding programs (Wu, Geiger & Millière 2025, "How Do Transformers Learn Variable
 * Binding in Symbolic Programs?", arXiv 2505.20896): assignment lines `v = digit` or `v = w` over
 * the letters a–z, then a query line `#q:`; the answer is the digit q ultimately holds.
 *
 * Paper format (the default): 16 assignment lines + the query line `#q:` (17 lines), chains up
 * to 4 hops. Seed format: the query line has a trailing space, `#q: `, and any length.
 *
 * Terms used throughout:
 * - referential depth of an assigned variable: 1 when it is assigned a digit, else 1 + the depth
 *   of the variable it copies (as bound at that line).
 * - hops: the referential depth of the queried variable = the number of lines in its chain.
 * - chain: the lines from the query's own assignment back to the root digit.
 * - distractor chains: digit-rooted chains other than the query's (assignments the answer does
 *   not depend on hang off them).
 */
import { IntrospectError } from '../errors';
import type { Rng } from './rng';
import type { GeneratedProgram } from './types';

export type QueryFormat = 'paper' | 'seed';

export interface BindingOptions {
  /**
   * Hops of the queried variable: a number (1..maxHops), 'balanced' (a target drawn uniformly
   * from 1..min(maxHops, seqLen) per program, then rejection sampling until the program has it),
   * or 'cubic' (the seed's choice: query weighted by depth³ among all variables, no rejection).
   */
  hops?: number | 'balanced' | 'cubic';
  /** Largest referential depth any variable may have (default 4). */
  maxHops?: number;
  /** Exact number of distractor chains (rejection sampled), or 'any' (default). */
  distractorChains?: number | 'any';
  queryFormat?: QueryFormat;
  /** Probability that a line assigns a digit rather than a variable (default 0.3, as the seed). */
  constantProb?: number;
  /**
   * Keep only programs the line-1/line-2 heuristic can ('reachable') or cannot ('unreachable')
   * solve — the seed's causal analysis excluded heuristic-solvable programs. Default 'any'.
   */
  heuristic?: 'any' | 'reachable' | 'unreachable';
  /** Rejection sampling gives up (with an error) after this many programs (default 10000). */
  maxAttempts?: number;
}

export interface ChainLink {
  /** 0-based index of the assignment line. */
  line: number;
  variable: string;
  /** Right-hand side text: the digit at the root, else the copied variable. */
  rhs: string;
  /** Referential depth of `variable` (1 at the root). */
  depth: number;
}

/**
 * The line-1/line-2 heuristic (the plateau strategy of a model trained from scratch): answer with
 * the digit assigned on the first or second line of the program. `lineDigits[i]` is the digit
 * assigned on line i+1, or null when that line copies a variable; `reachable` is true exactly when
 * the correct answer equals one of those digits, i.e. the heuristic can get this program right.
 */
export interface HeuristicInfo {
  lineDigits: (number | null)[];
  reachable: boolean;
}

export interface BindingMetadata {
  [key: string]: unknown;
  format: QueryFormat;
  queryVariable: string;
  hops: number;
  /** From the query's assignment back to the root digit. */
  chain: ChainLink[];
  /** Referential depth of each assignment line's variable, by line. */
  depths: number[];
  distractorChains: number;
  /** 0-based line of the root digit. */
  rootLine: number;
  heuristic: HeuristicInfo;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** Generates one binding program of `seqLen` assignment lines (plus the query line). */
export function bindingProgram(
  seqLen: number,
  rng: Rng,
  options: BindingOptions = {},
): GeneratedProgram<number, BindingMetadata> {
  const opts = checkOptions(seqLen, options);
  const target =
    opts.hops === 'balanced' ? rng.int(1, Math.min(opts.maxHops, seqLen)) : opts.hops === 'cubic' ? undefined : opts.hops;
  for (let attempt = 0; attempt < opts.maxAttempts; attempt++) {
    const lines = drawAssignments(seqLen, rng, opts.maxHops, opts.constantProb);
    const query = pickQuery(lines, rng, target, opts.maxHops);
    if (query === undefined) continue;
    const program = [...lines.map((l) => `${l.lhs} = ${l.rhs}`), opts.queryFormat === 'seed' ? `#${query}: ` : `#${query}:`].join('\n');
    const metadata = bindingMetadata(parseBindingProgram(program), opts.queryFormat);
    if (opts.distractorChains !== 'any' && metadata.distractorChains !== opts.distractorChains) continue;
    if (opts.heuristic !== 'any' && metadata.heuristic.reachable !== (opts.heuristic === 'reachable')) continue;
    return { program, answer: Number(metadata.chain[metadata.chain.length - 1].rhs), metadata };
  }
  throw new IntrospectError(
    `no program with ${target ?? 'any'} hops, ${opts.distractorChains} distractor chains and heuristic ${opts.heuristic} in ${seqLen} lines after ${opts.maxAttempts} attempts`,
    'binding options',
  );
}

interface Line {
  lhs: string;
  rhs: string;
  depth: number;
}

function drawAssignments(seqLen: number, rng: Rng, maxHops: number, constantProb: number): Line[] {
  const lines: Line[] = [];
  const depth = new Map<string, number>();
  for (let i = 0; i < seqLen; i++) {
    const lhs = rng.choice(LETTERS.filter((v) => !depth.has(v)));
    const copyable = [...depth].filter(([, d]) => d < maxHops);
    let line: Line;
    if (copyable.length === 0 || rng.chance(constantProb)) {
      line = { lhs, rhs: String(rng.int(0, 9)), depth: 1 };
    } else {
      // The seed's cubic weighting: deeper variables are copied more often, so long chains occur.
      const [rhs, d] = rng.weighted(copyable, copyable.map(([, d]) => d ** 3));
      line = { lhs, rhs, depth: d + 1 };
    }
    depth.set(lhs, line.depth);
    lines.push(line);
  }
  return lines;
}

function pickQuery(lines: Line[], rng: Rng, target: number | undefined, maxHops: number): string | undefined {
  if (target === undefined) {
    const pool = lines.filter((l) => l.depth <= maxHops);
    return rng.weighted(pool, pool.map((l) => l.depth ** 3)).lhs;
  }
  const pool = lines.filter((l) => l.depth === target);
  return pool.length ? rng.choice(pool).lhs : undefined;
}

const OPTION_KEYS = ['hops', 'maxHops', 'distractorChains', 'queryFormat', 'constantProb', 'heuristic', 'maxAttempts'];

function checkOptions(seqLen: number, o: BindingOptions): Required<BindingOptions> {
  const where = 'binding options';
  if (!Number.isInteger(seqLen) || seqLen < 1 || seqLen > LETTERS.length) {
    throw new IntrospectError(`seqLen must be 1..${LETTERS.length} (one fresh letter per line), got ${seqLen}`, where);
  }
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) throw new IntrospectError(`unknown option "${key}" (known: ${OPTION_KEYS.join(', ')})`, where);
  }
  const maxHops = o.maxHops ?? 4;
  if (!Number.isInteger(maxHops) || maxHops < 1) throw new IntrospectError(`maxHops must be a positive integer, got ${maxHops}`, where);
  const hops = o.hops ?? 'balanced';
  if (typeof hops === 'number' && (!Number.isInteger(hops) || hops < 1 || hops > Math.min(maxHops, seqLen))) {
    throw new IntrospectError(`hops must be 1..${Math.min(maxHops, seqLen)} for ${seqLen} lines, got ${hops}`, where);
  }
  if (typeof hops === 'string' && hops !== 'balanced' && hops !== 'cubic') {
    throw new IntrospectError(`hops must be a number, 'balanced' or 'cubic', got ${hops}`, where);
  }
  const distractorChains = o.distractorChains ?? 'any';
  if (distractorChains !== 'any' && (!Number.isInteger(distractorChains) || distractorChains < 0 || distractorChains >= seqLen)) {
    throw new IntrospectError(`distractorChains must be 0..${seqLen - 1} or 'any', got ${distractorChains}`, where);
  }
  const queryFormat = o.queryFormat ?? 'paper';
  if (queryFormat !== 'paper' && queryFormat !== 'seed') throw new IntrospectError(`queryFormat must be 'paper' or 'seed'`, where);
  const constantProb = o.constantProb ?? 0.3;
  if (!(constantProb > 0 && constantProb <= 1)) throw new IntrospectError(`constantProb must be in (0, 1], got ${constantProb}`, where);
  const heuristic = o.heuristic ?? 'any';
  if (!['any', 'reachable', 'unreachable'].includes(heuristic)) throw new IntrospectError(`heuristic must be 'any', 'reachable' or 'unreachable'`, where);
  const maxAttempts = o.maxAttempts ?? 10000;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new IntrospectError(`maxAttempts must be a positive integer`, where);
  return { hops, maxHops, distractorChains, queryFormat, constantProb, heuristic, maxAttempts };
}

// ---------------------------------------------------------------------------------------------
// Parsing, chains, token targets

export interface ParsedAssignment {
  /** 0-based line index. */
  line: number;
  lhs: string;
  rhs: string;
  rhsKind: 'const' | 'var';
  /** Character offsets into the program text: line start, LHS start, RHS [start, end). */
  lineStart: number;
  lhsStart: number;
  rhsStart: number;
  rhsEnd: number;
}

export interface ParsedQuery {
  variable: string;
  line: number;
  lineStart: number;
  /** The query variable's [start, end) and the colon's offset. */
  varStart: number;
  varEnd: number;
  colon: number;
}

export interface ParsedBindingProgram {
  text: string;
  assignments: ParsedAssignment[];
  query: ParsedQuery;
}

const ASSIGN = /^(\s*)([A-Za-z_]\w*)(\s*=\s*)(\d+|[A-Za-z_]\w*)\s*$/;
const QUERY = /^(#\s*)([A-Za-z_]\w*)(\s*):\s*$/;

/** Parses a binding program: assignment lines, then one query line (trailing blank lines allowed). */
export function parseBindingProgram(text: string): ParsedBindingProgram {
  const assignments: ParsedAssignment[] = [];
  let query: ParsedQuery | undefined;
  let offset = 0;
  const lines = text.split('\n');
  lines.forEach((raw, line) => {
    const lineStart = offset;
    offset += raw.length + 1;
    if (raw.trim() === '') return;
    if (query) throw new IntrospectError(`line ${line + 1}: nothing may follow the query line`, 'binding program');
    const a = ASSIGN.exec(raw);
    if (a) {
      const lhsStart = lineStart + a[1].length;
      const rhsStart = lhsStart + a[2].length + a[3].length;
      assignments.push({
        line,
        lhs: a[2],
        rhs: a[4],
        rhsKind: /^\d/.test(a[4]) ? 'const' : 'var',
        lineStart,
        lhsStart,
        rhsStart,
        rhsEnd: rhsStart + a[4].length,
      });
      return;
    }
    const q = QUERY.exec(raw);
    if (q) {
      const varStart = lineStart + q[1].length;
      const varEnd = varStart + q[2].length;
      query = { variable: q[2], line, lineStart, varStart, varEnd, colon: varEnd + q[3].length };
      return;
    }
    throw new IntrospectError(`line ${line + 1}: expected "v = digit", "v = w" or "#v:", got ${JSON.stringify(raw)}`, 'binding program');
  });
  if (!query) throw new IntrospectError('no query line "#v:"', 'binding program');
  return { text, assignments, query };
}

/**
 * Follows the queried variable back to its root digit with Python semantics: a name read on a
 * line refers to its latest assignment above that line. Links carry their referential depth.
 */
export function bindingChain(parsed: ParsedBindingProgram, variable = parsed.query.variable): ChainOf {
  const start = latestAssignment(parsed, variable, parsed.query.line);
  if (!start) throw new IntrospectError(`NameError: '${variable}' is not defined before the query`, 'binding program');
  return chainFrom(parsed, start);
}

type ChainOf = (ParsedAssignment & { depth: number })[];

function chainFrom(parsed: ParsedBindingProgram, start: ParsedAssignment): ChainOf {
  const links = [start];
  for (let a = start; a.rhsKind === 'var'; ) {
    const next = latestAssignment(parsed, a.rhs, a.line);
    if (!next) throw new IntrospectError(`NameError: '${a.rhs}' is not defined before line ${a.line + 1}`, 'binding program');
    links.push(next);
    a = next;
  }
  return links.map((l, i) => ({ ...l, depth: links.length - i }));
}

function latestAssignment(parsed: ParsedBindingProgram, name: string, beforeLine: number): ParsedAssignment | undefined {
  for (let i = parsed.assignments.length - 1; i >= 0; i--) {
    const a = parsed.assignments[i];
    if (a.line < beforeLine && a.lhs === name) return a;
  }
  return undefined;
}

/** The value the query variable holds. */
export function bindingAnswer(parsed: ParsedBindingProgram): number {
  const chain = bindingChain(parsed);
  return Number(chain[chain.length - 1].rhs);
}

/** Metadata of a parsed program (see BindingMetadata). */
export function bindingMetadata(parsed: ParsedBindingProgram, format: QueryFormat): BindingMetadata {
  const chain = bindingChain(parsed);
  const depths = parsed.assignments.map((a) => chainFrom(parsed, a).length);
  const answer = Number(chain[chain.length - 1].rhs);
  const lineDigits = parsed.assignments.slice(0, 2).map((a) => (a.rhsKind === 'const' ? Number(a.rhs) : null));
  const roots = parsed.assignments.filter((a) => a.rhsKind === 'const').length;
  return {
    format,
    queryVariable: parsed.query.variable,
    hops: chain.length,
    chain: chain.map((c) => ({ line: c.line, variable: c.lhs, rhs: c.rhs, depth: c.depth })),
    depths,
    distractorChains: roots - 1,
    rootLine: chain[chain.length - 1].line,
    heuristic: { lineDigits, reachable: lineDigits.includes(answer) },
  };
}

/** A character range to patch in causal tracing, labelled like the seed ("Ref Depth 1 RHS"). */
export interface BindingTarget {
  label: string;
  kind: 'rhs' | 'query' | 'colon';
  /** Referential depth for RHS targets. */
  depth?: number;
  line: number;
  start: number;
  end: number;
}

/** RHS of every chain link (by referential depth), the query variable and the query colon. */
export function bindingTargets(parsed: ParsedBindingProgram): BindingTarget[] {
  const q = parsed.query;
  return [
    ...bindingChain(parsed)
      .slice()
      .reverse()
      .map((c) => ({ label: `Ref Depth ${c.depth} RHS`, kind: 'rhs' as const, depth: c.depth, line: c.line, start: c.rhsStart, end: c.rhsEnd })),
    { label: 'Query variable', kind: 'query', line: q.line, start: q.varStart, end: q.varEnd },
    { label: 'Query colon', kind: 'colon', line: q.line, start: q.colon, end: q.colon + 1 },
  ];
}

// ---------------------------------------------------------------------------------------------
// Counterfactuals

export type CounterfactualResult =
  | {
      ok: true;
      clean: string;
      counterfactual: string;
      cleanAnswer: number;
      cfAnswer: number;
      /** The root digit that was changed: line and [start, end) in both texts. */
      changed: { line: number; start: number; end: number };
      /** Token count of both texts under the given tokenizer. */
      tokens: number;
    }
  | { ok: false; reason: string };

/**
 * Changes the root digit of the queried variable's chain (nothing else) to another digit, trying
 * the other digits in random order until clean and counterfactual have the same token count under
 * `countTokens` (the model's tokenizer), so positions line up for activation patching.
 */
export function bindingCounterfactual(program: string, rng: Rng, countTokens: (s: string) => number): CounterfactualResult {
  const parsed = parseBindingProgram(program);
  const chain = bindingChain(parsed);
  const root = chain[chain.length - 1];
  if (!/^\d$/.test(root.rhs)) return { ok: false, reason: `root value ${root.rhs} on line ${root.line + 1} is not a single digit` };
  const tokens = countTokens(program);
  const tried: string[] = [];
  for (const d of rng.shuffle('0123456789'.split('').filter((d) => d !== root.rhs))) {
    const counterfactual = program.slice(0, root.rhsStart) + d + program.slice(root.rhsEnd);
    const n = countTokens(counterfactual);
    if (n === tokens) {
      return {
        ok: true,
        clean: program,
        counterfactual,
        cleanAnswer: Number(root.rhs),
        cfAnswer: Number(d),
        changed: { line: root.line, start: root.rhsStart, end: root.rhsEnd },
        tokens,
      };
    }
    tried.push(`${d}→${n}`);
  }
  return { ok: false, reason: `clean program has ${tokens} tokens; every other root digit changes the count (${tried.join(', ')})` };
}
