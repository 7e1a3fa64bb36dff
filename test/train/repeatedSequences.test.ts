/**
 * The repeated-sequence rows mixed into the recipes' batches, and batches concatenated from example
 * sets with and without explicit targets: checked through makeBatch, the layout the trainer uses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch } from '../../engine/src/autodiff/batch';
import { concatExamples, repeatedSequences } from '../../experiments/train/repeatedSequences';

test('repeated sequences: the second half copies the first, every predictable copied token is a target', () => {
  const tokens = [5, 6, 7, 8, 9, 10];
  const ex = repeatedSequences(1, 0, 50, tokens, 12);
  const halves = new Set<number>();
  ex.rows.forEach((row, r) => {
    const half = row.length / 2;
    halves.add(half);
    assert.ok(half >= 4 && half <= 12);
    assert.deepEqual(row.slice(half), row.slice(0, half));
    assert.ok(row.every((t) => tokens.includes(t)));
    assert.deepEqual(ex.targets![r], Array.from({ length: half - 1 }, (_, i) => half + 1 + i));
  });
  // The length varies, so no fixed offset points at the copy.
  assert.ok(halves.size > 3);
  assert.deepEqual(repeatedSequences(1, 0, 50, tokens, 12), ex, 'seeded');
  assert.notDeepEqual(repeatedSequences(1, 1, 50, tokens, 12), ex);
});

test('concatExamples spells out implicit targets and labels, and makeBatch lays them out as before', () => {
  const a = { rows: [[1, 2, 3, 4]], targets: [[3]], labels: [[9]] };
  const b = { rows: [[5, 6, 7]] };
  const c = { rows: [[4, 4, 4, 4, 4]], targets: [[2, 4]] };
  const joined = concatExamples(a, b, c);
  assert.deepEqual(joined, {
    rows: [[1, 2, 3, 4], [5, 6, 7], [4, 4, 4, 4, 4]],
    targets: [[3], [1, 2], [2, 4]],
    labels: [[9], [6, 7], [4, 4]],
  });
  // Row b with every position spelled out weighs the same positions as row b left implicit.
  const implicit = makeBatch(b.rows);
  const explicit = makeBatch(b.rows, { targets: [[1, 2]], labels: [[6, 7]] });
  assert.deepEqual(explicit.weights, implicit.weights);
  assert.deepEqual(explicit.labels, implicit.labels);
});
