/**
 * An interpreter for the Python subset the task generators emit, with Python's semantics
 * (floor division and modulo round toward −∞, `and`/`or` return an operand, bools are ints,
 * ZeroDivisionError / NameError can be caught by `except`). It is the ground truth the tests
 * check generators against and the engine of the oracle model.
 *
 * Statements: `a = e`, `a, b = e1, e2`, `a += e` (also -= *= //= %=), `for v in range(...):`,
 * `try:` / `except [Name]:`, `pass`, comments (so a binding query `#q:` is ignored).
 * Expressions: integers, True/False, names, `not`/`and`/`or`, comparisons, + - * // %, unary −,
 * `abs(e)`, parentheses.
 */
import { IntrospectError } from '../errors';

export type PyValue = number | boolean;

/** A Python exception raised while running the program (uncaught ones escape runPython). */
export class PyException extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`${type}: ${message}`);
    this.name = 'PyException';
  }
}

/** Runs a program; returns its globals in assignment order. */
export function runPython(source: string): Map<string, PyValue> {
  const lines = source.split('\n').flatMap((raw, i) => {
    const code = raw.replace(/#.*$/, '').trimEnd();
    if (code.trim() === '') return [];
    const indent = code.length - code.trimStart().length;
    if (/^\s*\t/.test(code)) throw syntax(i, 'tabs are not supported');
    return [{ no: i + 1, indent, tokens: tokenize(code.trim(), i) }];
  });
  const [body, next] = parseBlock(lines, 0, 0);
  if (next !== lines.length) throw syntax(lines[next].no - 1, 'unexpected indent');
  const env = new Map<string, PyValue>();
  execBlock(body, env);
  return env;
}

// ---------------------------------------------------------------------------------------------
// Tokens and syntax tree

interface SrcLine {
  no: number;
  indent: number;
  tokens: string[];
}

type Expr =
  | { k: 'num'; v: PyValue }
  | { k: 'name'; name: string; line: number }
  | { k: 'un'; op: string; e: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr; line: number }
  | { k: 'call'; fn: string; args: Expr[]; line: number };

type Stmt =
  | { k: 'assign'; targets: string[]; values: Expr[] }
  | { k: 'aug'; target: string; op: string; value: Expr; line: number }
  | { k: 'for'; name: string; args: Expr[]; body: Stmt[]; line: number }
  | { k: 'try'; body: Stmt[]; handlers: { type: string | null; body: Stmt[] }[] }
  | { k: 'pass' };

const TOKEN = /\s*(\d+|[A-Za-z_]\w*|\/\/=|\/\/|==|!=|<=|>=|\+=|-=|\*=|%=|[-+*%()<>,:=])/y;

function tokenize(code: string, line: number): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < code.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(code);
    if (!m) throw syntax(line, `cannot read ${JSON.stringify(code.slice(at))}`);
    out.push(m[1]);
  }
  return out;
}

function syntax(line: number, msg: string): IntrospectError {
  return new IntrospectError(`line ${line + 1}: ${msg}`, 'program');
}

function parseBlock(lines: SrcLine[], i: number, indent: number): [Stmt[], number] {
  const out: Stmt[] = [];
  while (i < lines.length && lines[i].indent === indent) {
    const l = lines[i];
    const t = l.tokens;
    const head = t[0];
    if (head === 'for' || head === 'try' || head === 'except') {
      if (t[t.length - 1] !== ':') throw syntax(l.no - 1, `expected ":" after ${head}`);
      if (head === 'except') throw syntax(l.no - 1, '"except" without "try"');
      const [body, after] = parseSuite(lines, i);
      i = after;
      if (head === 'for') {
        if (t[2] !== 'in' || t[3] !== 'range' || t[4] !== '(' || t[t.length - 2] !== ')') {
          throw syntax(l.no - 1, 'only "for name in range(...):" loops are supported');
        }
        out.push({ k: 'for', name: t[1], args: splitCommas(t.slice(5, -2)).map((ts) => parseExpr(ts, l.no)), body, line: l.no });
        continue;
      }
      const handlers: { type: string | null; body: Stmt[] }[] = [];
      while (i < lines.length && lines[i].indent === indent && lines[i].tokens[0] === 'except') {
        const h = lines[i].tokens;
        const [hbody, hafter] = parseSuite(lines, i);
        handlers.push({ type: h.length === 3 ? h[1] : null, body: hbody });
        i = hafter;
      }
      if (!handlers.length) throw syntax(l.no - 1, '"try" without "except"');
      out.push({ k: 'try', body, handlers });
      continue;
    }
    out.push(parseSimple(t, l.no));
    i++;
  }
  if (i < lines.length && lines[i].indent > indent) throw syntax(lines[i].no - 1, 'unexpected indent');
  return [out, i];
}

