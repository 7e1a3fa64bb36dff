import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Rng } from '../../engine/src/tasks/rng';

/** mulberry32 written independently in Python (arbitrary-precision ints masked to 32 bits). */
const PY_MULBERRY32 = `
import sys
M = 0xFFFFFFFF
def imul(a, b):
    r = (a * b) & M
    return r
def stream(seed, n):
    s = seed & M
    out = []
    for _ in range(n):
        s = (s + 0x6D2B79F5) & M
        t = s
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M
        t &= M
        out.append(((t ^ (t >> 14)) & M) / 4294967296)
    return out
for seed in map(int, sys.argv[1:]):
    print(" ".join(repr(x) for x in stream(seed, 20)))
`;

test('the stream matches an independent Python mulberry32 (same output on any machine)', () => {
  const seeds = [0, 1, 42, 123456789, 4294967295];
  const py = execFileSync('python3', ['-c', PY_MULBERRY32, ...seeds.map(String)]).toString().trim().split('\n');
  seeds.forEach((seed, i) => {
    const rng = new Rng(seed);
    const ours = Array.from({ length: 20 }, () => rng.next());
    assert.deepEqual(ours, py[i].split(' ').map(Number), `seed ${seed}`);
  });
});

test('helpers: int bounds, choice, weighted, shuffle', () => {
  const rng = new Rng(7);
  const ints = Array.from({ length: 5000 }, () => rng.int(-2, 3));
  assert.deepEqual([...new Set(ints)].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
  const picks = Array.from({ length: 4000 }, () => rng.weighted(['a', 'b'], [1, 3]));
  const b = picks.filter((p) => p === 'b').length / picks.length;
  assert.ok(Math.abs(b - 0.75) < 0.03, `weighted share ${b}`);
  const items = Array.from({ length: 20 }, (_, i) => i);
  const shuffled = rng.shuffle(items);
  assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
  assert.notDeepEqual(shuffled, items);
  assert.equal(new Rng(9).choice(['only']), 'only');
  assert.throws(() => rng.choice([]), /empty list/);
  assert.throws(() => rng.int(3, 2), /bad integer range/);
  assert.throws(() => new Rng(1.5), /seed: must be an integer/);
});

test('equal seeds give equal streams, different seeds different ones', () => {
  const draw = (s: number) => {
    const r = new Rng(s);
    return Array.from({ length: 10 }, () => r.int(0, 1000));
  };
  assert.deepEqual(draw(5), draw(5));
  assert.notDeepEqual(draw(5), draw(6));
});
