/**
 * The code-pairs data set: correct functions and their confirmed buggy twins, checked by the
 * project's interpreter and, independently, by the real CPython.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codePairs, generateCodePairs, MUTATIONS, mutations, TEMPLATES } from '../../engine/src/studies/data/codePairs';
import { callPython, PyException, type PyValue } from '../../engine/src/tasks/interpreter';
import { callInPython } from '../tasks/pythonCall';

const pairs = generateCodePairs(200, 3);

const run = (source: string, fn: string, args: PyValue[]) => {
  try {
    return { value: callPython(source, fn, args) };
  } catch (e) {
    if (e instanceof PyException) return { error: e.type };
    throw e;
  }
};

test('n pairs, correct then incorrect, twins by pair id; deterministic for a seed', () => {
  const d = codePairs(30, 3);
  assert.equal(d.name, 'code-pairs');
  assert.equal(d.samples.length, 60);
  d.samples.forEach((s, i) => {
    assert.equal(s.group, i % 2 ? 'incorrect' : 'correct');
    assert.equal(s.pair, Math.floor(i / 2));
    assert.match(s.text, /^def \w+\(.*\):\n( {4}.*\n)+$/, 'a function with 4-space indents, ending in a newline');
  });
  assert.deepEqual(codePairs(30, 3), d);
  assert.notDeepEqual(codePairs(30, 4), d);
  assert.equal(codePairs(1, 0).samples.length, 2);
  assert.ok(new Set(pairs.map((p) => p.correct)).size > 100, 'names and constants vary');
});

test('the mutation operators make the single-line bugs they name', () => {
  const src = 'def f(xs, n):\n    total = 0\n    for i in range(n):\n        if xs[i] > 0:\n            total += xs[i]\n    return total\n';
  const changed = (kind: (typeof MUTATIONS)[number]) => mutations(src, kind).map((m) => m.split('\n').find((l, i) => l !== src.split('\n')[i])?.trim());
  assert.deepEqual(changed('off-by-one'), ['for i in range(n - 1):', 'for i in range(1, n):', 'if xs[i] >= 0:']);
  assert.deepEqual(changed('flipped-comparison'), ['if xs[i] < 0:']);
  assert.deepEqual(changed('wrong-operator'), ['total -= xs[i]']);
  assert.deepEqual(changed('wrong-initial-value'), ['total = 1']);
  assert.deepEqual(changed('missing-update'), ['pass'], 'the only statement of a block becomes pass');
  assert.ok(changed('wrong-variable').includes('return xs') && changed('wrong-variable').includes('for i in range(total):'));
  assert.ok(!changed('wrong-variable').some((l) => /^(xs|n|i) \+=/.test(l!)), 'assignment targets are not rewritten');
  assert.deepEqual(
    mutations('def g(n):\n    p = 1\n    for i in range(1, n + 1):\n        p *= i\n        n += 0\n    return p\n', 'off-by-one').map((m) => m.split('\n')[2].trim()),
    ['for i in range(1, n):', 'for i in range(2, n + 1):'],
  );
});

test('every bug is real: the buggy twin returns something else (or raises) on some test input', () => {
  for (const p of pairs) {
    assert.notEqual(p.buggy, p.correct);
    const outcomes = p.inputs.map((args) => [run(p.correct, p.fn, args), run(p.buggy, p.fn, args)]);
    assert.ok(outcomes.every(([c]) => 'value' in c), `${p.template}: the correct version returns on every input`);
    assert.ok(outcomes.some(([c, b]) => JSON.stringify(c) !== JSON.stringify(b)), `${p.mutation} of ${p.template}:\n${p.buggy}`);
  }
});

test('every template and every mutation operator occurs over 200 pairs', () => {
  assert.ok(Object.keys(TEMPLATES).length >= 8);
  assert.deepEqual([...new Set(pairs.map((p) => p.template))].sort(), Object.keys(TEMPLATES).sort());
  assert.deepEqual([...new Set(pairs.map((p) => p.mutation))].sort(), [...MUTATIONS].sort());
});

test('CPython agrees: both versions are valid Python that behave as the interpreter says, and differ', () => {
  const jobs = pairs.flatMap((p) => [p.correct, p.buggy].flatMap((source) => p.inputs.map((args) => ({ source, fn: p.fn, args }))));
  const expected = callInPython(jobs);
  jobs.forEach((j, i) => assert.deepEqual(run(j.source, j.fn, j.args as PyValue[]), expected[i], `${j.fn}(${JSON.stringify(j.args)}):\n${j.source}`));
  let at = 0;
  for (const p of pairs) {
    const k = p.inputs.length;
    const [correct, buggy] = [expected.slice(at, at + k), expected.slice(at + k, at + 2 * k)];
    at += 2 * k;
    assert.notDeepEqual(buggy, correct, `CPython tells the twins apart:\n${p.buggy}`);
  }
});
