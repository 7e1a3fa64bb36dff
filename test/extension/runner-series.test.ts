import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracySeries } from '../../webview/src/runner/series';

test('accuracy series: one line per model over sorted lengths, gaps where a point is missing', () => {
  const s = accuracySeries({
    dir: '/r/1', experiment: 'binding', startedAt: '2026-01-01T00:00:00Z', finished: true, models: ['/m/a', '/m/b'], lengths: [4, 2], n: 4,
    accuracy: [
      { model: '/m/a', length: 4, correct: 1, n: 4 },
      { model: '/m/a', length: 2, correct: 3, n: 4 },
      { model: '/m/b', length: 2, correct: 4, n: 4 },
    ],
  });
  assert.deepEqual(s, { lengths: [2, 4], models: [{ name: 'a', accuracy: [0.75, 0.25] }, { name: 'b', accuracy: [1, null] }] });
});
