/**
 * Counterfactuals for any program the project's interpreter runs (loops, counters, arithmetic,
 * fibonacci, booleans, exceptions — not only binding chains): the integer and boolean literals of
 * the code are changed one at a time, earliest first (the root of the data flow in the benchmark's
 * programs), and the first whose change changes the queried variable's value, with prompts that
 * line up token by token, is the counterfactual. Both values come from the interpreter. Token
 * targets follow the change: the literal, every line that reads a variable the change altered,
 * the query and the final token.
 */
import type { TokenSpan, TraceTarget } from '../api/types';
import { IntrospectError } from '../errors';
import { PyException, PyFunction, pyRepr, runPython } from '../tasks/interpreter';
import type { Rng } from '../tasks/rng';
import type { Tokenizer } from '../tokenizer';
import { alignedCounterfactual, type Counterfactual, type LiteralSite } from './counterfactual';
import { lastTokenOver } from './targets';

/** Statements one interpreter run may execute: a hover-sized program needs far fewer. */
const MAX_STEPS = 100_000;

export interface FlowCounterfactual extends Counterfactual {
  /** 0-based line of the changed literal. */
  line: number;
  /** Variables whose final values differ between the runs: where the change flowed. */
  altered: string[];
}

export type FlowResult = ({ ok: true } & FlowCounterfactual) | { ok: false; reason: string };

/** The program's final value of `variable` as Python prints it; an IntrospectError when the program cannot run or leaves it unset. */
function valueAfter(prompt: string, variable: string): { value: string; globals: Map<string, string> } {
  const globals = new Map<string, string>();
  try {
    // A function's text would show an address: it is compared by name.
    for (const [name, v] of runPython(prompt, { maxSteps: MAX_STEPS })) globals.set(name, v instanceof PyFunction ? `def ${name}` : pyRepr(v));
  } catch (e) {
    if (e instanceof PyException) throw new IntrospectError(`the program raises ${e.message}, so '${variable}' has no value to trace`, 'program');
    if (e instanceof IntrospectError && e.subject === 'program')
      throw new IntrospectError(`Introspect's interpreter, which finds the literals '${variable}' depends on, does not run this code (${e.message.replace(/^program: /, '')}); tracing needs a binding chain ("${variable} = 5", "${variable} = y") or code in its Python subset`, 'program');
    throw e;
  }
  const value = globals.get(variable);
  if (value === undefined) throw new IntrospectError(`the program never assigns '${variable}' at the top level`, 'variable');
  return { value, globals };
}

/** Builds the counterfactual of `prompt` (code, then the query line) for `variable`; refusals say why. */
export function literalCounterfactual(tokenizer: Tokenizer, prompt: string, variable: string, rng: Rng): FlowResult {
  const clean = valueAfter(prompt, variable);
  const sites = literalSites(prompt);
  if (sites.length === 0) return { ok: false, reason: `the code has no integer or boolean literal to change, so there is no counterfactual of '${variable}'` };
  const tried: string[] = [];
  for (const site of sites) {
    let altered: string[] = [];
    const r = alignedCounterfactual(
      tokenizer,
      prompt,
      site,
      clean.value,
      (_value, cfPrompt) => {
        let cf;
        try {
          cf = valueAfter(cfPrompt, variable);
        } catch {
          return undefined; // the changed program raises or stops: not a counterfactual
        }
        altered = [...cf.globals].filter(([name, v]) => clean.globals.get(name) !== v).map(([name]) => name);
        return cf.value;
      },
      rng,
    );
    const line = prompt.slice(0, site.start).split('\n').length - 1;
    if (r.ok) return { ...r, line, altered };
    tried.push(`${site.text} (line ${line + 1}): ${r.rejected.slice(0, 3).join('; ')}`);
  }
  return { ok: false, reason: `no literal of the code changes '${variable}' (${clean.value}) with a prompt that lines up token by token: ${tried.join(' | ')}` };
}

/** Integer and boolean literals outside strings and comments, in the order they appear. */
export function literalSites(prompt: string): LiteralSite[] {
  const sites: LiteralSite[] = [];
  let offset = 0;
  for (const line of prompt.split('\n')) {
    const code = codePart(line);
    for (const m of code.matchAll(/(?<![\w.])(\d+|True|False)(?![\w.])/g)) sites.push({ start: offset + m.index, end: offset + m.index + m[1].length, text: m[1] });
    offset += line.length + 1;
  }
  return sites;
}

/** The line with strings blanked and its comment cut, so positions stay those of the line. */
function codePart(line: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') {
        out += '  ';
        i++;
      } else {
        if (c === quote) quote = undefined;
        out += ' ';
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      out += ' ';
    } else if (c === '#') break;
    else out += c;
  }
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'elif', 'else', 'while', 'for', 'def', 'return', 'try', 'except', 'break', 'continue', 'pass', 'True', 'False', 'None']);

/** Where a line reads names: everything right of an assignment's `=` (and an augmented target), else the whole line but a `for` target. */
export function readsOf(line: string): { name: string; start: number; end: number }[] {
  const code = codePart(line);
  let from = 0;
  let augmented: RegExpExecArray | null = null;
  const assign = /^(\s*)([^=]*?)(\/\/|\*\*|[-+*/%])?=(?!=)/.exec(code);
  if (assign && !/[<>!]$/.test(assign[2]) && !/^\s*(if|elif|while|return|for)\b/.test(code)) {
    from = assign[0].length;
    if (assign[3]) augmented = /[A-Za-z_]\w*/.exec(assign[2]);
  }
  const loop = /^\s*for\s+.*?\s+in\s/.exec(code);
  if (loop) from = loop[0].length;
  const reads = [...code.slice(from).matchAll(/(?<![\w.])[A-Za-z_]\w*(?!\w)/g)]
    .filter((m) => !KEYWORDS.has(m[0]) && code[from + m.index + m[0].length] !== '(')
    .map((m) => ({ name: m[0], start: from + m.index, end: from + m.index + m[0].length }));
  if (augmented) reads.unshift({ name: augmented[0], start: assign![1].length + augmented.index, end: assign![1].length + augmented.index + augmented[0].length });
  return reads;
}

/**
 * Targets of a flow trace: the changed literal, each line that reads a variable the change
 * altered (at the last such name on the line), the query variable and the final token.
 */
export function flowTargets(prompt: string, cf: FlowCounterfactual, tokens: TokenSpan[]): TraceTarget[] {
  const lines = prompt.split('\n');
  const queryLine = lines.length - 1;
  const targets: TraceTarget[] = [{ label: 'Changed literal', kind: 'literal', line: cf.line, pos: lastTokenOver(tokens, cf.changed.start, cf.changed.end) }];
  let offset = 0;
  lines.forEach((text, line) => {
    const read = line < queryLine ? readsOf(text).filter((r) => cf.altered.includes(r.name)) : [];
    const last = read.at(-1);
    if (last) {
      const names = [...new Set(read.map((r) => r.name))].join(', ');
      targets.push({ label: `Line ${line + 1} reads ${names}`, kind: 'read', line, pos: lastTokenOver(tokens, offset + last.start, offset + last.end) });
    }
    offset += text.length + 1;
  });
  // The query line is `#name:`.
  const qStart = prompt.length - lines[queryLine].length + 1;
  targets.push({ label: 'Query variable', kind: 'query', line: queryLine, pos: lastTokenOver(tokens, qStart, prompt.length - 1) });
  targets.push({ label: 'Final token', kind: 'final', line: queryLine, pos: tokens.length - 1 });
  return targets;
}
