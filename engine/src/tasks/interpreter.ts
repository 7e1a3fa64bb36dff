/**
 * An interpreter for a Python subset with Python's semantics: the ground truth the tests check
 * the task generators against, the engine of the oracle model, and the judge of the code-pairs data
 * set. Floor division and modulo round toward −∞, `and`/`or` return an operand, bools are ints,
 * and errors are Python's exceptions (PyException), which `try`/`except` catches.
 *
 * Statements: `a = e`, `a, b = e1, e2`, `a = b = e`, `xs[i] = e`, `a += e` (also -= *= //= %=,
 * in place for lists), expression statements, `if`/`elif`/`else`, `while`, `for v in iterable:`,
 * `break`, `continue`, `pass`, `def f(a, b):` with `return [e]` (top level only), `try:` /
 * `except [Name | (A, B)]:`, comments (so a binding query `#q:` is ignored).
 * Values: int, bool, str ('…' or "…" with \n \t \r \\ \' \" escapes), list, range, None, functions.
 * Expressions: literals, `[a, b]`, names, calls, `xs.append(v)`, `s[i]`, `s[a:b:c]`, `not`/`and`/`or`,
 * chained comparisons == != < > <= >= in, not in, is, is not (None, bools, lists); + - * // % and
 * unary −. Builtins: len abs max min sum range str int bool list.
 *
 * Limits: ints are JS numbers (exact to 2^53); calls nest at most 1000 deep, or less where deeply
 * nested blocks exhaust JavaScript's stack first (RecursionError either way); a run executes at most
 * `maxSteps` statements (IntrospectError). Syntax outside the subset is an
 * IntrospectError naming the line and the construct.
 */
import { IntrospectError } from '../errors';
import { Evaluator, MAX_STEPS } from './pyEvaluator';
import { parseProgram } from './pyParser';
import { PyFunction, type PyValue } from './pyValues';

export { PyBuiltin, PyException, PyFunction, PyRange, pyRepr, type PyValue } from './pyValues';

export interface PythonRunOptions {
  /** Statements (and items builtins loop over) a run may execute before it stops; default 1e6. */
  maxSteps?: number;
}

/** Runs a program; returns its globals in assignment order. */
export function runPython(source: string, opts: PythonRunOptions = {}): Map<string, PyValue> {
  const evaluator = new Evaluator(opts.maxSteps ?? MAX_STEPS);
  evaluator.runModule(parseProgram(source));
  return evaluator.globals;
}

/**
 * Runs a program, then calls its function `fnName` with positional `args` and returns the result.
 * Lists among the args are copied first, so the function cannot change the caller's arrays. The
 * step budget covers the module and the call together.
 */
export function callPython(source: string, fnName: string, args: PyValue[], opts: PythonRunOptions = {}): PyValue {
  const evaluator = new Evaluator(opts.maxSteps ?? MAX_STEPS);
  evaluator.runModule(parseProgram(source));
  const fn = evaluator.globals.get(fnName);
  if (!(fn instanceof PyFunction)) throw new IntrospectError(`the program defines no function ${fnName}()`, 'program');
  return evaluator.call(fn, args.map(copy));
}

function copy(v: PyValue): PyValue {
  return Array.isArray(v) ? v.map(copy) : v;
}
