/**
 * Parses the Python subset into a syntax tree: blocks by indentation, statements line by line,
 * expressions by precedence climbing over Python's levels. Anything outside the subset is an
 * IntrospectError naming the line and the construct, never a silent misreading.
 */
import { syntaxError, type SrcLine, type Token, tokenizeProgram } from './pyTokenizer';

type Literal = number | boolean | string | null;

export type Expr =
  | { k: 'const'; v: Literal }
  | { k: 'name'; name: string; line: number }
  | { k: 'list'; items: Expr[] }
  | { k: 'unary'; op: string; e: Expr }
  | { k: 'binary'; op: string; a: Expr; b: Expr }
  | { k: 'logic'; op: 'and' | 'or'; a: Expr; b: Expr }
  /** `a < b <= c`: each link compares neighbours, stopping at the first false one, as in Python. */
  | { k: 'compare'; first: Expr; rest: { op: string; e: Expr }[] }
  | { k: 'call'; fn: Expr; args: Expr[] }
  | { k: 'append'; list: Expr; args: Expr[] }
  | { k: 'index'; seq: Expr; index: Expr }
  | { k: 'slice'; seq: Expr; lo: Expr | null; hi: Expr | null; step: Expr | null };

export type Target = { k: 'name'; name: string; line: number } | { k: 'index'; seq: Expr; index: Expr };

export interface FunctionDef {
  name: string;
  params: string[];
  body: Stmt[];
  /** Names the body binds: local in every call, as Python decides when it compiles the function. */
  locals: Set<string>;
}

export type Stmt = { line: number } & (
  | { k: 'assign'; targets: Target[][]; values: Expr[] }
  | { k: 'aug'; target: Target; op: string; value: Expr }
  | { k: 'expr'; e: Expr }
  | { k: 'if'; tests: { cond: Expr; body: Stmt[] }[]; orelse: Stmt[] }
  | { k: 'while'; cond: Expr; body: Stmt[] }
  | { k: 'for'; name: string; iter: Expr; body: Stmt[] }
  | { k: 'try'; body: Stmt[]; handlers: { types: string[] | null; body: Stmt[] }[] }
  | { k: 'def'; def: FunctionDef }
  | { k: 'return'; value: Expr | null }
  | { k: 'break' }
  | { k: 'continue' }
  | { k: 'pass' }
);

export function parseProgram(source: string): Stmt[] {
  const lines = tokenizeProgram(source);
  const [body, next] = parseBlock(lines, 0, 0, { inFunction: false, inLoop: false });
  if (next !== lines.length) throw syntaxError(lines[next].no, 'unexpected indent');
  return body;
}

// ---------------------------------------------------------------------------------------------
// Statements

/** Where a statement sits, for Python's compile-time checks (`return` outside a function, ...). */
interface Context {
  inFunction: boolean;
  inLoop: boolean;
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);
const UNSUPPORTED_STATEMENTS = new Set(['assert', 'async', 'await', 'class', 'del', 'from', 'global', 'import', 'lambda', 'nonlocal', 'raise', 'with', 'yield']);
const AUGMENTED = ['+=', '-=', '*=', '//=', '%='];

function parseBlock(lines: SrcLine[], i: number, indent: number, ctx: Context): [Stmt[], number] {
  const out: Stmt[] = [];
  while (i < lines.length && lines[i].indent === indent) {
    const [stmt, next] = parseStatement(lines, i, ctx);
    out.push(stmt);
    i = next;
  }
  if (i < lines.length && lines[i].indent > indent) throw syntaxError(lines[i].no, 'unexpected indent');
  return [out, i];
}

/** The indented block under line i. */
function parseSuite(lines: SrcLine[], i: number, ctx: Context): [Stmt[], number] {
  const inner = lines[i + 1];
  if (!inner || inner.indent <= lines[i].indent) throw syntaxError(lines[i].no, 'expected an indented block');
  return parseBlock(lines, i + 1, inner.indent, ctx);
}

