import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callPython, PyException, PyRange, pyRepr, runPython, type PyValue } from '../../engine/src/tasks/interpreter';
import { Rng } from '../../engine/src/tasks/rng';
import { runInPython } from './python';
import { callInPython, type PyCallResult } from './pythonCall';

/** Random programs over the whole supported subset, to compare with CPython. */
function randomProgram(rng: Rng): string {
  const names = ['a', 'b', 'c'];
  const expr = (depth: number): string => {
    if (depth === 0 || rng.chance(0.3)) return rng.chance(0.5) ? rng.choice(names) : rng.choice(['True', 'False', String(rng.int(-9, 12))]);
    const op = rng.choice(['+', '-', '*', '//', '%', 'and', 'or', '==', '<', '>=', '!=', 'not', 'abs', 'neg']);
    if (op === 'not') return `(not ${expr(depth - 1)})`;
    if (op === 'abs') return `abs(${expr(depth - 1)})`;
    if (op === 'neg') return `-(${expr(depth - 1)})`;
    return `(${expr(depth - 1)} ${op} ${expr(depth - 1)})`;
  };
  const lines = names.map((n) => `${n} = ${rng.int(-5, 9)}`);
  const stmt = (indent: string, depth: number): string[] => {
    const k = rng.int(0, depth > 0 ? 4 : 2);
    const t = rng.choice(names);
    if (k === 0) return [`${indent}${t} = ${expr(2)}`];
    if (k === 1) return [`${indent}${t} ${rng.choice(['+=', '-=', '*=', '//=', '%='])} ${expr(1)}  # comment`];
    if (k === 2) return [`${indent}${t}, ${rng.choice(names)} = ${expr(1)}, ${expr(1)}`];
    if (k === 3) return [`${indent}for i in range(${rng.int(0, 3)}):`, ...stmt(indent + '    ', depth - 1), ...stmt(indent + '    ', depth - 1)];
    return [`${indent}try:`, ...stmt(indent + '  ', depth - 1), `${indent}except ${rng.choice(['ZeroDivisionError', 'NameError'])}:`, `${indent}  ${t} = ${rng.int(0, 5)}`];
  };
  for (let i = 0; i < 5; i++) lines.push(...stmt('', 2));
  return lines.join('\n');
}

function interpret(program: string, variable: string): { value: PyValue } | { error: string } {
  try {
    return { value: runPython(program).get(variable) ?? null };
  } catch (e) {
    if (e instanceof PyException) return { error: e.type };
    throw e;
  }
}

test('the interpreter agrees with CPython on 400 random programs', () => {
  const rng = new Rng(42);
  const programs = Array.from({ length: 400 }, () => randomProgram(rng));
  const jobs = programs.flatMap((program) => ['a', 'b', 'c'].map((variable) => ({ program, variable })));
  const expected = runInPython(jobs);
  // Python exec distinguishes True from 1 only by type; JSON keeps that (true vs 1).
  jobs.forEach((j, i) => assert.deepEqual(interpret(j.program, j.variable), expected[i], `${j.variable} in:\n${j.program}`));
  const errors = expected.filter((e) => 'error' in e).length;
  assert.ok(errors > 0 && errors < jobs.length / 2, 'some programs raise uncaught errors, most do not');
});

test('the interpreter rejects what it does not support with the line number', () => {
  assert.throws(() => runPython('x = 1\nclass A:\n    x = 0'), /line 2: unsupported statement "class A:"/);
  assert.throws(() => runPython('x = 1\n    y = 2'), /line 2: unexpected indent/);
  assert.throws(() => runPython('for i in range(3):\nx = 1'), /line 1: expected an indented block/);
  assert.throws(() => runPython('x = $'), /line 1: cannot read/);
});

// ---------------------------------------------------------------------------------------------
// The extended subset: functions, control flow, strings, lists, None.

/** A module's globals as a plain object, for deepEqual. */
function globalsOf(source: string): Record<string, PyValue> {
  return Object.fromEntries(runPython(source));
}

/** The exception type a program raises (uncaught), or fails the test. */
function raised(source: string): string {
  try {
    runPython(source);
  } catch (e) {
    if (e instanceof PyException) return e.type;
    throw e;
  }
  assert.fail(`no exception from:\n${source}`);
}

const EXAMPLES = `
def count_positive(xs):
    total = 0
    for x in xs:
        if x > 0:
            total += 1
    return total

def find_index(xs, target):
    i = 0
    while i < len(xs):
        if xs[i] == target:
            return i
        i += 1
    return -1

def build(n):
    s = ""
    for i in range(n):
        s = s + str(i) + ","
    return s

def largest(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
`;

