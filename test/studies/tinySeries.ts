/**
 * A real developmental series for the study tests: a one-layer Llama with the binding recipe's
 * character tokenizer, trained a few steps on binding programs by the engine's trainer, with float16
 * series folders at steps 0, 3 and 6 (as the recipe writes `series/`).
 */
import { join } from 'node:path';
import { SERIES_DIR } from '../../engine/src/train/checkpoint';
import { initialModel } from '../../engine/src/train/initialModel';
import { train } from '../../engine/src/train/trainer';
import { bindingExamples, bindingTokenizerJson, encoderOf } from '../../experiments/train/bindingScore';

export const SERIES_STEPS = [0, 3, 6];

/** Trains into `outDir` and returns the series folder. */
export async function tinySeries(outDir: string): Promise<string> {
  const tokenizer = bindingTokenizerJson('char') as { model: { vocab: Record<string, number> } };
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const start = await initialModel(outDir, { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, dMlp: 32, maxPositions: 128, tokenizerJson: tokenizer, vocabSize, seed: 3 });
  const encode = encoderOf(tokenizer);
  await train(
    start,
    { batch: (step) => ({ rows: bindingExamples(encode, 1, step, 8).map((e) => e.ids) }) },
    { outDir, steps: 6, lr: 3e-3, checkpointEvery: 6, seriesSteps: SERIES_STEPS, run: { recipe: 'tiny-series' } },
  );
  return join(outDir, SERIES_DIR);
}