/** The line at i if it continues the compound statement at `indent` with `keyword` (elif, else, except). */
function continuation(lines: SrcLine[], i: number, indent: number, keyword: string): SrcLine | undefined {
  const l = lines[i];
  return l && l.indent === indent && isKeyword(l.tokens[0], keyword) ? l : undefined;
}

function parseStatement(lines: SrcLine[], i: number, ctx: Context): [Stmt, number] {
  const l = lines[i];
  const head = l.tokens[0].t === 'name' ? l.tokens[0].v : '';
  const line = l.no;
  switch (head) {
    case 'if': {
      const tests: { cond: Expr; body: Stmt[] }[] = [];
      let at = i;
      let clause: SrcLine | undefined = l;
      while (clause) {
        const cond = parseExpr(header(clause).slice(1), clause.no);
        const [body, after] = parseSuite(lines, at, ctx);
        tests.push({ cond, body });
        at = after;
        clause = continuation(lines, at, l.indent, 'elif');
      }
      let orelse: Stmt[] = [];
      const elseLine = continuation(lines, at, l.indent, 'else');
      if (elseLine) {
        if (header(elseLine).length !== 1) throw syntaxError(elseLine.no, 'expected ":" right after "else"');
        [orelse, at] = parseSuite(lines, at, ctx);
      }
      return [{ k: 'if', line, tests, orelse }, at];
    }
    case 'while': {
      const cond = parseExpr(header(l).slice(1), line);
      const [body, after] = parseSuite(lines, i, { ...ctx, inLoop: true });
      noLoopElse(lines, after, l);
      return [{ k: 'while', line, cond, body }, after];
    }
    case 'for': {
      const t = header(l);
      if (t[1]?.t !== 'name' || !isName(t[1].v) || !isKeyword(t[2], 'in')) throw syntaxError(line, 'only "for name in iterable:" loops are supported');
      const iter = parseExpr(t.slice(3), line);
      const [body, after] = parseSuite(lines, i, { ...ctx, inLoop: true });
      noLoopElse(lines, after, l);
      return [{ k: 'for', line, name: t[1].v, iter, body }, after];
    }
    case 'def': {
      if (ctx.inFunction) throw syntaxError(line, 'nested functions are not supported');
      const { name, params } = parseSignature(header(l), line);
      const [body, after] = parseSuite(lines, i, { inFunction: true, inLoop: false });
      const locals = new Set(params);
      boundNames(body, locals);
      return [{ k: 'def', line, def: { name, params, body, locals } }, after];
    }
    case 'try': {
      if (header(l).length !== 1) throw syntaxError(line, 'expected ":" right after "try"');
      const [body, first] = parseSuite(lines, i, ctx);
      const handlers: { types: string[] | null; body: Stmt[] }[] = [];
      let at = first;
      for (let h = continuation(lines, at, l.indent, 'except'); h; h = continuation(lines, at, l.indent, 'except')) {
        if (handlers.length && handlers[handlers.length - 1].types === null) throw syntaxError(h.no, 'a bare "except:" must be the last handler');
        const [hbody, after] = parseSuite(lines, at, ctx);
        handlers.push({ types: exceptTypes(header(h), h), body: hbody });
        at = after;
      }
      if (!handlers.length) throw syntaxError(line, '"try" without "except"');
      const extra = continuation(lines, at, l.indent, 'else') ?? continuation(lines, at, l.indent, 'finally');
      if (extra) throw syntaxError(extra.no, `"${extra.tokens[0].v}" after "try" is not supported`);
      return [{ k: 'try', line, body, handlers }, at];
    }
    case 'elif':
    case 'else':
      throw syntaxError(line, `"${head}" without "if"`);
    case 'except':
    case 'finally':
      throw syntaxError(line, `"${head}" without "try"`);
  }
  return [parseSimple(l, ctx), i + 1];
}

/** A compound statement's header tokens without the final colon. */
function header(l: SrcLine): Token[] {
  const last = l.tokens[l.tokens.length - 1];
  if (!isOp(last, ':')) throw syntaxError(l.no, `expected ":" at the end of the "${l.tokens[0].v}" line (its body goes on the indented lines below)`);
  return l.tokens.slice(0, -1);
}

