import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENERATOR_NAMES, resolveGenerator, type GeneratorName } from '../../engine/src/tasks/generators';
import { runPython } from '../../engine/src/tasks/interpreter';
import { Rng } from '../../engine/src/tasks/rng';
import type { GeneratedProgram } from '../../engine/src/tasks/types';
import { runInPython } from './python';

const LENGTHS = [1, 2, 5, 9, 16];
const SEEDS = 25;

/** The variable holding the answer: the binding query, a generator's `variable`, else x. */
function answerVariable(g: GeneratedProgram): string {
  if (typeof g.metadata.queryVariable === 'string') return g.metadata.queryVariable;
  return typeof g.metadata.variable === 'string' ? g.metadata.variable : 'x';
}

function sampleAll(name: GeneratorName): GeneratedProgram[] {
  const gen = resolveGenerator({ name });
  return LENGTHS.flatMap((n) => Array.from({ length: SEEDS }, (_, s) => gen(n, new Rng(1000 * n + s))));
}

test('every generator is deterministic for a seed and varies across seeds', () => {
  for (const name of GENERATOR_NAMES) {
    const a = sampleAll(name);
    const b = sampleAll(name);
    assert.deepEqual(a, b, name);
    if (name !== 'counter' && name !== 'fibonacci') {
      assert.ok(new Set(a.map((g) => g.program)).size > LENGTHS.length, `${name} produces varied programs`);
    }
  }
});

test('every generator answer equals what CPython and the interpreter compute', () => {
  const all = GENERATOR_NAMES.flatMap((name) => sampleAll(name).map((g) => ({ name, g })));
  const py = runInPython(all.map(({ g }) => ({ program: g.program, variable: answerVariable(g) })));
  all.forEach(({ name, g }, i) => {
    assert.deepEqual(py[i], { value: g.answer }, `${name}:\n${g.program}`);
    assert.equal(runPython(g.program).get(answerVariable(g)), g.answer, `${name} (interpreter):\n${g.program}`);
  });
});

test('generators follow the seed framework program shapes', () => {
  const r = () => new Rng(7);
  const range = resolveGenerator({ name: 'range' })(4, r());
  assert.match(range.program, /^x = 0\nfor i in range\(4\):\n {4}x \+= [1-9]$/);
  const lines = resolveGenerator({ name: 'range_lines' })(3, r());
  assert.equal(lines.program.split('\n').length, 4);
  const inc = resolveGenerator({ name: 'variable_increments' })(3, r());
  assert.match(inc.program.split('\n')[3], /^x \+= [1-4] {2}# step 3$/);
  const fib = resolveGenerator({ name: 'fibonacci' })(5, r());
  assert.match(fib.program, /^a, b = 1, 1\n(a, b = b, a \+ b {2}# step \d\n){5}result = a$/);
  const bool = resolveGenerator({ name: 'boolean' })(6, r());
  assert.match(bool.program, /^x = (True|False)\ny = (True|False)(\nx = (x and y|x or y|not x)){6}$/);
  const exc = resolveGenerator({ name: 'exception' })(30, r());
  assert.ok((exc.metadata.exceptions as number) > 0, 'some divisions raise');
  assert.equal(exc.program.split('\n').length, 1 + 4 * 30);
});

test('unknown generators and options are rejected with a clear error', () => {
  assert.throws(() => resolveGenerator({ name: 'bindng' as GeneratorName }), /unknown generator "bindng" \(did you mean "binding"\?\)/);
  assert.throws(() => resolveGenerator({ name: 'range', options: { hops: 2 } }), /takes no options/);
  assert.throws(() => resolveGenerator({ name: 'range' })(0, new Rng(1)), /positive integer/);
});
