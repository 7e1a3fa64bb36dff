/** Batches for the loss graphs: left padding, answer-only targets, and labels other than the row's own tokens. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBatch } from '../../engine/src/autodiff/batch';

describe('makeBatch', () => {
  test('targets weight only the chosen predictions; given labels replace the next token there', () => {
    const b = makeBatch([[5, 6, 7, 8], [6, 7, 8]], { targets: [[2, 3], [2]], labels: [[9, 8], [4]], vocabSize: 10 });
    assert.equal(b.T, 4);
    assert.deepEqual(b.padding, [0, 1]);
    // Row 0: position 1 predicts target 2 (label 9 instead of 7), position 2 predicts target 3 (its own token 8).
    assert.deepEqual([...b.weights.subarray(0, 4)], [0, 1, 1, 0]);
    assert.deepEqual([...b.labels.subarray(1, 3)].map(Number), [9, 8]);
    // Row 1 is padded by one: its target 2 is predicted at padded position 2.
    assert.deepEqual([...b.weights.subarray(4, 8)], [0, 0, 1, 0]);
    assert.equal(Number(b.labels[6]), 4);
  });

  test('bad labels are refused with the row named', () => {
    assert.throws(() => makeBatch([[1, 2, 3]], { targets: [[1, 2]], labels: [[1]] }), /1 labels for 2 targets.*row 0|batch row 0/);
    assert.throws(() => makeBatch([[1, 2, 3]], { targets: [[1]], labels: [[12]], vocabSize: 10 }), /label 12 out of range/);
    assert.throws(() => makeBatch([[1, 2, 3]], { labels: [[1]] }), /labels for 0 targets/);
  });
});