/** The indented block under line i. */
function parseSuite(lines: SrcLine[], i: number): [Stmt[], number] {
  const inner = lines[i + 1];
  if (!inner || inner.indent <= lines[i].indent) throw syntax(lines[i].no - 1, 'expected an indented block');
  return parseBlock(lines, i + 1, inner.indent);
}

function parseSimple(t: string[], line: number): Stmt {
  if (t.length === 1 && t[0] === 'pass') return { k: 'pass' };
  const aug = ['+=', '-=', '*=', '//=', '%='].indexOf(t[1]);
  if (aug >= 0 && isName(t[0])) return { k: 'aug', target: t[0], op: t[1].slice(0, -1), value: parseExpr(t.slice(2), line), line };
  const eq = t.indexOf('=');
  if (eq > 0) {
    const targets = splitCommas(t.slice(0, eq)).map((ts) => {
      if (ts.length !== 1 || !isName(ts[0])) throw syntax(line - 1, 'assignment targets must be names');
      return ts[0];
    });
    const values = splitCommas(t.slice(eq + 1)).map((ts) => parseExpr(ts, line));
    if (targets.length !== values.length) throw syntax(line - 1, `cannot unpack ${values.length} values into ${targets.length} names`);
    return { k: 'assign', targets, values };
  }
  throw syntax(line - 1, `unsupported statement "${t.join(' ')}"`);
}

const KEYWORDS = new Set(['and', 'or', 'not', 'for', 'in', 'try', 'except', 'pass', 'True', 'False']);
function isName(s: string): boolean {
  return /^[A-Za-z_]\w*$/.test(s) && !KEYWORDS.has(s);
}

function splitCommas(t: string[]): string[][] {
  const parts: string[][] = [[]];
  let depth = 0;
  for (const tok of t) {
    if (tok === '(') depth++;
    if (tok === ')') depth--;
    if (tok === ',' && depth === 0) parts.push([]);
    else parts[parts.length - 1].push(tok);
  }
  return parts;
}

/** Precedence climbing over Python's levels: or < and < not < comparison < +,- < *,//,% < unary. */
function parseExpr(tokens: string[], line: number): Expr {
  let p = 0;
  const peek = () => tokens[p];
  const take = (tok?: string) => {
    if (tok !== undefined && tokens[p] !== tok) throw syntax(line - 1, `expected "${tok}", got "${tokens[p] ?? 'end of line'}"`);
    return tokens[p++];
  };
  const binary = (ops: string[], next: () => Expr) => (): Expr => {
    let a = next();
    while (ops.includes(peek())) {
      const op = take();
      a = { k: 'bin', op, a, b: next(), line };
    }
    return a;
  };
  const atom = (): Expr => {
    const tok = take();
    if (tok === undefined) throw syntax(line - 1, 'unexpected end of expression');
    if (/^\d+$/.test(tok)) return { k: 'num', v: Number(tok) };
    if (tok === 'True' || tok === 'False') return { k: 'num', v: tok === 'True' };
    if (tok === '(') {
      const e = orExpr();
      take(')');
      return e;
    }
    if (isName(tok)) {
      if (peek() !== '(') return { k: 'name', name: tok, line };
      take('(');
      const close = matching(tokens, p - 1);
      const args = splitCommas(tokens.slice(p, close)).map((ts) => parseExpr(ts, line));
      p = close + 1;
      return { k: 'call', fn: tok, args, line };
    }
    throw syntax(line - 1, `unexpected "${tok}"`);
  };
  const unary = (): Expr => (peek() === '-' || peek() === '+' ? { k: 'un', op: take(), e: unary() } : atom());
  const mul = binary(['*', '//', '%'], unary);
  const add = binary(['+', '-'], mul);
  const cmp = binary(['==', '!=', '<', '>', '<=', '>='], add);
  const not = (): Expr => (peek() === 'not' ? { k: 'un', op: take(), e: not() } : cmp());
  const andExpr = binary(['and'], not);
  const orExpr = binary(['or'], andExpr);
  const e = orExpr();
  if (p !== tokens.length) throw syntax(line - 1, `unexpected "${tokens[p]}"`);
  return e;
}

