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
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import { IntrospectError } from '../../engine/src/errors';
import { checkpointSteps, stepDir, writeModelFolder } from '../../engine/src/train/checkpoint';
import { type Examples, train, type TrainData } from '../../engine/src/train/trainer';
import { type BindingExample, bindingExamples, bindingTokenizerJson, encoderOf, LINES, MAX_HOPS, scoreBinding } from './bindingScore';


/** Targets: the answers, after the line values when those are supervised too. */
const examples = (ps: BindingExample[]): Examples => ({
  rows: ps.map((p) => p.ids),
  targets: ps.map((p) => [...(p.lineValues?.at ?? []), ...p.answers]),
  labels: ps.map((p) => [...(p.lineValues?.labels ?? []), ...p.answers.map((a) => p.ids[a])]),
});

/** Held-out rows by hop count and by whether the line-1/line-2 heuristic solves them: the phases show there. */
function heldOutGroups(ps: BindingExample[]): Record<string, number[]> {
  const rows = (keep: (p: BindingExample) => boolean) => ps.flatMap((p, i) => (keep(p) ? [i] : []));
  const hops = [...new Set(ps.map((p) => p.hops))].sort((a, b) => a - b);
  return {
    ...Object.fromEntries(hops.map((h) => [`${h} hop${h > 1 ? 's' : ''}`, rows((p) => p.hops === h)])),
    'heuristic solves': rows((p) => p.heuristic),
    'heuristic fails': rows((p) => !p.heuristic),
  };
}

/** 0 and the 1-2-5 steps up to the last (kept as the float16 developmental series). */
function logSpacedSteps(last: number): number[] {
  const steps = [0];
  for (let decade = 1; decade <= last; decade *= 10) for (const k of [1, 2, 5]) if (k * decade < last) steps.push(k * decade);
  return [...steps, last];
}

async function main(): Promise<void> {
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
      // Fraction of each batch the line-1/line-2 heuristic cannot solve (held-out data stays as the paper's).
      'heuristic-free': { type: 'string', default: '0' },
      // Query lines per training program: 1 is the paper's format; more add supervised answers cheaply.
      queries: { type: 'string', default: '1' },
      // Steps per curriculum stage: stage k trains on queries of 1..k hops (0: the paper's 1..4 throughout).
      curriculum: { type: 'string', default: '0' },
      // Steps per length stage: stage k trains on programs of min(16, 4k) lines (0: 16 throughout).
      'length-curriculum': { type: 'string', default: '0' },
      // 'char': one token per character; 'lhs': an assignment's `v = ` is one token (see LHS_MERGES).
      tokens: { type: 'string', default: 'char' },
      'init-std': { type: 'string', default: '0.02' },
      // Intermediate supervision: predict each assignment line's value where the line ends.
      'line-values': { type: 'boolean', default: false },
    },
  });
  /** A numeric option: positive, or also 0 where `orZero`. */
  const num = (k: keyof typeof args, orZero = false) => {
    const v = Number(args[k]);
    if (!Number.isFinite(v) || v < 0 || (v === 0 && !orZero))
      throw new IntrospectError(`must be ${orZero ? 'a number ≥ 0' : 'a positive number'}, got ${args[k]}`, `--${k}`);
    return v;
  };
  const outDir = args.out!;
  const seed = num('seed');
  const batch = num('batch');
  if (args.tokens !== 'char' && args.tokens !== 'lhs') throw new IntrospectError(`must be char or lhs, got ${args.tokens}`, '--tokens');
  const tokenizer = bindingTokenizerJson(args.tokens) as { model: { vocab: Record<string, number> } };
  const encode = encoderOf(tokenizer);
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const dModel = num('d');
  const nHeads = num('heads');
  if (num('heuristic-free', true) > 1) throw new IntrospectError(`must be a fraction of the batch, got ${args['heuristic-free']}`, '--heuristic-free');
  const run = {
    recipe: 'binding-tracer',
    seed,
    batch,
    layers: num('layers'),
    dModel,
    nHeads,
    lr: num('lr'),
    steps: num('steps'),
    heuristicFree: Math.round(num('heuristic-free', true) * batch),
    queries: num('queries'),
    curriculum: num('curriculum', true),
    lengthCurriculum: num('length-curriculum', true),
    tokens: args.tokens,
    initStd: num('init-std'),
    lineValues: args['line-values']!,
  };

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
      initStd: run.initStd,
      seed,
    });
  const { layout, flat, config } = await loadParameters(init);

  const heldOut = bindingExamples(encode, seed, -1, num('held-out'));
  const data: TrainData = {
    batch: (step) => {
      const maxHops = run.curriculum ? Math.min(MAX_HOPS, 1 + Math.floor(step / run.curriculum)) : undefined;
      const lines = run.lengthCurriculum ? Math.min(LINES, 4 * (1 + Math.floor(step / run.lengthCurriculum))) : LINES;
      const o = { heuristicFree: run.heuristicFree, queries: run.queries, maxHops, lineValues: run.lineValues, lines };
      return examples(bindingExamples(encode, seed, step, batch, o));
    },
    heldOut: examples(heldOut),
    heldOutGroups: heldOutGroups(heldOut),
  };
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
    seriesSteps: logSpacedSteps(run.steps),
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
  // Bad input (ours or parseArgs') is one line; anything else keeps its stack.
  const input = e instanceof IntrospectError || String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  console.error(input ? (e as Error).message : e);
  process.exit(1);
});
