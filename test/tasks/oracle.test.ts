import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultParser } from '../../engine/src/tasks/config';
import { resolveGenerator, type GeneratorName } from '../../engine/src/tasks/generators';
import { LineHeuristicModel } from '../../engine/src/tasks/heuristicModel';
import { OracleModel } from '../../engine/src/tasks/oracle';
import { getParser } from '../../engine/src/tasks/parsers';
import { TEMPLATES, type TemplateName } from '../../engine/src/tasks/prompts';
import { Rng } from '../../engine/src/tasks/rng';

const PAIRS: [GeneratorName, TemplateName][] = [
  ['range', 'range_tracking'],
  ['range_lines', 'minimal'],
  ['variable_increments', 'step_by_step'],
  ['arithmetic_sequence', 'chain_of_thought'],
  ['counter', 'range_tracking'],
  ['fibonacci', 'range_tracking'],
  ['plus_minus', 'entity_tracking'],
  ['boolean', 'boolean_logic'],
  ['boolean_advanced', 'boolean_logic'],
  ['exception', 'exception_handling'],
  ['binding', 'variable_binding'],
];

test('the oracle answers every task correctly through every template, in both styles', async () => {
  for (const style of ['bare', 'sentence'] as const) {
    const oracle = new OracleModel('oracle', style);
    for (const [gen, template] of PAIRS) {
      const samples = Array.from({ length: 20 }, (_, i) => resolveGenerator({ name: gen })(1 + (i % 9), new Rng(i)));
      const prompts = samples.map((g) => TEMPLATES[template].render(g.program, { variable: g.metadata.variable as string | undefined }));
      const outputs = await oracle.generate(prompts, { maxNewTokens: 8 });
      const parse = getParser(defaultParser(template));
      samples.forEach((g, i) => assert.equal(parse(outputs[i]), g.answer, `${gen}/${template}/${style}: ${JSON.stringify(outputs[i])}\n${prompts[i]}`));
    }
  }
});

test('the oracle says so when it cannot run a program', async () => {
  const [out] = await new OracleModel().generate(['```python\nx = y\n```\nThe final value of x is: '], { maxNewTokens: 8 });
  assert.match(out, /cannot evaluate this program: it raises NameError/);
  assert.equal(getParser('integer')(out), null);
});

test('the line heuristic model is right exactly on heuristic-reachable programs whose first digit is the answer', async () => {
  const model = new LineHeuristicModel();
  const gs = Array.from({ length: 300 }, (_, i) => resolveGenerator({ name: 'binding' })(16, new Rng(i)));
  const outs = await model.generate(
    gs.map((g) => g.program),
    { maxNewTokens: 3 },
  );
  let right = 0;
  gs.forEach((g, i) => {
    const m = g.metadata as { heuristic: { lineDigits: (number | null)[]; reachable: boolean } };
    const first = m.heuristic.lineDigits.find((d) => d !== null);
    const correct = getParser('binding')(outs[i]) === g.answer;
    assert.equal(correct, first === g.answer);
    if (correct) assert.ok(m.heuristic.reachable);
    right += Number(correct);
  });
  assert.ok(right > 0 && right < gs.length);
});
