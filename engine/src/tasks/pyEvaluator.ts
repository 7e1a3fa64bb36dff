/**
 * Runs a parsed program with Python's semantics: module globals, a local scope per call (names the
 * function binds are local, the rest read globals then builtins), control flow, exceptions, and two
 * limits: recursion depth (RecursionError, as in Python) and a step budget, so a runaway loop stops
 * with an IntrospectError instead of hanging the caller.
 */
import { IntrospectError } from '../errors';
import { BUILTINS, UNSUPPORTED_BUILTINS } from './pyBuiltins';
import { augmentedOp, binaryOp, compareOp, unaryOp } from './pyOperators';
import type { Expr, FunctionDef, Stmt, Target } from './pyParser';
import {
  exceptionMatches,
  getItem,
  getSlice,
  iterate,
  PyBuiltin,
  PyException,
  PyFunction,
  type PyValue,
  RECURSION_LIMIT,
  setItem,
  truthy,
  typeError,
  typeName,
} from './pyValues';

/** Default step budget: statements executed plus items looped over by builtins. */
export const MAX_STEPS = 1_000_000;

/** How a block ended: normally (undefined), by break / continue, or by return with its value. */
type Flow = undefined | 'break' | 'continue' | { value: PyValue };

/** The module scope has `def` null and `locals` the globals. */
interface Scope {
  locals: Map<string, PyValue>;
  def: FunctionDef | null;
}

export class Evaluator {
  readonly globals = new Map<string, PyValue>();
  private steps = 0;
  private depth = 0;

  constructor(private readonly maxSteps = MAX_STEPS) {}

  runModule(body: Stmt[]): void {
    this.execBlock(body, { locals: this.globals, def: null });
  }

  call(fn: PyValue, args: PyValue[]): PyValue {
    if (fn instanceof PyBuiltin) return fn.call(args, (n) => this.charge(n));
    if (!(fn instanceof PyFunction)) throw typeError(`'${typeName(fn)}' object is not callable`);
    const { name, params, body } = fn.def;
    if (args.length !== params.length) throw typeError(`${name}() takes ${params.length} positional arguments but ${args.length} were given`);
    if (this.depth >= RECURSION_LIMIT) throw new PyException('RecursionError', 'maximum recursion depth exceeded');
    this.depth++;
    try {
      const flow = this.execBlock(body, { locals: new Map(params.map((p, i) => [p, args[i]])), def: fn.def });
      return typeof flow === 'object' ? flow.value : null;
    } catch (e) {
      // Deeply nested blocks can exhaust JavaScript's stack before RECURSION_LIMIT calls: that is
      // Python's RecursionError too, raised a little earlier.
      if (e instanceof RangeError && e.message.includes('call stack')) throw new PyException('RecursionError', 'maximum recursion depth exceeded');
      throw e;
    } finally {
      this.depth--;
    }
  }

  private charge(n: number, line?: number): void {
    this.steps += n;
    if (this.steps > this.maxSteps) {
      const where = line === undefined ? '' : ` (at line ${line})`;
      throw new IntrospectError(`the program ran more than ${this.maxSteps} steps${where}: an infinite loop?`, 'program');
    }
  }

  private execBlock(body: Stmt[], scope: Scope): Flow {
    for (const s of body) {
      const flow = this.exec(s, scope);
      if (flow !== undefined) return flow;
    }
    return undefined;
  }