test('functions: def, positional calls, return, locals reading globals, recursion', () => {
  assert.equal(callPython(EXAMPLES, 'count_positive', [[3, -1, 0, 5]]), 2);
  assert.equal(callPython(EXAMPLES, 'find_index', [[4, 7, 9], 9]), 2);
  assert.equal(callPython(EXAMPLES, 'find_index', [[4, 7, 9], 1]), -1);
  assert.equal(callPython(EXAMPLES, 'build', [3]), '0,1,2,');
  assert.equal(callPython(EXAMPLES, 'largest', [[2, 8, 5]]), 8);
  const g = globalsOf('K = 10\ndef f(a, b):\n    c = a + b\n    return c * K\ndef nothing():\n    pass\nx = f(1, 2)\ny = nothing()\nc = 5');
  assert.deepEqual([g.x, g.y, g.c], [30, null, 5], 'locals stay local; no return gives None');
  assert.ok(runPython('def f():\n    return 1').get('f') !== undefined, 'a function is a global like any other');
  assert.equal(callPython('def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)', 'fact', [10]), 3628800);
  assert.equal(callPython('def f():\n    return g()\ndef g():\n    return 7', 'f', []), 7, 'globals are read at call time');
  assert.equal(raised('def f():\n    return f()\nx = f()'), 'RecursionError');
  assert.equal(globalsOf('def f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept RecursionError:\n    ok = True').ok, true);
  assert.equal(raised('x = 1\ndef f():\n    x += 1\n    return x\nf()'), 'UnboundLocalError', 'an assigned name is local throughout');
  assert.equal(globalsOf('x = 1\ndef f():\n    x += 1\ntry:\n    f()\nexcept NameError:\n    y = 2').y, 2, 'UnboundLocalError is a NameError');
  assert.equal(raised('def f(a):\n    return a\nf(1, 2)'), 'TypeError');
  assert.equal(raised('x = 3\nx(1)'), 'TypeError');
  assert.equal(callPython('def f(xs):\n    xs.append(1)\n    return len(xs)', 'f', [[5]]), 2);
  const input = [1, 2];
  callPython('def f(xs):\n    xs.append(3)', 'f', [input]);
  assert.deepEqual(input, [1, 2], "callPython copies the caller's lists");
  assert.throws(() => callPython('x = 1', 'x', []), /defines no function x\(\)/);
});

test('control flow: if/elif/else, while, break, continue, for over any iterable', () => {
  const g = globalsOf(`
def grade(n):
    if n >= 90:
        return "A"
    elif n >= 80:
        return "B"
    elif n >= 70:
        return "C"
    else:
        return "F"
grades = grade(95) + grade(85) + grade(75) + grade(10)
i = 0
found = -1
while True:
    i += 1
    if i % 2 == 0:
        continue
    if i > 6:
        found = i
        break
chars = []
for c in "abc":
    chars.append(c)
items = 0
for x in [4, 5, 6]:
    items += x
down = []
for k in range(5, 0, -2):
    down.append(k)
empty = 0
for k in range(0):
    empty = 1
`);
  assert.deepEqual([g.grades, g.found, g.chars, g.items, g.down, g.empty, g.k], ['ABCF', 7, ['a', 'b', 'c'], 15, [5, 3, 1], 0, 1]);
  assert.equal(globalsOf('n = 0\nfor i in range(3):\n    for j in range(3):\n        if j == 1:\n            break\n        n += 1').n, 3, 'break leaves the inner loop');
  assert.deepEqual(globalsOf('xs = [1]\nfor x in xs:\n    if len(xs) < 4:\n        xs.append(x)').xs, [1, 1, 1, 1], 'a list is iterated live');
  assert.equal(globalsOf('a = 0 < 1 < 2\nb = 1 < 0 < crash').b, false, 'comparisons chain and short-circuit');
});

