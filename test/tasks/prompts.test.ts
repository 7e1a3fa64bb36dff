import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getTemplate, TEMPLATE_NAMES, TEMPLATES } from '../../engine/src/tasks/prompts';

const PROGRAM = 'x = 0\nfor i in range(3):\n    x += 2  # {code} stays literal';

test('all seven seed templates plus the query form and exception handling exist', () => {
  assert.deepEqual(TEMPLATE_NAMES, [
    'range_tracking',
    'boolean_logic',
    'step_by_step',
    'chain_of_thought',
    'minimal',
    'entity_tracking',
    'variable_binding',
    'query',
    'exception_handling',
  ]);
});

test('every template embeds the program once, verbatim, and ends at the answer cue', () => {
  for (const name of TEMPLATE_NAMES) {
    const t = TEMPLATES[name];
    const prompt = t.render(PROGRAM);
    assert.equal(prompt.split(PROGRAM).length, 2, `${name} contains the program exactly once`);
    assert.ok(!/\{(code|variable)\}/.test(prompt.replace(PROGRAM, '')), `${name} has no unfilled placeholder`);
    if (name === 'variable_binding') assert.equal(prompt, PROGRAM);
    else if (name === 'query') assert.equal(prompt, `${PROGRAM}\n#x:`);
    else {
      assert.ok(prompt.includes('```python\n' + PROGRAM + '\n```'), `${name} fences the program`);
      assert.match(prompt, /(is: |Answer: )$/, `${name} ends where the answer starts`);
    }
  }
});

test('the seed wording is kept and the variable can be changed', () => {
  const range = TEMPLATES.range_tracking.render(PROGRAM);
  assert.ok(range.startsWith('You are given a short Python program. Your task is to compute the final value of the variable x.\n'));
  assert.ok(range.endsWith('The final value of x is: '));
  const count = TEMPLATES.range_tracking.render(PROGRAM, { variable: 'count' });
  assert.ok(count.endsWith('The final value of count is: '));
  assert.ok(TEMPLATES.exception_handling.render('result = 0').endsWith('The final value of `result` is: '));
  assert.ok(TEMPLATES.minimal.render(PROGRAM).startsWith('Compute the final value of x:\n\n```python\n'));
  assert.equal(TEMPLATES.boolean_logic.answerKind, 'boolean');
});

test('templates are found by name, with a suggestion for typos', () => {
  assert.equal(getTemplate('minimal'), TEMPLATES.minimal);
  assert.throws(() => getTemplate('minimall'), /unknown template "minimall" \(did you mean "minimal"\?\)/);
});
