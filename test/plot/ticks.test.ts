import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axisScale } from '../../engine/src/plot/ticks';

test('linear ticks are round numbers inside the domain, mapped onto the axis length', () => {
  const a = axisScale({ lo: -0.03, hi: 1.03, length: 400, tickLo: 0, tickHi: 1 });
  const values = a.ticks.map((t) => t.value);
  assert.ok(values.length >= 3 && values[0] === 0 && values.at(-1) === 1);
  for (const t of a.ticks) assert.ok(Math.abs(t.offset - ((t.value + 0.03) / 1.06) * 400) < 1e-9);
});

test('y axes are flipped: larger values sit nearer the top', () => {
  const a = axisScale({ lo: 0, hi: 10, length: 300, flip: true });
  assert.equal(a.map(10), 0);
  assert.equal(a.map(0), 300);
});

test('large values get SI-prefixed labels on linear and log axes', () => {
  const lin = axisScale({ lo: 0, hi: 150000, length: 600 });
  assert.deepEqual(lin.ticks.slice(0, 3).map((t) => t.label), ['0', '20k', '40k']);
  const log = axisScale({ lo: 1, hi: 150000, length: 600, log: true });
  assert.ok(log.ticks.some((t) => t.label === '10k'));
  const small = axisScale({ lo: 0, hi: 1, length: 600 });
  assert.ok(small.ticks.some((t) => t.label === '0.4'));
});

test('explicit ticks are kept as given, dropping those outside the tick range', () => {
  const a = axisScale({ lo: 0.5, hi: 12.5, length: 600, at: [1, 2, 3, 4, 6, 8, 12, 20] });
  assert.deepEqual(a.ticks.map((t) => t.label), ['1', '2', '3', '4', '6', '8', '12']);
});