test('strings: literals, escapes, + and *, indexing, slicing, len, comparisons, in', () => {
  const g = globalsOf(`
a = 'it' + "'s"
b = "x\\ty\\n" + 'q\\\\'
c = "ab" * 3
d = 2 * "-"
e = "hello"[1] + "hello"[-1]
f = "hello"[1:3] + "hello"[:2] + "hello"[3:] + "hello"[::-1] + "hello"[::2]
n = len("hello") + len("")
lt = "apple" < "banana"
eq = "ab" + "c" == "abc"
sub = "ell" in "hello"
nsub = "z" not in "hello"
s = "a"
s += "b"
s *= 2
neg = "ab" * -1
st = str(12) + str(True) + str(None) + str([1, 'a', "it's"])
u = v = "a" "b"
`);
  assert.deepEqual([g.a, g.b, g.c, g.d, g.e, g.f, g.n], ["it's", 'x\ty\nq\\', 'ababab', '--', 'eo', 'elheloollehhlo', 5]);
  assert.deepEqual([g.lt, g.eq, g.sub, g.nsub, g.s, g.neg, g.st, g.u, g.v], [true, true, true, true, 'abab', '', `12TrueNone[1, 'a', "it's"]`, 'ab', 'ab']);
  assert.equal(raised('x = "abc"[3]'), 'IndexError');
  assert.equal(raised('x = "a" + 1'), 'TypeError');
  assert.equal(raised('x = "a" < 1'), 'TypeError');
  assert.equal(raised('x = 1 in "a"'), 'TypeError');
  assert.equal(raised('s = "ab"\ns[0] = "c"'), 'TypeError');
  assert.equal(raised('x = "abc"["a"]'), 'TypeError');
});

test('lists: literals, indexing, slicing, len, append, +, in, item assignment, aliasing, ==', () => {
  const g = globalsOf(`
xs = [3, 1, 4, 1, 5]
first = xs[0]
last = xs[-1]
mid = xs[1:3]
tail = xs[2:]
rev = xs[::-1]
clamp = xs[-100:100]
n = len(xs)
both = [1, 2] + [3]
has = 4 in xs
hasnt = 9 not in xs
xs[1] = 10
xs[-1] += 1
ys = xs
ys.append(7)
ys += [8]
zs = [0] * 3
nested = [[1, 2], [3]]
nested[0].append(9)
eq = [1, [2, "a"]] == [1, [2, "a"]]
ne = [1, 2] == [1, 2, 3]
order = [1, 2, 3] < [1, 3]
empty = []
`);
  assert.deepEqual([g.first, g.last, g.mid, g.tail, g.rev, g.clamp, g.n, g.both, g.has, g.hasnt], [3, 5, [1, 4], [4, 1, 5], [5, 1, 4, 1, 3], [3, 1, 4, 1, 5], 5, [1, 2, 3], true, true]);
  assert.deepEqual(g.xs, [3, 10, 4, 1, 6, 7, 8], 'ys is the same list: append and += change it in place');
  assert.deepEqual([g.zs, g.nested, g.eq, g.ne, g.order, g.empty], [[0, 0, 0], [[1, 2, 9], [3]], true, false, true, []]);
  assert.deepEqual(globalsOf('xs = [1, 2]\nys = xs\nxs = xs + [3]').ys, [1, 2], '+ makes a new list');
  assert.deepEqual(globalsOf('xs = [1, 2]\nxs += xs').xs, [1, 2, 1, 2]);
  assert.equal(raised('xs = [1]\nx = xs[1]'), 'IndexError');
  assert.equal(raised('xs = [1]\nxs[-2] = 0'), 'IndexError');
  assert.equal(raised('xs = [1] + 2'), 'TypeError');
  assert.equal(raised('x = 5\nx.append(1)'), 'AttributeError');
  assert.equal(raised('x = [1][::0]'), 'ValueError');
});

test('None, is / is not, truthiness', () => {
  const g = globalsOf(`
n = None
a = n is None
b = 0 is not None
xs = [1]
ys = xs
c = xs is ys
d = xs is [1]
e = True is True
t = 0
if not [] and not "" and not None and [0] and "0":
    t = 1
`);
  assert.deepEqual([g.n, g.a, g.b, g.c, g.d, g.e, g.t], [null, true, true, true, false, true, 1]);
  assert.throws(() => runPython('x = 1\ny = x is 1'), /"is" between int values depends on CPython/);
  assert.equal(raised('x = None + 1'), 'TypeError');
});

