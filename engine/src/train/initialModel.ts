/**
 * Where a recipe's run starts: a fresh model written once as `<outDir>/init/` — itself a checkpoint
 * folder, so any step can be compared with step 0 — unless the run already has checkpoints to
 * resume from; then loaded as the trainer's starting point.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParameters } from '../autodiff/load';
import { type TinyOptions, writeTinyCheckpoint } from '../checkpoint/tiny';
import { checkpointSteps } from './checkpoint';
import type { StartingPoint } from './trainer';

export async function initialModel(outDir: string, fresh: TinyOptions): Promise<StartingPoint> {
  const init = join(outDir, 'init');
  if (checkpointSteps(outDir).length === 0) await writeTinyCheckpoint(init, fresh);
  const { layout, flat, config } = await loadParameters(init);
  return { layout, flat, config, tokenizerJson: readFileSync(join(init, 'tokenizer.json'), 'utf8') };
}