function noLoopElse(lines: SrcLine[], i: number, loop: SrcLine): void {
  const e = continuation(lines, i, loop.indent, 'else');
  if (e) throw syntaxError(e.no, `"else" after "${loop.tokens[0].v}" is not supported`);
}

/** `def name(a, b)` → name and parameter names. */
function parseSignature(t: Token[], line: number): { name: string; params: string[] } {
  const unsupported = () => syntaxError(line, 'expected "def name(a, b, ...):" with plain parameter names');
  if (t[1]?.t !== 'name' || !isName(t[1].v) || !isOp(t[2], '(') || !isOp(t[t.length - 1], ')')) throw unsupported();
  const inner = t.slice(3, -1);
  const params: string[] = [];
  for (let p = 0; p < inner.length; p += 2) {
    const tok = inner[p];
    if (tok.t !== 'name' || !isName(tok.v) || (p + 1 < inner.length && !isOp(inner[p + 1], ','))) throw unsupported();
    if (params.includes(tok.v)) throw syntaxError(line, `duplicate parameter "${tok.v}"`);
    params.push(tok.v);
  }
  return { name: t[1].v, params };
}

/** `except`, `except Name`, `except (A, B)` → null (any exception) or the names. */
function exceptTypes(t: Token[], l: SrcLine): string[] | null {
  if (t.length === 1) return null;
  const inner = isOp(t[1], '(') && isOp(t[t.length - 1], ')') ? t.slice(2, -1) : t.slice(1);
  const names = inner.filter((_, p) => p % 2 === 0);
  const wellFormed = inner.length % 2 === 1 && inner.every((tok, p) => (p % 2 === 0 ? tok.t === 'name' && isName(tok.v) : isOp(tok, ',')));
  if (!wellFormed) throw syntaxError(l.no, `unsupported except clause "${l.text}"`);
  return names.map((n) => n.v as string);
}

/** Adds the names a function body binds (assignment, augmented assignment and for targets). */
function boundNames(body: Stmt[], out: Set<string>): void {
  const add = (t: Target) => t.k === 'name' && out.add(t.name);
  for (const s of body) {
    if (s.k === 'assign') s.targets.forEach((group) => group.forEach(add));
    else if (s.k === 'aug') add(s.target);
    else if (s.k === 'for') out.add(s.name);
    if (s.k === 'for' || s.k === 'while' || s.k === 'try') boundNames(s.body, out);
    if (s.k === 'if') [...s.tests.map((b) => b.body), s.orelse].forEach((b) => boundNames(b, out));
    if (s.k === 'try') s.handlers.forEach((h) => boundNames(h.body, out));
  }
}

function parseSimple(l: SrcLine, ctx: Context): Stmt {
  const t = l.tokens;
  const line = l.no;
  const first = t[0].t === 'name' ? t[0].v : '';
  if (UNSUPPORTED_STATEMENTS.has(first)) throw syntaxError(line, `unsupported statement "${l.text}"`);
  if (first === 'pass' || first === 'break' || first === 'continue') {
    if (t.length !== 1) throw syntaxError(line, `unexpected "${describe(t[1])}" after "${first}"`);
    if (first !== 'pass' && !ctx.inLoop) throw syntaxError(line, `"${first}" outside a loop`);
    return { k: first, line };
  }
  if (first === 'return') {
    if (!ctx.inFunction) throw syntaxError(line, '"return" outside a function');
    return { k: 'return', line, value: t.length > 1 ? parseExpr(t.slice(1), line) : null };
  }
  const aug = t.findIndex((tok, p) => tok.t === 'op' && AUGMENTED.includes(tok.v) && depthAt(t, p) === 0);
  if (aug >= 0) {
    const [target] = parseTargets(t.slice(0, aug), line);
    if (splitTopLevel(t.slice(0, aug), ',').length > 1) throw syntaxError(line, 'augmented assignment needs a single target');
    return { k: 'aug', line, target, op: (t[aug].v as string).slice(0, -1), value: parseExpr(t.slice(aug + 1), line) };
  }
  const parts = splitTopLevel(t, '=');
  if (parts.length > 1) {
    const values = splitTopLevel(parts[parts.length - 1], ',').map((ts) => parseExpr(ts, line));
    const targets = parts.slice(0, -1).map((ts) => parseTargets(ts, line));
    for (const group of targets) {
      if (group.length !== values.length) throw syntaxError(line, `cannot unpack ${values.length} values into ${group.length} names (tuples are not supported)`);
    }
    return { k: 'assign', line, targets, values };
  }
  return { k: 'expr', line, e: parseExpr(t, line) };
}