test('builtins: len abs max min sum range str int bool list', () => {
  const g = globalsOf(`
a = len([1, 2]) + len("abc") + len(range(2, 10, 3))
b = abs(-4) + abs(True)
c = max([3, 9, 2]) + max(1, 5, 2) + min([3, 9, 2]) + min(7, -1)
d = max("abc") + min(["b", "a"])
e = sum([1, 2, 3]) + sum(range(5)) + sum([True, True], 10)
f = sum([[1], [2]], [])
r = list(range(3)) + list(range(5, 0, -2)) + list("ab")
i = int("42") + int(" -7 ") + int(True) + int(3) + int()
t = [bool(0), bool(""), bool([0]), bool(), str()]
inr = 4 in range(0, 10, 2)
ninr = 5 in range(0, 10, 2)
`);
  assert.deepEqual([g.a, g.b, g.c, g.d, g.e, g.f, g.r, g.i, g.t, g.inr, g.ninr], [8, 5, 15, 'ca', 28, [1, 2], [0, 1, 2, 5, 3, 1, 'a', 'b'], 39, [false, false, true, false, ''], true, false]);
  assert.ok(runPython('r = range(3)').get('r') instanceof PyRange);
  assert.equal(raised('x = max([])'), 'ValueError');
  assert.equal(raised('x = int("4.5")'), 'ValueError');
  assert.equal(raised('x = int([1])'), 'TypeError');
  assert.equal(raised('x = len(5)'), 'TypeError');
  assert.equal(raised('x = sum(["a"], "")'), 'TypeError');
  assert.equal(raised('x = range(1, 2, 0)'), 'ValueError');
  assert.equal(raised('x = range("a")'), 'TypeError');
  assert.equal(raised('for x in 5:\n    pass'), 'TypeError');
  assert.equal(raised('len = 3\nx = len([1])'), 'TypeError', 'a global shadows a builtin');
});

test('errors are catchable PyExceptions, matched by type, tuple and parent class', () => {
  const g = globalsOf(`
caught = []
try:
    x = [1][5]
except IndexError:
    caught.append("index")
try:
    x = 1 // 0
except (ValueError, ZeroDivisionError):
    caught.append("zero")
try:
    x = undefined_name
except NameError:
    caught.append("name")
try:
    x = int("z")
except ValueError:
    caught.append("value")
try:
    x = "a" - 1
except TypeError:
    caught.append("type")
try:
    x = "abc"[9]
except LookupError:
    caught.append("lookup")
try:
    x = 5 % 0
except ArithmeticError:
    caught.append("arith")
try:
    x = [].append(1, 2)
except Exception:
    caught.append("any")
def f():
    try:
        return [][0]
    except IndexError:
        return "handled in f"
r = f()
`);
  assert.deepEqual(g.caught, ['index', 'zero', 'name', 'value', 'type', 'lookup', 'arith', 'any']);
  assert.equal(g.r, 'handled in f');
  assert.equal(raised('try:\n    x = [][0]\nexcept ValueError:\n    pass'), 'IndexError', 'an unmatched exception propagates');
});

test('the step limit stops runaway loops with a clear IntrospectError', () => {
  assert.throws(() => runPython('x = 0\nwhile True:\n    x += 1'), /ran more than 1000000 steps \(at line 3\): an infinite loop\?/);
  assert.throws(() => runPython('for i in range(100):\n    pass', { maxSteps: 50 }), /ran more than 50 steps/);
  assert.equal(runPython('for i in range(100):\n    pass', { maxSteps: 101 }).get('i'), 99);
  assert.throws(() => runPython('x = sum(range(1000000000000))'), /ran more than 1000000 steps/, 'builtins pay per item');
  assert.throws(() => callPython('def f():\n    while True:\n        pass', 'f', [], { maxSteps: 1000 }), /ran more than 1000 steps/);
  assert.throws(() => runPython('try:\n    while True:\n        pass\nexcept Exception:\n    pass', { maxSteps: 1000 }), /ran more than/, 'except cannot catch it');
  assert.throws(() => runPython('s = "ab"\nfor i in range(40):\n    s = s + s'), /would grow beyond 10000000 elements/);
});

