import assert from 'node:assert/strict';
import { test } from 'node:test';
import { divergentArithmeticPair } from '../../engine/src/tasks/divergence';
import { Rng } from '../../engine/src/tasks/rng';
import { runInPython } from './python';

test('pairs share every line but the divergent one, and trace x as CPython does', () => {
  const pairs = Array.from({ length: 60 }, (_, i) => divergentArithmeticPair(8, i % 8, new Rng(i)));
  const jobs = pairs.flatMap((p) =>
    [p.a, p.b].flatMap((t) => t.intermediates.map((_, k) => ({ program: t.program.split('\n').slice(0, k + 2).join('\n'), variable: 'x' }))),
  );
  const py = runInPython(jobs);
  let j = 0;
  for (const p of pairs) {
    const la = p.a.program.split('\n');
    const lb = p.b.program.split('\n');
    la.forEach((line, k) => assert.equal(line === lb[k], k !== p.divergenceIndex + 1, `line ${k}:\n${p.a.program}\n--\n${p.b.program}`));
    for (const t of [p.a, p.b]) for (const x of t.intermediates) assert.deepEqual(py[j++], { value: x });
    assert.deepEqual(p.a.intermediates.slice(0, p.divergenceIndex), p.b.intermediates.slice(0, p.divergenceIndex));
  }
  assert.deepEqual(divergentArithmeticPair(8, 3, new Rng(5)), divergentArithmeticPair(8, 3, new Rng(5)));
  assert.throws(() => divergentArithmeticPair(4, 4, new Rng(0)), /divergenceIndex: must be 0\.\.3/);
});