/** `a`, `xs[i]`, or several separated by commas. */
function parseTargets(t: Token[], line: number): Target[] {
  return splitTopLevel(t, ',').map((ts) => {
    const e = parseExpr(ts, line);
    if (e.k === 'name') return e;
    if (e.k === 'index') return e;
    if (e.k === 'slice') throw syntaxError(line, 'assignment to a slice is not supported');
    throw syntaxError(line, 'assignment targets must be names or subscripts like xs[i]');
  });
}

/** Bracket depth just before token p. */
function depthAt(t: Token[], p: number): number {
  let depth = 0;
  for (let q = 0; q < p; q++) depth += isOp(t[q], '(') || isOp(t[q], '[') ? 1 : isOp(t[q], ')') || isOp(t[q], ']') ? -1 : 0;
  return depth;
}

/** Splits on `sep` outside brackets. */
function splitTopLevel(t: Token[], sep: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const tok of t) {
    if (isOp(tok, '(') || isOp(tok, '[')) depth++;
    if (isOp(tok, ')') || isOp(tok, ']')) depth--;
    if (depth === 0 && isOp(tok, sep)) parts.push([]);
    else parts[parts.length - 1].push(tok);
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Expressions

function isOp(tok: Token | undefined, v: string): boolean {
  return tok?.t === 'op' && tok.v === v;
}

function isKeyword(tok: Token | undefined, v: string): boolean {
  return tok?.t === 'name' && tok.v === v;
}

function isName(s: string): boolean {
  return !KEYWORDS.has(s);
}

function describe(tok: Token | undefined): string {
  if (tok === undefined) return 'end of line';
  return tok.t === 'str' ? JSON.stringify(tok.v) : String(tok.v);
}

const COMPARISONS = ['==', '!=', '<', '>', '<=', '>='];

/** Precedence climbing: or < and < not < comparison < +,- < *,//,% < unary < postfix (call, [ ], .). */
function parseExpr(tokens: Token[], line: number): Expr {
  let p = 0;
  const peek = () => tokens[p];
  const fail = (msg: string) => syntaxError(line, msg);
  const expect = (v: string) => {
    if (!isOp(tokens[p], v)) throw fail(`expected "${v}", got "${describe(tokens[p])}"`);
    p++;
  };
  const binary = (ops: string[], next: () => Expr) => (): Expr => {
    let a = next();
    while (peek()?.t === 'op' && ops.includes(peek().v as string)) {
      const op = tokens[p++].v as string;
      a = { k: 'binary', op, a, b: next() };
    }
    return a;
  };
  /** Comma-separated expressions up to `close`, which is consumed; a trailing comma is allowed. */
  const list = (close: string, what: string): Expr[] => {
    const items: Expr[] = [];
    while (!isOp(peek(), close)) {
      if (peek()?.t === 'name' && isOp(tokens[p + 1], '=')) throw fail('keyword arguments are not supported');
      items.push(orExpr());
      if (isKeyword(peek(), 'for')) throw fail(`${what} comprehensions are not supported`);
      if (!isOp(peek(), close)) expect(',');
    }
    p++;
    return items;
  };
  const atom = (): Expr => {
    const tok = tokens[p++];
    if (tok === undefined) throw fail('unexpected end of expression');
    if (tok.t === 'num') return { k: 'const', v: tok.v };
    if (tok.t === 'str') {
      let v = tok.v;
      while (peek()?.t === 'str') v += tokens[p++].v; // "a" "b" is "ab", as in Python
      return { k: 'const', v };
    }
    if (tok.t === 'name') {
      if (tok.v === 'True' || tok.v === 'False') return { k: 'const', v: tok.v === 'True' };
      if (tok.v === 'None') return { k: 'const', v: null };
      if (!isName(tok.v)) throw fail(tok.v === 'lambda' ? 'lambda is not supported' : `unexpected "${tok.v}"`);
      return { k: 'name', name: tok.v, line };
    }
    if (tok.v === '(') {
      if (isOp(peek(), ')')) throw fail('tuples are not supported');
      const e = orExpr();
      if (isOp(peek(), ',')) throw fail('tuples are not supported');
      expect(')');
      return e;
    }
    if (tok.v === '[') return { k: 'list', items: list(']', 'list') };
    throw fail(`unexpected "${tok.v}"`);
  };
  const postfix = (): Expr => {
    let e = atom();
    for (;;) {
      if (isOp(peek(), '(')) {
        p++;
        e = { k: 'call', fn: e, args: list(')', 'generator') };
      } else if (isOp(peek(), '[')) {
        p++;
        e = subscript(e);
      } else if (isOp(peek(), '.')) {
        p++;
        const attr = tokens[p++];
        if (attr?.t !== 'name') throw fail(`expected an attribute name after ".", got "${describe(attr)}"`);
        if (attr.v !== 'append') throw fail(`unsupported attribute ".${attr.v}" (of methods only list.append is supported)`);
        if (!isOp(peek(), '(')) throw fail('".append" must be called');
        p++;
        e = { k: 'append', list: e, args: list(')', 'generator') };
      } else {
        return e;
      }
    }
  };
  /** After `seq[`: an index or a slice `lo:hi:step` with any part omitted. */
  const subscript = (seq: Expr): Expr => {
    const part = (...ends: string[]) => (ends.some((v) => isOp(peek(), v)) ? null : orExpr());
    const lo = part(':');
    if (!isOp(peek(), ':')) {
      if (isOp(peek(), ',')) throw fail('tuples are not supported');
      expect(']');
      return { k: 'index', seq, index: lo! };
    }
    p++;
    const hi = part(':', ']');
    let step: Expr | null = null;
    if (isOp(peek(), ':')) {
      p++;
      step = part(']');
    }
    expect(']');
    return { k: 'slice', seq, lo, hi, step };
  };
  const unary = (): Expr => {
    const tok = peek();
    if (isOp(tok, '-') || isOp(tok, '+')) {
      p++;
      return { k: 'unary', op: tok.v as string, e: unary() };
    }
    return postfix();
  };
  const mul = binary(['*', '//', '%'], unary);
  const add = binary(['+', '-'], mul);
  const comparisonOp = (): string | undefined => {
    const tok = peek();
    if (tok?.t === 'op' && COMPARISONS.includes(tok.v)) return (p++, tok.v);
    if (isKeyword(tok, 'in')) return (p++, 'in');
    if (isKeyword(tok, 'not') && isKeyword(tokens[p + 1], 'in')) return ((p += 2), 'not in');
    if (isKeyword(tok, 'is')) {
      p++;
      return isKeyword(peek(), 'not') ? (p++, 'is not') : 'is';
    }
    return undefined;
  };
  const comparison = (): Expr => {
    const first = add();
    const rest: { op: string; e: Expr }[] = [];
    for (let op = comparisonOp(); op; op = comparisonOp()) rest.push({ op, e: add() });
    return rest.length ? { k: 'compare', first, rest } : first;
  };
  const not = (): Expr => (isKeyword(peek(), 'not') ? (p++, { k: 'unary', op: 'not', e: not() }) : comparison());
  const logic = (op: 'and' | 'or', next: () => Expr) => (): Expr => {
    let a = next();
    while (isKeyword(peek(), op)) {
      p++;
      a = { k: 'logic', op, a, b: next() };
    }
    return a;
  };
  const andExpr = logic('and', not);
  const orExpr = logic('or', andExpr);
  const e = orExpr();
  if (isKeyword(peek(), 'if')) throw fail('conditional expressions (a if c else b) are not supported');
  if (p !== tokens.length) throw fail(`unexpected "${describe(tokens[p])}"`);
  return e;
}