test('syntax outside the subset is an IntrospectError naming the line and the construct', () => {
  const cases: [string, RegExp][] = [
    ['x = 1\nimport os', /line 2: unsupported statement "import os"/],
    ['x = 1\nraise ValueError', /line 2: unsupported statement "raise ValueError"/],
    ['x = 1.5', /line 1: unsupported number literal "1.5"/],
    ['x = 7 / 2', /line 1: unsupported operator "\/"/],
    ['x = 2 ** 3', /line 1: unsupported operator "\*\*"/],
    ['x = f"{y}"', /line 1: string prefix "f" is not supported/],
    ['x = """a"""', /line 1: triple-quoted strings are not supported/],
    ['x = "abc', /line 1: unterminated string literal/],
    ['x = "\\q"', /line 1: unsupported escape "\\q"/],
    ['x = (1, 2)', /line 1: tuples are not supported/],
    ['x = [i for i in range(3)]', /line 1: list comprehensions are not supported/],
    ['x = 1 if True else 2', /line 1: conditional expressions/],
    ['x = "a".upper()', /line 1: unsupported attribute ".upper"/],
    ['def f(a=1):\n    return a', /line 1: expected "def name\(a, b, \.\.\.\):"/],
    ['def f(a):\n    return a\nx = f(a=1)', /line 3: keyword arguments are not supported/],
    ['def f():\n    def g():\n        pass', /line 2: nested functions are not supported/],
    ['return 1', /line 1: "return" outside a function/],
    ['x = 0\nbreak', /line 2: "break" outside a loop/],
    ['if True: x = 1', /line 1: expected ":" at the end of the "if" line/],
    ['x = 1\nelse:\n    x = 2', /line 2: "else" without "if"/],
    ['while False:\n    pass\nelse:\n    pass', /line 3: "else" after "while" is not supported/],
    ['try:\n    x = 1\nexcept ValueError as e:\n    pass', /line 3: unsupported except clause/],
    ['try:\n    x = 1\nexcept ValueError:\n    pass\nfinally:\n    pass', /line 5: "finally" after "try" is not supported/],
    ['xs = [1, 2]\nxs[0:1] = [3]', /line 2: assignment to a slice is not supported/],
    ['x = 1\nprint(x)', /line 2: builtin print\(\) is not supported/],
    ['x = 1; y = 2', /line 1: cannot read/],
  ];
  for (const [source, message] of cases) assert.throws(() => runPython(source), message, source);
});

// ---------------------------------------------------------------------------------------------
// Differential tests against CPython.

/** What the interpreter makes of a call: its value, or the type of the exception it raises. */
function interpretCall(source: string, fn: string, args: PyValue[]): { value: PyValue } | { error: string } {
  try {
    return { value: callPython(source, fn, args) };
  } catch (e) {
    if (e instanceof PyException) return { error: e.type };
    throw e;
  }
}

/** Runs every job in both and asserts they agree; returns CPython's results. */
function compareWithPython(jobs: { source: string; fn: string; args: PyValue[] }[]): PyCallResult[] {
  const expected = callInPython(jobs);
  jobs.forEach((j, i) => {
    if ('overflow' in expected[i]) return; // ints past JS's exact range: not comparable
    assert.deepEqual(interpretCall(j.source, j.fn, j.args), expected[i], `${j.fn}(${j.args.map((a) => pyRepr(a)).join(', ')}) in:\n${j.source}`);
  });
  return expected;
}

