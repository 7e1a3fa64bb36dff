/**
 * The binding chain of a queried variable in Python-ish code: from the variable's latest
 * assignment back, through `x = y` copies, to the `x = <int literal>` at its root. Works on the
 * paper's programs (arXiv 2505.20896: `v = digit` / `v = w` lines) and on general code, where only
 * the lines that bind a name on the chain matter.
 *
 * Names resolve textually, as straight-line code: a name read on a line refers to the latest line
 * above it that binds the name. Control flow (branches, loops, functions) is not followed, so a
 * chain through code inside an `if` is the chain of the path that runs every line.
 */
import { IntrospectError } from '../errors';
import { variablePrompt } from '../predict';

export interface ChainLink {
  /** 0-based line in the prompt. */
  line: number;
  variable: string;
  rhs: string;
  rhsKind: 'int' | 'var';
  /** Character range [rhsStart, rhsEnd) of the right-hand side in the prompt. */
  rhsStart: number;
  rhsEnd: number;
  /** Referential depth of `variable`: 1 when it is assigned the literal, else 1 + its source's. */
  depth: number;
}

export interface TraceProgram {
  /** The code followed by the query line `#x:` (predict.variablePrompt). */
  prompt: string;
  variable: string;
  /** From the queried variable's own assignment (depth = hops) back to the root (depth 1). */
  chain: ChainLink[];
  /** Character range of the variable name in the query line, and of the prompt's last character. */
  query: { start: number; end: number };
}

/** The queried variable is bound nowhere in the code: no way of tracing it can help. */
export class UnassignedError extends IntrospectError {}

/** `name = name` or `name = 123`, with an optional trailing comment. */
const SIMPLE = /^(\s*)([A-Za-z_]\w*)(\s*=\s*)(\d+|[A-Za-z_]\w*)\s*(#.*)?$/;
const KEYWORDS = new Set(['True', 'False', 'None']);

interface Line {
  text: string;
  start: number;
}

/** Parses `code` queried about `variable` and follows the chain; throws an IntrospectError saying why when there is none. */
export function traceProgram(code: string, variable: string): TraceProgram {
  const prompt = variablePrompt(code, variable);
  const lines: Line[] = [];
  let offset = 0;
  for (const text of prompt.split('\n')) {
    lines.push({ text, start: offset });
    offset += text.length + 1;
  }
  const queryLine = lines[lines.length - 1];
  const query = { start: queryLine.start + 1, end: queryLine.start + 1 + variable.length };

  const links: Omit<ChainLink, 'depth'>[] = [];
  let name = variable;
  let before = lines.length - 1;
  for (;;) {
    const at = latestBinding(lines, name, before);
    if (at === undefined) {
      if (before === lines.length - 1) throw new UnassignedError(`'${name}' is not assigned before the query`, 'variable');
      throw new IntrospectError(`'${name}' is not assigned before line ${before + 1}`, 'variable');
    }
    const m = SIMPLE.exec(lines[at].text);
    if (!m || m[2] !== name || KEYWORDS.has(m[4]))
      throw new IntrospectError(
        `line ${at + 1} (${JSON.stringify(lines[at].text.trim())}) binds '${name}' other than as "${name} = <int>" or "${name} = <variable>", so there is no literal to change`,
        'variable',
      );
    const rhsStart = lines[at].start + m[1].length + m[2].length + m[3].length;
    const rhsKind = /^\d/.test(m[4]) ? 'int' : 'var';
    links.push({ line: at, variable: name, rhs: m[4], rhsKind, rhsStart, rhsEnd: rhsStart + m[4].length });
    if (rhsKind === 'int') break;
    name = m[4];
    before = at;
  }
  return { prompt, variable, chain: links.map((l, i) => ({ ...l, depth: links.length - i })), query };
}

/** The latest line above `before` that binds `name` in any way (assignment, augmented, for, import, def, ...). */
function latestBinding(lines: Line[], name: string, before: number): number | undefined {
  for (let i = before - 1; i >= 0; i--) if (binds(lines[i].text, name)) return i;
  return undefined;
}

function binds(line: string, name: string): boolean {
  const code = line.replace(/#.*$/, '');
  const word = new RegExp(`(^|[^\\w.])${escape(name)}(?!\\w)`);
  if (!word.test(code)) return false;
  // Assignment targets (plain, augmented, annotated, tuple): the text left of the first lone `=`.
  const assign = /^\s*([^=]*?)(\/\/|\*\*|>>|<<|[-+*/%@&|^])?=(?!=)/.exec(code);
  if (assign && !/[<>!]$/.test(assign[1])) {
    // Subscripts and attributes write into an object (`x[0] = 1`, `x.a = 1`); they do not rebind x.
    const targets = assign[1].replace(/\[[^\]]*\]/g, '[]').replace(/:.*$/, '');
    if (new RegExp(`(^|[^\\w.])${escape(name)}\\s*(?![\\w.[\\s])`).test(targets)) return true;
  }
  const loop = /^\s*(?:async\s+)?for\s+(.*?)\s+in\s/.exec(code);
  if (loop && word.test(loop[1])) return true;
  if (new RegExp(`(^|[\\s(])(as|def|class|global|nonlocal|del)\\s+([\\w\\s,]*,\\s*)?${escape(name)}(?!\\w)`).test(code)) return true;
  const imp = /^\s*(?:from\s+\S+\s+)?import\s+(.*)$/.exec(code);
  if (imp) {
    // `import a.b` binds a; `import a.b as c` and `from m import a as c` bind c.
    const bound = imp[1].replace(/[()]/g, '').split(',').map((item) => {
      const [target, alias] = item.trim().split(/\s+as\s+/);
      return alias ?? target.split('.')[0];
    });
    if (bound.includes(name)) return true;
  }
  return new RegExp(`(^|[^\\w.])${escape(name)}\\s*:=`).test(code);
}

const escape = (s: string) => s.replace(/[$]/g, '\\$');
