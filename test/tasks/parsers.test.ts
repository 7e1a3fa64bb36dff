import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanResponse, getParser, parseBindingAnswer, parseBoolean, parseInteger } from '../../engine/src/tasks/parsers';

test('integer parser: the ways models state a number', () => {
  const cases: [string, number | null][] = [
    ['7', 7],
    [' 42\n\nExplanation: x starts at 0 and grows by 6 seven times.', 42],
    ['The answer is 7.', 7],
    ['x = 7', 7],
    ['**7**', 7],
    ['`12`', 12],
    ['-3', -3],
    ['1,234', 1234],
    ['Answer: 15', 15],
    ['The final value of x is: 24', 24],
    ['The final value of `result` is 9.', 9],
    ['$\\boxed{18}$', 18],
    ['Step 1: x = 0\nStep 2: x = 3\nStep 3: x = 6\nSo the final answer is 6.', 6],
    ['x starts at 2. After the loop x = 10, then x = 14.\nFinal answer: 14', 14],
    ['<think>x is 3, then 5, then 8</think>\n8', 8],
    ['<think>Let me compute: 4 + 4 = 8. Hmm, the answer is 8? No, 9.</think>The answer is 9.', 9],
    ['<think>still thinking about 3 and 4 and', null],
    ['3 + 4 = 7', 7],
    ['2 * 3 = 6, so x is 6', 6],
    ['I cannot determine the value.', null],
    ['', null],
  ];
  for (const [text, want] of cases) assert.equal(parseInteger(text), want, JSON.stringify(text));
});

test('boolean parser: True/true/yes/1, sentences, thinking', () => {
  const cases: [string, boolean | null][] = [
    ['True', true],
    ['False\n', false],
    [' true', true],
    ['false.', false],
    ['Yes', true],
    ['no', false],
    ['1', true],
    ['0', false],
    ['**False**', false],
    ['\\boxed{True}', true],
    ['The answer is True.', true],
    ['x = x and y makes x False, then not x makes it True. The final value is False', false],
    ['x starts True, y is False; x and y is False, so the result: False', false],
    ['<think>x = True, y = False</think>\nTrue', true],
    ['It flips between true and false and ends up true', true],
    ['unknown', null],
  ];
  for (const [text, want] of cases) assert.equal(parseBoolean(text), want, JSON.stringify(text));
});

test('binding parser: leading digit, "a = 7", sentences; program continuations are no answer', () => {
  const cases: [string, number | null][] = [
    [' 7', 7],
    ['7\n#b: 3', 7],
    ['a = 7', 7],
    ['a: 7', 7],
    ['The answer is 7.', 7],
    ['The value of a is 4.', 4],
    ['**5**', 5],
    ['<think>a = k, k = 3</think> 3', 3],
    ['', null],
  ];
  for (const [text, want] of cases) assert.equal(parseBindingAnswer(text, { variable: 'a' }), want, JSON.stringify(text));
  // Continuing the program assigns other variables: no answer for the queried one.
  assert.equal(parseBindingAnswer('\nb = 3\nc = b', { variable: 'a' }), null);
  assert.equal(parseBindingAnswer('a = 7'), 7, 'without a known query variable any "v = N" counts');
  assert.equal(parseBindingAnswer('777'), 7, 'a small model that keeps emitting the digit answered with the first');
});

test('cleanResponse drops closed and unclosed thinking', () => {
  assert.equal(cleanResponse('<think>a</think> b <think>c'), 'b');
  assert.equal(cleanResponse('reasoning…</think>\n**5**'), '5');
});

test('parsers are found by name, with a suggestion for typos', () => {
  assert.equal(getParser('integer'), parseInteger);
  assert.throws(() => getParser('boolen'), /unknown parser "boolen" \(did you mean "boolean"\?\)/);
});
