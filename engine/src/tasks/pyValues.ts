/**
 * Python values of the interpreter's subset and the protocols on them (truth, text, equality,
 * sequences). Ints are JS numbers and bools JS booleans (so bools stay ints, as in Python), str is a
 * JS string, None is null, a list is a JS array (mutable and shared by reference, as in Python).
 */
import { IntrospectError } from '../errors';
import type { FunctionDef } from './pyParser';

export type PyValue = number | boolean | string | null | PyValue[] | PyRange | PyFunction | PyBuiltin;

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

// The built-in exception hierarchy below Exception, for `except Parent:`.
const PARENT: Record<string, string> = {
  UnboundLocalError: 'NameError',
  RecursionError: 'RuntimeError',
  IndexError: 'LookupError',
  ZeroDivisionError: 'ArithmeticError',
};

/** Whether `except handler:` catches an exception of `type`. */
export function exceptionMatches(type: string, handler: string): boolean {
  for (let t: string | undefined = type; t; t = PARENT[t]) if (t === handler) return true;
  return handler === 'Exception';
}

/** `range(start, stop, step)`, lazy as in Python. */
export class PyRange {
  readonly length: number;
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    this.length = Math.max(0, Math.ceil((stop - start) / step));
  }
  at(i: number): number {
    return this.start + i * this.step;
  }
}

/** A function the program defined; it runs in the program's globals. */
export class PyFunction {
  constructor(readonly def: FunctionDef) {}
}

/** Spends `steps` of the run's step budget (builtins that loop pay per item). */
export type Charge = (steps: number) => void;

export class PyBuiltin {
  constructor(
    readonly name: string,
    readonly call: (args: PyValue[], charge: Charge) => PyValue,
  ) {}
}

/** Python's default recursion limit: calls (and comparisons) nested deeper raise RecursionError. */
export const RECURSION_LIMIT = 1000;

/** Longest list or string a program may build, so doubling in a loop fails clearly, not by OOM. */
const MAX_SIZE = 10_000_000;

/** Checked before building a list or string of `size` elements. */
export function checkSize(size: number): void {
  if (size > MAX_SIZE) throw new IntrospectError(`a list or string would grow beyond ${MAX_SIZE} elements`, 'program');
}

export function isInt(v: PyValue): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyRange) return 'range';
  return v instanceof PyFunction ? 'function' : 'builtin_function_or_method';
}

export function typeError(message: string): PyException {
  return new PyException('TypeError', message);
}

/** An int operand (bools count, as in Python); TypeError otherwise. */
export function toInt(v: PyValue): number {
  if (isInt(v)) return Number(v);
  throw typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

export function truthy(v: PyValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (v instanceof PyRange) return v.length > 0;
  return true;
}

/** `str(v)`. */
export function pyStr(v: PyValue): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** `repr(v)`: the Python literal of ints, bools, None, strings and lists. */
export function pyRepr(v: PyValue, open: PyValue[][] = []): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) {
    if (open.includes(v)) return '[...]'; // a list inside itself, printed as Python does
    return `[${v.map((x) => pyRepr(x, [...open, v])).join(', ')}]`;
  }
  if (v instanceof PyRange) return `range(${v.start}, ${v.stop}${v.step === 1 ? '' : `, ${v.step}`})`;
  if (v instanceof PyBuiltin) return `<built-in function ${v.name}>`;
  throw new IntrospectError(`the text of function ${v.def.name} would show a memory address`, 'program');
}

/** Python's choice of quotes and escapes. */
function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === '\\' || c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + quote;
}

/** `a == b`: by value for str, list and range; ints equal bools of the same value. */
export function pyEquals(a: PyValue, b: PyValue, depth = 0): boolean {
  if (a === b) return true; // identity first, as CPython compares list elements
  if (isInt(a) && isInt(b)) return Number(a) === Number(b);
  if (depth > RECURSION_LIMIT) throw new PyException('RecursionError', 'maximum recursion depth exceeded in comparison');
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i], depth + 1));
  if (a instanceof PyRange && b instanceof PyRange) {
    return a.length === b.length && (a.length === 0 || (a.start === b.start && (a.length === 1 || a.step === b.step)));
  }
  return false;
}

export function length(v: PyValue): number {
  if (typeof v === 'string' || Array.isArray(v) || v instanceof PyRange) return v.length;
  throw typeError(`object of type '${typeName(v)}' has no len()`);
}

/** The items of an iterable. A list is read live, so appending while iterating is seen, as in Python. */
export function* iterate(v: PyValue): Generator<PyValue> {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield v[i];
  } else if (typeof v === 'string') {
    yield* v;
  } else if (v instanceof PyRange) {
    for (let i = 0; i < v.length; i++) yield v.at(i);
  } else {
    throw typeError(`'${typeName(v)}' object is not iterable`);
  }
}

/** `seq[index]`, negative indices counting from the end. */
export function getItem(seq: PyValue, index: PyValue): PyValue {
  const i = normalizeIndex(seq, index);
  if (typeof seq === 'string' || Array.isArray(seq)) return seq[i];
  return (seq as PyRange).at(i);
}

/** `list[index] = value`. */
export function setItem(seq: PyValue, index: PyValue, value: PyValue): void {
  if (!Array.isArray(seq)) throw typeError(`'${typeName(seq)}' object does not support item assignment`);
  seq[normalizeIndex(seq, index)] = value;
}

function normalizeIndex(seq: PyValue, index: PyValue): number {
  if (!(typeof seq === 'string' || Array.isArray(seq) || seq instanceof PyRange)) throw typeError(`'${typeName(seq)}' object is not subscriptable`);
  const kind = typeof seq === 'string' ? 'string' : typeName(seq);
  if (!isInt(index)) throw typeError(`${kind} indices must be integers or slices, not ${typeName(index)}`);
  const i = Number(index) < 0 ? Number(index) + seq.length : Number(index);
  if (i < 0 || i >= seq.length) throw new PyException('IndexError', `${kind} index out of range`);
  return i;
}

/** `seq[lo:hi:step]` with Python's clamping (slice.indices); omitted bounds are null. */
export function getSlice(seq: PyValue, lo: PyValue, hi: PyValue, stepValue: PyValue): PyValue {
  if (!(typeof seq === 'string' || Array.isArray(seq) || seq instanceof PyRange)) throw typeError(`'${typeName(seq)}' object is not subscriptable`);
  const bound = (v: PyValue): number | null => {
    if (v === null) return null;
    if (!isInt(v)) throw typeError('slice indices must be integers or None');
    return Number(v);
  };
  const step = bound(stepValue) ?? 1;
  if (step === 0) throw new PyException('ValueError', 'slice step cannot be zero');
  const n = seq.length;
  const [lower, upper] = step > 0 ? [0, n] : [-1, n - 1];
  const clamp = (b: number | null, dflt: number) => (b === null ? dflt : Math.min(Math.max(b < 0 ? b + n : b, lower), upper));
  const start = clamp(bound(lo), step > 0 ? lower : upper);
  const stop = clamp(bound(hi), step > 0 ? upper : lower);
  if (seq instanceof PyRange) return new PyRange(seq.at(start), seq.at(stop), seq.step * step);
  const picked: PyValue[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) picked.push(seq[i]);
  return typeof seq === 'string' ? picked.join('') : picked;
}
