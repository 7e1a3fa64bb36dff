/** Python's operators on the subset's values: arithmetic, concatenation, comparisons, `in`, `is`. */
import { IntrospectError } from '../errors';
import { checkSize, isInt, iterate, PyException, pyEquals, PyRange, type PyValue, toInt, truthy, typeError, typeName } from './pyValues';

export function unaryOp(op: string, v: PyValue): PyValue {
  if (op === 'not') return !truthy(v);
  if (!isInt(v)) throw typeError(`bad operand type for unary ${op}: '${typeName(v)}'`);
  return op === '-' ? 0 - Number(v) : Number(v);
}

/** `a op b` for + - * // %. */
export function binaryOp(op: string, a: PyValue, b: PyValue): PyValue {
  if (isInt(a) && isInt(b)) return arith(op, Number(a), Number(b));
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') {
      checkSize(a.length + b.length);
      return a + b;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      checkSize(a.length + b.length);
      return [...a, ...b];
    }
    if (typeof a === 'string' || Array.isArray(a)) throw typeError(`can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`);
  }
  if (op === '*') {
    if ((typeof a === 'string' || Array.isArray(a)) && isInt(b)) return repeat(a, Number(b));
    if (isInt(a) && (typeof b === 'string' || Array.isArray(b))) return repeat(b, Number(a));
  }
  if (op === '%' && typeof a === 'string') throw new IntrospectError('string formatting with % is not supported', 'program');
  throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** `target op= value`: lists grow in place (so aliases see it), as Python's list does; else `target op value`. */
export function augmentedOp(op: string, target: PyValue, value: PyValue): PyValue {
  if (Array.isArray(target) && op === '+') {
    const items = [...iterate(value)]; // read before the list grows, so `xs += xs` doubles xs once
    checkSize(target.length + items.length);
    for (const x of items) target.push(x);
    return target;
  }
  if (Array.isArray(target) && op === '*') {
    const items = repeat(target, toInt(value)) as PyValue[];
    target.length = 0;
    for (const x of items) target.push(x);
    return target;
  }
  return binaryOp(op, target, value);
}

function repeat(seq: string | PyValue[], n: number): PyValue {
  if (n <= 0) return typeof seq === 'string' ? '' : [];
  checkSize(seq.length * n);
  if (typeof seq === 'string') return seq.repeat(n);
  const out: PyValue[] = [];
  for (let k = 0; k < n; k++) for (const x of seq) out.push(x);
  return out;
}

/** Integer arithmetic; `+ 0` turns JavaScript's −0 into Python's 0. */
function arith(op: string, a: number, b: number): number {
  return arithRaw(op, a, b) + 0;
}

function arithRaw(op: string, a: number, b: number): number {
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

/** One link of a comparison chain: == != < > <= >= in, not in, is, is not. */
export function compareOp(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b);
    case '!=':
      return !pyEquals(a, b);
    case 'in':
      return contains(b, a);
    case 'not in':
      return !contains(b, a);
    case 'is':
      return identical(a, b);
    case 'is not':
      return !identical(a, b);
    default:
      return order(op, a, b);
  }
}

/** < > <= >=: ints numerically, strings by code point, lists lexicographically. */
function order(op: string, a: PyValue, b: PyValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const i = a.findIndex((x, k) => k < b.length && !pyEquals(x, b[k]));
    if (i >= 0) return order(op, a[i], b[i]);
    return order(op, a.length, b.length);
  }
  const comparable = (isInt(a) && isInt(b)) || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  const [x, y] = typeof a === 'string' ? [a, b as string] : [Number(a), Number(b)];
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (container instanceof PyRange) {
    if (!isInt(item)) return false;
    const offset = Number(item) - container.start;
    const i = offset / container.step;
    return Number.isInteger(i) && i >= 0 && i < container.length;
  }
  throw typeError(`argument of type '${typeName(container)}' is not iterable`);
}

/**
 * `a is b`, only where the answer does not depend on CPython's caching: None, bools, and
 * lists/ranges/functions by reference. Values of different types are never the same object.
 */
function identical(a: PyValue, b: PyValue): boolean {
  if (typeName(a) !== typeName(b)) return false;
  if (typeof a === 'number' || typeof a === 'string') {
    throw new IntrospectError(`"is" between ${typeName(a)} values depends on CPython's object caching; use ==`, 'program');
  }
  return a === b;
}