const PROGRAMS: { source: string; fn: string; inputs: PyValue[][] }[] = [
  ...['count_positive', 'largest'].map((fn) => ({ source: EXAMPLES, fn, inputs: [[[1, -2, 3]], [[-5]], [[]], [[0, 0, 7, 7]]] })),
  { source: EXAMPLES, fn: 'find_index', inputs: [[[4, 2, 4], 4], [[4, 2, 4], 2], [[], 1], [[1], 9]] },
  { source: EXAMPLES, fn: 'build', inputs: [[0], [1], [5]] },
  {
    fn: 'fizz',
    source: 'def fizz(n):\n    out = []\n    for i in range(1, n + 1):\n        if i % 15 == 0:\n            out.append("FizzBuzz")\n        elif i % 3 == 0:\n            out.append("Fizz")\n        elif i % 5 == 0:\n            out.append("Buzz")\n        else:\n            out.append(str(i))\n    return out',
    inputs: [[0], [15]],
  },
  {
    fn: 'first_dup',
    source: 'def first_dup(xs):\n    seen = []\n    for x in xs:\n        if x in seen:\n            return x\n        seen.append(x)\n    return None',
    inputs: [[[1, 2, 3, 2, 1]], [[1, 2]], [['a', 'b', 'a']]],
  },
  {
    fn: 'collatz',
    source: 'def collatz(n):\n    steps = 0\n    while n != 1:\n        if n % 2 == 0:\n            n = n // 2\n        else:\n            n = 3 * n + 1\n        steps += 1\n    return steps',
    inputs: [[1], [6], [27]],
  },
  {
    fn: 'first_square_over',
    source: 'def first_square_over(limit):\n    i = 0\n    while True:\n        i += 1\n        if i * i <= limit:\n            continue\n        break\n    return i',
    inputs: [[0], [10], [100]],
  },
  {
    fn: 'reverse_words',
    source: 'def reverse_words(s):\n    words = []\n    word = ""\n    for c in s + " ":\n        if c == " ":\n            if word != "":\n                words.append(word)\n            word = ""\n        else:\n            word += c\n    out = ""\n    i = len(words) - 1\n    while i >= 0:\n        out = out + words[i]\n        if i > 0:\n            out += " "\n        i -= 1\n    return out',
    inputs: [['hello big world'], [''], ['  a  b ']],
  },
  {
    fn: 'running',
    source: 'def running(xs):\n    total = 0\n    out = []\n    for x in xs:\n        total += x\n        out += [total]\n    return out',
    inputs: [[[1, 2, 3]], [[]], [[5, -5, true]]],
  },
  {
    fn: 'fib',
    source: 'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)',
    inputs: [[0], [1], [15]],
  },
  {
    fn: 'safe_div',
    source: 'def safe_div(a, b):\n    try:\n        return a // b\n    except ZeroDivisionError:\n        return None',
    inputs: [[7, 2], [-7, 2], [7, 0]],
  },
  {
    fn: 'vowels',
    source: 'VOWELS = "aeiou"\n\ndef vowels(s):\n    n = 0\n    for c in s:\n        if c in VOWELS:\n            n += 1\n    return [n, len(s) - n, s[:n], s[-1:]]',
    inputs: [['education'], [''], ['xyz']],
  },
  {
    fn: 'errors',
    source: 'def errors(xs, i):\n    return xs[i] + 1',
    inputs: [[[1, 2], 1], [[1, 2], 2], [['a'], 0], [[1], "x"], [[null], 0]],
  },
  {
    fn: 'matrix',
    source: 'def matrix(n):\n    rows = []\n    for i in range(n):\n        row = [0] * n\n        row[i] = 1\n        rows.append(row)\n    return [rows, rows == [[1]], str(rows)]',
    inputs: [[0], [1], [3]],
  },
  {
    fn: 'is_sorted',
    source: 'def is_sorted(xs):\n    for i in range(len(xs) - 1):\n        if not xs[i] <= xs[i + 1]:\n            return False\n    return True',
    inputs: [[[1, 2, 2, 5]], [[2, 1]], [[]], [['a', 'b']], [[1, 'a']]],
  },
  {
    fn: 'classify',
    source:
      "def classify(xs):\n    out = []\n    for x in xs:\n        if x % 3 == 0:\n            out.append('fizz')\n        elif x < 0:\n            continue\n        else:\n            out.append(x * 2)\n        if len(out) >= 4:\n            break\n    return out\n",
    inputs: [[[1, 3, -2, 4, 6, 9, 10]], [[]]],
  },
  {
    fn: 'helper_sum',
    source: 'def sq(v):\n    return v * v\n\ndef helper_sum(xs):\n    total = 0\n    for x in xs:\n        total = total + sq(x)\n    return total + sum(xs) + max(xs) - min(xs) + abs(-2) + int(True)\n',
    inputs: [[[1, 2, 3]]],
  },
  {
    fn: 'contains',
    source: "def contains(xs, v):\n    if v in xs and not v is None:\n        return 'yes'\n    if v not in xs:\n        return 'no'\n    return None\n",
    inputs: [[[1, 2], 2], [[1, 2], 3]],
  },
  {
    fn: 'grid',
    source: 'def grid(n):\n    rows = []\n    for i in range(n):\n        row = []\n        for j in range(i):\n            row.append(i * j)\n        rows.append(row)\n    rows[0] = [len(rows)]\n    return rows\n',
    inputs: [[3], [1]],
  },
];

test('the interpreter agrees with CPython on the example functions and more', () => {
  const jobs = PROGRAMS.flatMap(({ source, fn, inputs }) => inputs.map((args) => ({ source, fn, args })));
  assert.ok(compareWithPython(jobs).every((r) => !('overflow' in r)));
});

/**
 * A random function `f(n, s, xs)` over ints, strings and lists: typed expressions, branches,
 * bounded loops, break/continue, try/except, early returns, a helper and a recursive function.
 * Values grow at most linearly per loop iteration (no `ys + ys`, no `t += t`, `*` only by a small
 * literal), so CPython finishes quickly and the ints mostly stay exact in JavaScript.
 */
