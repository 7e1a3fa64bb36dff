/**
 * Where a recipe's run starts: a fresh model written once as `<outDir>/init/` — itself a checkpoint
 * folder, so any step can be compared with step 0 — unless the run already has checkpoints to
 * resume from; then loaded as the trainer's starting point. `from` starts instead from an existing
 * model folder's weights (continued training with a new schedule or data), copied in as `init/`;
 * with `growAt` it is first deepened by new blocks at those depths (see deepen.ts), their
 * weights drawn with the fresh model's seed and scale. When the recipe's tokenizer extends that
 * model's (every old token at its old id), the model is widened to it (see widen.ts), and to the
 * recipe's context length where that is longer.
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
import { widened } from './widen';

export async function initialModel(outDir: string, fresh: TinyOptions, from?: string, growAt: number[] = []): Promise<StartingPoint> {
  const init = join(outDir, 'init');
  if (growAt.length && !from) throw new IntrospectError('growing needs a model to start from', 'growAt');
  if (checkpointSteps(outDir).length === 0) {
    if (from) await copyModelFolder(from, init);
    else await writeTinyCheckpoint(init, fresh);
    if (from && fresh.tokenizerJson && extendsVocabulary(fresh.tokenizerJson, readFileSync(join(init, 'tokenizer.json'), 'utf8'))) {
      const m = await loadParameters(init);
      const maxPositions = Math.max(m.layout.spec.maxPositions, fresh.maxPositions ?? 0);
      const wide = widened(m, { vocabSize: fresh.vocabSize!, maxPositions, seed: fresh.seed ?? 0, initStd: fresh.initStd ?? 0.02 });
      await writeModelFolder(init, { ...wide, tokenizerJson: JSON.stringify(fresh.tokenizerJson), dtype: 'float32' });
    }
    if (growAt.length) {
      const grown = deepened(await loadParameters(init), { at: growAt, seed: fresh.seed ?? 0, initStd: fresh.initStd ?? 0.02 });
      await writeModelFolder(init, { ...grown, tokenizerJson: readFileSync(join(init, 'tokenizer.json'), 'utf8'), dtype: 'float32' });
    }
  }
  const { layout, flat, config } = await loadParameters(init);
  return { layout, flat, config, tokenizerJson: readFileSync(join(init, 'tokenizer.json'), 'utf8') };
}

/** Whether `wider` has more tokens than `narrower` and keeps each of its tokens at the same id. */
function extendsVocabulary(wider: object, narrower: string): boolean {
  const vocab = (t: unknown) => (t as { model?: { vocab?: Record<string, number> } }).model?.vocab;
  const [w, n] = [vocab(wider), vocab(JSON.parse(narrower))];
  if (!w || !n) return false;
  return Object.keys(w).length > Object.keys(n).length && Object.entries(n).every(([token, id]) => w[token] === id);
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