function matching(tokens: string[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === '(') depth++;
    if (tokens[i] === ')' && --depth === 0) return i;
  }
  throw new IntrospectError('unbalanced parentheses', 'program');
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function execBlock(body: Stmt[], env: Map<string, PyValue>): void {
  for (const s of body) {
    switch (s.k) {
      case 'pass':
        break;
      case 'assign': {
        const vals = s.values.map((v) => evalExpr(v, env)); // all right-hand sides first, as Python
        s.targets.forEach((t, i) => env.set(t, vals[i]));
        break;
      }
      case 'aug':
        env.set(s.target, arith(s.op, lookup(s.target, env, s.line), evalExpr(s.value, env)));
        break;
      case 'for': {
        const args = s.args.map((a) => toInt(evalExpr(a, env)));
        const [start, stop, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1];
        if (step === 0) throw new PyException('ValueError', 'range() arg 3 must not be zero');
        for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
          env.set(s.name, i);
          execBlock(s.body, env);
        }
        break;
      }
      case 'try':
        try {
          execBlock(s.body, env);
        } catch (e) {
          if (!(e instanceof PyException)) throw e;
          const h = s.handlers.find((h) => h.type === null || h.type === e.type || h.type === 'Exception');
          if (!h) throw e;
          execBlock(h.body, env);
        }
        break;
    }
  }
}

function lookup(name: string, env: Map<string, PyValue>, line: number): PyValue {
  const v = env.get(name);
  if (v === undefined) throw new PyException('NameError', `name '${name}' is not defined (line ${line})`);
  return v;
}

function evalExpr(e: Expr, env: Map<string, PyValue>): PyValue {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'name':
      return lookup(e.name, env, e.line);
    case 'un': {
      const v = evalExpr(e.e, env);
      return e.op === 'not' ? !truthy(v) : e.op === '-' ? 0 - toInt(v) : toInt(v);
    }
    case 'call': {
      if (e.fn !== 'abs' || e.args.length !== 1) throw new PyException('NameError', `unsupported call ${e.fn}() (line ${e.line})`);
      return Math.abs(toInt(evalExpr(e.args[0], env)));
    }
    case 'bin': {
      if (e.op === 'and' || e.op === 'or') {
        const a = evalExpr(e.a, env);
        return (e.op === 'and') === truthy(a) ? evalExpr(e.b, env) : a;
      }
      const a = toInt(evalExpr(e.a, env));
      const b = toInt(evalExpr(e.b, env));
      switch (e.op) {
        case '==':
          return a === b;
        case '!=':
          return a !== b;
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        case '>=':
          return a >= b;
        default:
          return arith(e.op, a, b);
      }
    }
  }
}

/** Integer arithmetic; `+ 0` turns JavaScript's −0 into Python's 0. */
function arith(op: string, x: PyValue, y: PyValue): number {
  return arithRaw(op, x, y) + 0;
}

function arithRaw(op: string, x: PyValue, y: PyValue): number {
  const a = toInt(x);
  const b = toInt(y);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '//':
      if (b === 0) throw new PyException('ZeroDivisionError', 'integer division or modulo by zero');
      return Math.floor(a / b);
    case '%':
      if (b === 0) throw new PyException('ZeroDivisionError', 'integer modulo by zero');
      return ((a % b) + b) % b;
  }
  throw new IntrospectError(`unsupported operator ${op}`, 'program');
}

function truthy(v: PyValue): boolean {
  return typeof v === 'boolean' ? v : v !== 0;
}

function toInt(v: PyValue): number {
  return typeof v === 'boolean' ? Number(v) : v;
}