function randomFunction(rng: Rng): string {
  const lit = () => String(rng.int(-3, 9));
  const small = () => String(rng.int(0, 4));
  const strLit = () => rng.choice(['""', '"a"', '"xy"', '"it\'s"', "'q\\n'", '"b"']);
  const ints = ['n', 'a', 'b', 'K'];
  /** Mostly a small index, so most subscripts succeed and some raise IndexError. */
  const index = (d: number, loopInts: string[] = []) => (rng.chance(0.7) ? String(rng.int(-2, 1)) : int(d - 1, loopInts));
  const strs = ['s', 't'];
  const lists = ['xs', 'ys'];
  const int = (d: number, loopInts: string[]): string => {
    const names = [...ints, ...loopInts];
    if (d === 0 || rng.chance(0.25)) return rng.chance(0.6) ? rng.choice(names) : lit();
    const k = rng.int(0, 11);
    const i = () => int(d - 1, loopInts);
    if (k === 0) return `(${i()} ${rng.choice(['+', '-', '//', '%'])} ${i()})`;
    if (k === 1) return `(${i()} * ${small()})`;
    if (k === 2) return `len(${rng.chance(0.5) ? str(d - 1, loopInts) : list(d - 1, loopInts)})`;
    if (k === 3) return `${rng.choice(lists)}[${index(d, loopInts)}]`;
    if (k === 4) return `sum(${rng.choice(lists)})`;
    if (k === 5) return `${rng.choice(['max', 'min'])}(${rng.chance(0.5) ? rng.choice(lists) : `${i()}, ${i()}`})`;
    if (k === 6) return `abs(${i()})`;
    if (k === 7) return `-${i()}`;
    if (k === 8) return `g(${i()})`;
    if (k === 9) return `h(abs(${i()}) % 8)`;
    if (k === 10 || rng.chance(0.7)) return `int(str(${i()}))`;
    return `int(${rng.choice(strs)})`;
  };
  const str = (d: number, loopInts: string[], loopStrs: string[] = []): string => {
    const names = [...strs, ...loopStrs];
    if (d === 0 || rng.chance(0.3)) return rng.chance(0.5) ? rng.choice(names) : strLit();
    const k = rng.int(0, 4);
    const v = rng.choice(names);
    if (k === 0) return `${v} + ${strLit()}`;
    if (k === 1) return `str(${int(d - 1, loopInts)})`;
    if (k === 2) return `${v}[${index(d, loopInts)}]`;
    if (k === 3) return `${v}[${rng.chance(0.5) ? lit() : ''}:${rng.chance(0.5) ? lit() : ''}${rng.chance(0.3) ? ':-1' : ''}]`;
    return `${strLit()} * ${small()}`;
  };
  const list = (d: number, loopInts: string[], withYs = true): string => {
    const k = rng.int(0, withYs ? 5 : 3);
    if (d === 0 || k === 0) return `[${Array.from({ length: rng.int(0, 3) }, () => int(d === 0 ? 0 : d - 1, loopInts)).join(', ')}]`;
    if (k === 1) return `list(range(${small()}))`;
    if (k === 2) return `[${lit()}] * ${small()}`;
    if (k === 3) return `xs[${lit()}:${lit()}]`;
    if (k === 4) return `ys[${rng.chance(0.5) ? lit() : ''}:]`;
    return `ys + [${int(d - 1, loopInts)}]`;
  };
  const bool = (d: number, loopInts: string[]): string => {
    const k = rng.int(0, 8);
    const i = () => int(d, loopInts);
    if (k === 0) return `${i()} ${rng.choice(['<', '>', '<=', '>=', '==', '!='])} ${i()}`;
    if (k === 1) return `${i()} < ${i()} <= ${i()}`;
    if (k === 2) return `${str(d, loopInts)} ${rng.choice(['==', '<', 'in', 'not in'])} ${str(d, loopInts)}`;
    if (k === 3) return `${i()} ${rng.choice(['in', 'not in'])} ${rng.choice(lists)}`;
    if (k === 4) return `not ${bool(Math.max(0, d - 1), loopInts)}`;
    if (k === 5) return `${bool(0, loopInts)} ${rng.choice(['and', 'or'])} ${bool(0, loopInts)}`;
    if (k === 6) return `${rng.choice(lists)} == ${list(d, loopInts)}`;
    if (k === 7) return `${rng.choice([...ints, ...strs, ...lists])} is ${rng.choice(['None', 'not None'])}`;
    return rng.choice(lists);
  };
  const block = (indent: string, depth: number, loopInts: string[], loopStrs: string[], inLoop: boolean): string[] => {
    const out: string[] = [];
    for (let s = rng.int(1, 3); s > 0; s--) out.push(...stmt(indent, depth, loopInts, loopStrs, inLoop));
    return out;
  };
  const stmt = (indent: string, depth: number, loopInts: string[], loopStrs: string[], inLoop: boolean): string[] => {
    const inner = indent + '    ';
    const k = rng.int(0, depth > 0 ? 13 : 7);
    if (k === 0) return [`${indent}${rng.choice(['a', 'b'])} = ${int(2, loopInts)}`];
    if (k === 1) return [`${indent}${rng.choice(['a', 'b'])} ${rng.choice(['+=', '-=', '//=', '%='])} ${int(1, loopInts)}`];
    // `t += <expr of t>` could double t every iteration; += only adds text not made of t.
    if (k === 2) return [rng.chance(0.5) ? `${indent}t = ${str(2, loopInts, loopStrs)}` : `${indent}t += ${rng.chance(0.5) ? strLit() : `str(${int(1, loopInts)})`}`];
    if (k === 3) return [`${indent}ys.append(${rng.chance(0.8) ? int(1, loopInts) : str(1, loopInts, loopStrs)})`];
    if (k === 4) return [`${indent}ys[${index(1, loopInts)}] = ${int(1, loopInts)}`];
    if (k === 5) return [`${indent}ys ${rng.choice(['=', '+='])} ${list(2, loopInts, false)}`];
    if (k === 6) return inLoop ? [`${indent}if ${bool(1, loopInts)}:`, `${inner}${rng.choice(['break', 'continue'])}`] : [`${indent}pass`];
    if (k === 7) return [`${indent}if ${bool(1, loopInts)}:`, `${inner}return ${int(1, loopInts)}`];
    const d = depth - 1;
    if (k === 8) {
      const lines = [`${indent}if ${bool(1, loopInts)}:`, ...block(inner, d, loopInts, loopStrs, inLoop)];
      if (rng.chance(0.5)) lines.push(`${indent}elif ${bool(1, loopInts)}:`, ...block(inner, d, loopInts, loopStrs, inLoop));
      if (rng.chance(0.5)) lines.push(`${indent}else:`, ...block(inner, d, loopInts, loopStrs, inLoop));
      return lines;
    }
    if (k === 9) {
      const v = `i${depth}`;
      return [`${indent}for ${v} in ${rng.choice([`range(${small()})`, `range(${lit()}, ${lit()}, ${rng.choice(['1', '2', '-1'])})`, 'xs', 'ys[:]'])}:`, ...block(inner, d, [...loopInts, v], loopStrs, true)];
    }
    if (k === 10) {
      const v = `c${depth}`;
      return [`${indent}for ${v} in ${rng.choice(strs)}:`, ...block(inner, d, loopInts, [...loopStrs, v], true)];
    }
    if (k === 11) {
      const v = `k${depth}`;
      return [`${indent}${v} = 0`, `${indent}while ${v} < ${small()}:`, `${inner}${v} += 1`, ...block(inner, d, [...loopInts, v], loopStrs, true)];
    }
    return [
      `${indent}try:`,
      ...block(inner, d, loopInts, loopStrs, inLoop),
      `${indent}except ${rng.choice(['IndexError', 'ZeroDivisionError', 'ValueError', '(IndexError, TypeError)', 'Exception'])}:`,
      `${inner}b = ${lit()}`,
    ];
  };
  const result = rng.choice(['a', 'b', 't', 'ys', '[a, b, t, ys]', 'str(ys) + t', 'len(ys) + a']);
  return [
    'K = 3',
    '',
    'def g(x):',
    '    return x * 2 + 1',
    '',
    'def h(m):',
    '    if m <= 0:',
    '        return 0',
    '    return m + h(m - 1)',
    '',
    'def f(n, s, xs):',
    '    a = n',
    '    b = 0',
    '    t = s',
    '    ys = [a, 2]',
    ...block('    ', 2, [], [], false),
    ...block('    ', 2, [], [], false),
    `    return ${result}`,
  ].join('\n');
}

test('the interpreter agrees with CPython on 300 random functions', () => {
  const rng = new Rng(7);
  const jobs = Array.from({ length: 300 }, () => ({
    source: randomFunction(rng),
    fn: 'f',
    args: [rng.int(-3, 9), rng.choice(['', 'ab', 'hello', '12', 'x y']), Array.from({ length: rng.int(0, 4) }, () => rng.int(-2, 9))] as PyValue[],
  }));
  const expected = compareWithPython(jobs);
  const overflows = expected.filter((r) => 'overflow' in r).length;
  assert.ok(overflows < 20, `most runs stay within exact ints (${overflows} of ${jobs.length} did not)`);
  const errors = expected.filter((e) => 'error' in e).length;
  assert.ok(errors > 10 && errors < jobs.length / 2, `some runs raise, most return (${errors} raised)`);
});
