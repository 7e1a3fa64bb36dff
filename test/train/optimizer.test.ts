/** The learning-rate schedule and AdamW on problems whose answers are known in closed form. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdamW, clipGradNorm, gradNorm } from '../../engine/src/train/adamw';
import { learningRate, type ScheduleOptions } from '../../engine/src/train/schedule';

const s: ScheduleOptions = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110, decay: 'cosine' };

test('schedule: linear warmup to lr, then cosine or linear decay to minLr', () => {
  assert.equal(learningRate(0, s), 1e-4);
  assert.equal(learningRate(9, s), 1e-3);
  assert.ok(Math.abs(learningRate(60, s) - 5.5e-4) < 1e-12, 'cosine is halfway at the middle');
  assert.ok(Math.abs(learningRate(110, s) - 1e-4) < 1e-12);
  assert.ok(Math.abs(learningRate(35, { ...s, decay: 'linear' }) - (1e-3 - 0.25 * 9e-4)) < 1e-12);
  assert.equal(learningRate(100, { ...s, decay: 'constant' }), 1e-3);
  for (let t = 10; t < 110; t++) assert.ok(learningRate(t + 1, s) <= learningRate(t, s), 'decays monotonically');
});

test('AdamW minimises a quadratic; weight decay shrinks only the decayed range', () => {
  // f(x) = Σ (x_i − c_i)², gradient 2(x − c); no decay: x → c.
  const c = Float32Array.from([3, -2, 0.5, 1]);
  const x = new Float32Array(4);
  const adam = new AdamW(4, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, [[0, 4, false]]);
  const g = new Float32Array(4);
  for (let t = 0; t < 2000; t++) {
    for (let i = 0; i < 4; i++) g[i] = 2 * (x[i] - c[i]);
    adam.step(x, g, 0.05);
  }
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(x[i] - c[i]) < 1e-2, `x${i} = ${x[i]}`);
  assert.equal(adam.state.t, 2000);

  // With zero gradient only decoupled decay acts: x ← x(1 − lr·wd) on the decayed range.
  const y = Float32Array.from([1, 1, 1, 1]);
  const decay = new AdamW(4, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 }, [[0, 2, true], [2, 4, false]]);
  decay.step(y, new Float32Array(4), 0.1);
  const shrunk = Math.fround(1 - 0.1 * 0.5);
  assert.deepEqual(Array.from(y), [shrunk, shrunk, 1, 1]);
});

test('gradient clipping scales to the norm limit and reports the norm before', () => {
  const g = Float32Array.from([3, 4]);
  assert.equal(clipGradNorm(g, 1), 5);
  assert.ok(Math.abs(gradNorm(g) - 1) < 1e-6);
  const small = Float32Array.from([0.3, 0.4]);
  clipGradNorm(small, 1);
  assert.deepEqual(Array.from(small), [Math.fround(0.3), Math.fround(0.4)]);
});
