import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyException, runPython } from '../../engine/src/tasks/interpreter';
import { Rng } from '../../engine/src/tasks/rng';
import { runInPython } from './python';

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

function interpret(program: string, variable: string): { value: number | boolean | null } | { error: string } {
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
  assert.throws(() => runPython('x = 1\nwhile x:\n    x = 0'), /line 2: unsupported statement/);
  assert.throws(() => runPython('x = 1\n    y = 2'), /line 2: unexpected indent/);
  assert.throws(() => runPython('for i in range(3):\nx = 1'), /line 1: expected an indented block/);
  assert.throws(() => runPython('x = "a"'), /line 1: cannot read/);
});
