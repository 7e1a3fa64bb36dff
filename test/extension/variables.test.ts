import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignedVariable, codeLanguage, codeThrough, identifierAt, isAssigned } from '../../extension/src/code/variables';

test('language ids map to the two supported families', () => {
  assert.equal(codeLanguage('python'), 'python');
  assert.equal(codeLanguage('typescriptreact'), 'javascript');
  assert.equal(codeLanguage('rust'), undefined);
});

test('identifierAt finds the name under a column and ignores numbers', () => {
  assert.deepEqual(identifierAt('total = count + 1', 10, 'python'), { name: 'count', start: 8 });
  assert.deepEqual(identifierAt('total = count + 1', 0, 'python'), { name: 'total', start: 0 });
  assert.equal(identifierAt('total = count + 1', 16, 'python'), undefined);
  assert.equal(identifierAt('total = count + 1', 6, 'python'), undefined);
  assert.deepEqual(identifierAt('let $el = 2', 5, 'javascript'), { name: '$el', start: 4 });
  // A cursor right after a name is on it, as VS Code counts a word's end.
  assert.deepEqual(identifierAt('c', 1, 'python'), { name: 'c', start: 0 });
  assert.deepEqual(identifierAt('total = count + 1', 5, 'python'), { name: 'total', start: 0 });
  assert.deepEqual(identifierAt('x=y', 1, 'python'), { name: 'x', start: 0 });
});

test('isAssigned recognises assignments, loops, parameters and declarations, not comparisons', () => {
  const py = 'a = 5\nb += a\nfor i, v in pairs:\n    pass\ndef f(p, q):\n    return p == q\nwith open(x) as fh:\n    pass';
  for (const name of ['a', 'b', 'i', 'v', 'p', 'q', 'fh']) assert.ok(isAssigned(py, name, 'python'), name);
  for (const name of ['pairs', 'open', 'x', 'f2']) assert.ok(!isAssigned(py, name, 'python'), name);
  assert.ok(!isAssigned('if a == 5:\n    pass', 'a', 'python'));
  const js = 'const { k, m } = o;\nlet n = 1;\nz = 3;\nfunction g(w) { return w >= n; }\nfor (let j = 0; j < 2; j++) {}\nconst f = (y) => y;';
  for (const name of ['k', 'm', 'n', 'z', 'w', 'j', 'f']) assert.ok(isAssigned(js, name, 'javascript'), name);
  assert.ok(!isAssigned(js, 'o', 'javascript'));
  assert.ok(!isAssigned('if (n === 1) {}', 'n', 'javascript'));
});

test('assignedVariable reads the target of a single assignment', () => {
  assert.equal(assignedVariable('x = y + 1', 'python'), 'x');
  assert.equal(assignedVariable('    count += 2', 'python'), 'count');
  assert.equal(assignedVariable('x == y', 'python'), undefined);
  assert.equal(assignedVariable('print(x)', 'python'), undefined);
  assert.equal(assignedVariable('const total: number = 3;', 'javascript'), 'total');
  assert.equal(assignedVariable('let b = a;', 'javascript'), 'b');
  assert.equal(assignedVariable('f = (a) => a', 'javascript'), 'f');
  assert.equal(assignedVariable('if (a >= b) {', 'javascript'), undefined);
});

test('codeThrough keeps the lines up to and including the given one', () => {
  assert.equal(codeThrough('a = 1\r\nb = 2\nc = 3', 1), 'a = 1\nb = 2');
});
