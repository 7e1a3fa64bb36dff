/**
 * Recipe: train a small Llama-style model from scratch on variable-binding programs in the paper's
 * format (Wu, Geiger & Millière 2025, arXiv 2505.20896: 16 assignments `v = digit` / `v = w` over
 * a–z, then `#q:`, chains up to 4 hops, depth-balanced), with a character tokenizer and the loss
 * on the answer digit only. Checkpoints (`step-<N>/`, Hugging Face folders), `train.jsonl` and the
 * curves go to the output folder; rerunning the same command resumes a killed run.
 *
 *   node --import tsx experiments/train/bindingTracer.ts --out results/train/binding-tracer --steps 6000
 *
 * At the end it scores the final checkpoint through the engine's inference path, by hops.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadParameters } from '../../engine/src/autodiff/load';
import { charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { IntrospectError } from '../../engine/src/errors';
import { checkpointSteps, stepDir, writeModelFolder } from '../../engine/src/train/checkpoint';
import { type Examples, train, type TrainData } from '../../engine/src/train/trainer';
import { type BindingExample, bindingExamples, charEncoder, scoreBinding } from './bindingScore';

/** Only the characters these programs use: a small vocabulary keeps the unembedding cheap. */
const CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789', ' ', '\n', '=', '#', ':'];

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'results/train/binding-tracer' },
    steps: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    layers: { type: 'string', default: '4' },
    d: { type: 'string', default: '64' },
    heads: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    'eval-every': { type: 'string', default: '250' },
    'held-out': { type: 'string', default: '256' },
  },
});
const num = (k: keyof typeof args) => {
  const v = Number(args[k]);
  if (!Number.isFinite(v) || v <= 0) throw new IntrospectError(`must be a positive number, got ${args[k]}`, `--${k}`);
  return v;
};

const examples = (ps: BindingExample[]): Examples => ({ rows: ps.map((p) => p.ids), targets: ps.map((p) => [p.ids.length - 1]) });

async function main(): Promise<void> {
  const outDir = args.out!;
  const seed = num('seed');
  const batch = num('batch');
  const tokenizer = charTokenizerJson(CHARS) as { model: { vocab: Record<string, number> } };
  const encode = charEncoder(tokenizer.model.vocab);
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const dModel = num('d');
  const nHeads = num('heads');
  const run = { recipe: 'binding-tracer', seed, batch, layers: num('layers'), dModel, nHeads, lr: num('lr'), steps: num('steps') };

  // The initial model is itself a checkpoint folder, so any step can be compared with step 0.
  const init = join(outDir, 'init');
  if (checkpointSteps(outDir).length === 0)
    await writeTinyCheckpoint(init, {
      modelType: 'llama',
      nLayers: run.layers,
      dModel,
      nHeads,
      dMlp: 4 * dModel,
      maxPositions: 128,
      tokenizerJson: tokenizer,
      vocabSize,
      initStd: 0.02,
      seed,
    });
  const { layout, flat, config } = await loadParameters(init);

  const heldOut = bindingExamples(encode, seed, -1, num('held-out'));
  const data: TrainData = { batch: (step) => examples(bindingExamples(encode, seed, step, batch)), heldOut: examples(heldOut) };
  const t0 = Date.now();
  const tokenizerJson = readFileSync(join(init, 'tokenizer.json'), 'utf8');
  const trained = await train({ layout, flat, config, tokenizerJson }, data, {
    outDir,
    steps: run.steps,
    lr: run.lr,
    warmupSteps: Math.min(200, Math.floor(run.steps / 10)),
    decay: 'cosine',
    weightDecay: 0.1,
    evalEvery: num('eval-every'),
    checkpointEvery: num('eval-every'),
    run,
    onProgress: (r) => {
      if (r.step % 50 === 0 || r.evalAccuracy !== undefined)
        console.log(
          `step ${r.step}/${run.steps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${r.stepsPerSecond.toFixed(2)} steps/s` +
            (r.evalAccuracy !== undefined ? ` | held-out loss ${r.evalLoss!.toFixed(4)} accuracy ${(100 * r.evalAccuracy).toFixed(1)}%` : ''),
        );
    },
  });

  const last = trained.last;
  // A compact float16 copy of the final model, the one worth keeping.
  await writeModelFolder(join(outDir, 'final-float16'), { layout, flat: trained.flat, config, tokenizerJson, dtype: 'float16' });

  // Score the final checkpoint through the inference path, by hops and heuristic reachability.
  const summary = {
    run,
    parameters: layout.size,
    final: last,
    heldOut: await scoreBinding(stepDir(outDir, run.steps), heldOut),
    wallSeconds: (Date.now() - t0) / 1000,
  };
  const tmp = join(outDir, `summary.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(summary, null, 2));
  renameSync(tmp, join(outDir, 'summary.json'));
  console.log(JSON.stringify(summary.heldOut));
}

main().catch((e) => {
  console.error(e instanceof IntrospectError ? e.message : e);
  process.exit(1);
});
