/**
 * Where a recipe's run starts: a fresh model written once as `<outDir>/init/` — itself a checkpoint
 * folder, so any step can be compared with step 0 — unless the run already has checkpoints to
 * resume from; then loaded as the trainer's starting point. `from` starts instead from an existing
 * model folder's weights (continued training with a new schedule or data), copied in as `init/`;
 * with `growAt` it is first deepened by new blocks at those depths (see deepen.ts), their
 * weights drawn with the fresh model's seed and scale.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFolderAtomic } from '../atomicWrite';
import { loadParameters } from '../autodiff/load';
import { type TinyOptions, writeTinyCheckpoint } from '../checkpoint/tiny';
import { IntrospectError } from '../errors';
import { checkpointSteps, writeModelFolder } from './checkpoint';
import { deepened } from './deepen';
import type { StartingPoint } from './trainer';

export async function initialModel(outDir: string, fresh: TinyOptions, from?: string, growAt: number[] = []): Promise<StartingPoint> {
  const init = join(outDir, 'init');
  if (growAt.length && !from) throw new IntrospectError('growing needs a model to start from', 'growAt');
  if (checkpointSteps(outDir).length === 0) {
    if (from) await copyModelFolder(from, init);
    else await writeTinyCheckpoint(init, fresh);
    if (growAt.length) {
      const grown = deepened(await loadParameters(init), { at: growAt, seed: fresh.seed ?? 0, initStd: fresh.initStd ?? 0.02 });
      await writeModelFolder(init, { ...grown, tokenizerJson: readFileSync(join(init, 'tokenizer.json'), 'utf8'), dtype: 'float32' });
    }
  }
  const { layout, flat, config } = await loadParameters(init);
  return { layout, flat, config, tokenizerJson: readFileSync(join(init, 'tokenizer.json'), 'utf8') };
}

/** A model folder's three files, copied into place atomically. */
function copyModelFolder(from: string, to: string): Promise<void> {
  return writeFolderAtomic(to, (tmp) => {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      try {
        copyFileSync(join(from, f), join(tmp, f));
      } catch {
        throw new IntrospectError(`no ${f} there: not a model folder to start from`, from);
      }
    }
  });
}
