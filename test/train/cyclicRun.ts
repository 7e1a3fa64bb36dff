/**
 * A small training run shared by the training tests, also runnable as a child process
 * (`node --import tsx cyclicRun.ts <outDir> <steps> <pauseAfterStep>`) so a test can SIGKILL it.
 * The child pauses 300 ms per step after `pauseAfterStep`, giving the test time to kill it between
 * checkpoints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParameters } from '../../engine/src/autodiff/load';
import type { StartingPoint, TrainData, TrainOptions } from '../../engine/src/train/trainer';
import { train } from '../../engine/src/train/trainer';
import { REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';


export async function start(family: string): Promise<StartingPoint> {
  const dir = join(FIXTURES, family);
  const { layout, flat, config } = await loadParameters(dir);
  return { layout, flat, config, tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8') };
}

/** Cyclic sequences `k, k+1, ...` mod 8 (+10): learnable from the previous token alone. */
function cyclic(step: number, n: number, len: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: len }, (_, t) => 10 + ((step * 3 + r * 5 + t) % 8)));
}

export const data: TrainData = {
  batch: (step) => ({ rows: cyclic(step, 4, 12) }),
  heldOut: { rows: cyclic(1000, 8, 12), targets: Array.from({ length: 8 }, () => [11]) },
};

export const options = (outDir: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  outDir,
  steps: 30,
  lr: 3e-3,
  warmupSteps: 5,
  evalEvery: 10,
  checkpointEvery: 10,
  run: { recipe: 'cyclic', seed: 1 },
  ...extra,
});

if (require.main === module) {
  const [outDir, steps, pauseAfter] = process.argv.slice(2);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  start('llama')
    .then((s) =>
      train(s, data, options(outDir, { steps: Number(steps), onProgress: (r) => { if (r.step > Number(pauseAfter)) Atomics.wait(pause, 0, 0, 300); } })),
    )
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