  private exec(s: Stmt, scope: Scope): Flow {
    this.charge(1, s.line);
    switch (s.k) {
      case 'pass':
        return undefined;
      case 'break':
      case 'continue':
        return s.k;
      case 'return':
        return { value: s.value ? this.eval(s.value, scope) : null };
      case 'expr':
        this.eval(s.e, scope);
        return undefined;
      case 'def':
        scope.locals.set(s.def.name, new PyFunction(s.def));
        return undefined;
      case 'assign': {
        const values = s.values.map((v) => this.eval(v, scope)); // all right-hand sides first, as Python
        for (const group of s.targets) group.forEach((t, i) => this.assign(t, values[i], scope));
        return undefined;
      }
      case 'aug':
        this.augment(s.target, s.op, s.value, scope);
        return undefined;
      case 'if': {
        const branch = s.tests.find((t) => truthy(this.eval(t.cond, scope)));
        return this.execBlock(branch ? branch.body : s.orelse, scope);
      }
      case 'while':
        while (truthy(this.eval(s.cond, scope))) {
          const flow = this.execBlock(s.body, scope);
          if (flow === 'break') break;
          if (typeof flow === 'object') return flow;
        }
        return undefined;
      case 'for':
        for (const v of iterate(this.eval(s.iter, scope))) {
          scope.locals.set(s.name, v);
          const flow = this.execBlock(s.body, scope);
          if (flow === 'break') break;
          if (typeof flow === 'object') return flow;
        }
        return undefined;
      case 'try':
        try {
          return this.execBlock(s.body, scope);
        } catch (e) {
          if (!(e instanceof PyException)) throw e;
          const handler = s.handlers.find((h) => h.types === null || h.types.some((t) => exceptionMatches(e.type, t)));
          if (!handler) throw e;
          return this.execBlock(handler.body, scope);
        }
    }
  }

  private assign(t: Target, value: PyValue, scope: Scope): void {
    if (t.k === 'name') scope.locals.set(t.name, value);
    else setItem(this.eval(t.seq, scope), this.eval(t.index, scope), value);
  }

  /** `t op= value`, evaluating a subscript target's list and index once, as Python does. */
  private augment(t: Target, op: string, value: Expr, scope: Scope): void {
    if (t.k === 'name') {
      const old = this.lookup(t.name, t.line, scope);
      scope.locals.set(t.name, augmentedOp(op, old, this.eval(value, scope)));
      return;
    }
    const seq = this.eval(t.seq, scope);
    const index = this.eval(t.index, scope);
    setItem(seq, index, augmentedOp(op, getItem(seq, index), this.eval(value, scope)));
  }

  private lookup(name: string, line: number, scope: Scope): PyValue {
    if (scope.def?.locals.has(name)) {
      const v = scope.locals.get(name);
      if (v === undefined) throw new PyException('UnboundLocalError', `cannot access local variable '${name}' where it is not associated with a value (line ${line})`);
      return v;
    }
    const v = this.globals.has(name) ? this.globals.get(name) : BUILTINS.get(name);
    if (v !== undefined) return v;
    if (UNSUPPORTED_BUILTINS.has(name)) throw new IntrospectError(`line ${line}: builtin ${name}() is not supported`, 'program');
    throw new PyException('NameError', `name '${name}' is not defined (line ${line})`);
  }

  private eval(e: Expr, scope: Scope): PyValue {
    switch (e.k) {
      case 'const':
        return e.v;
      case 'name':
        return this.lookup(e.name, e.line, scope);
      case 'list':
        return e.items.map((x) => this.eval(x, scope));
      case 'unary':
        return unaryOp(e.op, this.eval(e.e, scope));
      case 'binary': {
        const a = this.eval(e.a, scope);
        return binaryOp(e.op, a, this.eval(e.b, scope));
      }
      case 'logic': {
        const a = this.eval(e.a, scope);
        return (e.op === 'and') === truthy(a) ? this.eval(e.b, scope) : a;
      }
      case 'compare': {
        let left = this.eval(e.first, scope);
        for (const link of e.rest) {
          const right = this.eval(link.e, scope);
          if (!compareOp(link.op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'call': {
        const fn = this.eval(e.fn, scope);
        return this.call(fn, e.args.map((a) => this.eval(a, scope)));
      }
      case 'append': {
        const list = this.eval(e.list, scope);
        if (!Array.isArray(list)) throw new PyException('AttributeError', `'${typeName(list)}' object has no attribute 'append'`);
        const args = e.args.map((a) => this.eval(a, scope));
        if (args.length !== 1) throw typeError(`list.append() takes exactly one argument (${args.length} given)`);
        list.push(args[0]);
        return null;
      }
      case 'index': {
        const seq = this.eval(e.seq, scope);
        return getItem(seq, this.eval(e.index, scope));
      }
      case 'slice': {
        const seq = this.eval(e.seq, scope);
        const part = (x: Expr | null) => (x ? this.eval(x, scope) : null);
        return getSlice(seq, part(e.lo), part(e.hi), part(e.step));
      }
    }
  }
}
