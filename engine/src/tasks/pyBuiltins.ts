/** The subset's builtins, with Python's results and errors: len abs max min sum range str int bool list. */
import { IntrospectError } from '../errors';
import { binaryOp, compareOp } from './pyOperators';
import { type Charge, isInt, iterate, length, PyBuiltin, PyException, PyRange, pyStr, type PyValue, toInt, truthy, typeError, typeName } from './pyValues';

/** Real Python builtins outside the subset: using one is an IntrospectError, not a NameError. */
export const UNSUPPORTED_BUILTINS = new Set(
  'all any chr dict divmod enumerate filter float input isinstance map open ord pow print repr reversed round set sorted tuple type zip'.split(' '),
);

function arity(name: string, args: PyValue[], min: number, max: number): void {
  if (args.length >= min && args.length <= max) return;
  const expected = min === max ? `exactly ${min}` : `${min} to ${max}`;
  throw typeError(`${name}() takes ${expected} argument${max === 1 ? '' : 's'} (${args.length} given)`);
}

/** The items of an iterable, each paid for, so `sum(range(10**12))` stops at the step limit. */
function* paid(v: PyValue, charge: Charge): Generator<PyValue> {
  for (const x of iterate(v)) {
    charge(1);
    yield x;
  }
}

/** max / min: of one iterable or of the arguments; the first extreme item wins ties, as in Python. */
function extreme(name: string, op: '>' | '<') {
  return (args: PyValue[], charge: Charge): PyValue => {
    if (!args.length) throw typeError(`${name} expected at least 1 argument, got 0`);
    const items = args.length === 1 ? [...paid(args[0], charge)] : args;
    if (!items.length) throw new PyException('ValueError', `${name}() arg is an empty sequence`);
    return items.reduce((best, x) => (compareOp(op, x, best) ? x : best));
  };
}

const INT_LITERAL = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

function toIntValue(v: PyValue): number {
  if (isInt(v)) return Number(v);
  if (typeof v !== 'string') throw typeError(`int() argument must be a string or a real number, not '${typeName(v)}'`);
  if (!INT_LITERAL.test(v)) throw new PyException('ValueError', `invalid literal for int() with base 10: ${JSON.stringify(v)}`);
  return Number(v.replace(/_/g, '')) + 0; // + 0: int("-0") is 0
}

const DEFINITIONS: Record<string, (args: PyValue[], charge: Charge) => PyValue> = {
  len: (args) => (arity('len', args, 1, 1), length(args[0])),
  abs: (args) => {
    arity('abs', args, 1, 1);
    if (!isInt(args[0])) throw typeError(`bad operand type for abs(): '${typeName(args[0])}'`);
    return Math.abs(Number(args[0]));
  },
  max: extreme('max', '>'),
  min: extreme('min', '<'),
  sum: (args, charge) => {
    arity('sum', args, 1, 2);
    const start = args[1] ?? 0;
    if (typeof start === 'string') throw typeError("sum() can't sum strings [use ''.join(seq) instead]");
    let total: PyValue = start;
    for (const x of paid(args[0], charge)) total = binaryOp('+', total, x);
    return total;
  },
  range: (args) => {
    arity('range', args, 1, 3);
    const [start, stop, step] = args.length === 1 ? [0, toInt(args[0]), 1] : [toInt(args[0]), toInt(args[1]), args[2] === undefined ? 1 : toInt(args[2])];
    if (step === 0) throw new PyException('ValueError', 'range() arg 3 must not be zero');
    return new PyRange(start, stop, step);
  },
  str: (args) => (arity('str', args, 0, 1), args.length ? pyStr(args[0]) : ''),
  int: (args) => {
    if (args.length === 2) throw new IntrospectError('int() with a base is not supported', 'program');
    arity('int', args, 0, 1);
    return args.length ? toIntValue(args[0]) : 0;
  },
  bool: (args) => (arity('bool', args, 0, 1), args.length ? truthy(args[0]) : false),
  list: (args, charge) => (arity('list', args, 0, 1), args.length ? [...paid(args[0], charge)] : []),
};

export const BUILTINS: ReadonlyMap<string, PyBuiltin> = new Map(Object.entries(DEFINITIONS).map(([name, fn]) => [name, new PyBuiltin(name, fn)]));
