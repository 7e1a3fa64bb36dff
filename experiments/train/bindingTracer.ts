/**
 * Recipe: train a small Llama-style model from scratch on variable-binding programs in the paper's
 * format (Wu, Geiger & Millière 2025, arXiv 2505.20896: 16 assignments `v = digit` / `v = w` over
 * a–z, then `#q:`, chains up to 4 hops, depth-balanced), with a character tokenizer and the loss
 * on the answer digit only. Checkpoints (`step-<N>/`, Hugging Face folders), `train.jsonl` and the
 * curves go to the output folder; rerunning the same command resumes a killed run.
 *
 *   node --import tsx experiments/train/bindingTracer.ts --out results/train/binding-tracer --steps 6000
 *
 * At the end it scores the final checkpoint through the engine's inference path, by hops. The
 * defaults are the paper's setting, which stays on the line-1/line-2 plateau here; the commands that
 * trained the embedded model (repeated sequences, line values, then continued runs) are in
 * models/binding-tracer/README.md, the measurements in docs/training.md.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/src/atomicWrite';
import { batchShare, integer, nonNegativeNumber, oneOf, parse, positiveInt, positiveNumber, probability, stepList } from '../../engine/src/cliArgs';
import { IntrospectError } from '../../engine/src/errors';
import { stepDir, writeModelFolder } from '../../engine/src/train/checkpoint';
import { CHAR_SPECIALS } from '../../engine/src/checkpoint/tokenizerJson';
import { initialModel } from '../../engine/src/train/initialModel';
import { type Examples, train, type TrainData } from '../../engine/src/train/trainer';
import { withRepeats } from './repeatedSequences';
import { runFlags, runSettings, smallLlama, tracerSchedule } from './smallLlama';
import { type BindingExample, bindingExamples, bindingTokenizerJson, encoderOf, LINES, MAX_HOPS, scoreBinding } from './bindingScore';

/** Repeated sequences as long as a 16-line program's lines (char tokens), within maxPositions. */
const REPEAT_HALF = 48;

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
  const { values: args } = parse(process.argv.slice(2), {
    ...runFlags({ out: 'results/train/binding-tracer', steps: 6000 }),
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
    // Fraction of each batch that is repeated random sequences (see repeatedSequences.ts).
    repeat: { type: 'string', default: '0' },
    // Chance that an extra query is written `#v: d` (the seed benchmark's form) instead of `#v:d`.
    'spaced-queries': { type: 'string', default: '0' },
    // Start from this model folder's weights (its shape and tokenizer; the shape flags are ignored).
    init: { type: 'string' },
    // With --init: new blocks (the identity at first) after the first k layers for each k given, e.g. 2,4.
    'grow-at': { type: 'string' },
    // More developmental-series steps besides the log-spaced ones: a list and ranges, e.g. 5000-10000/500.
    'series-steps': { type: 'string' },
  });
  const int = (k: 'queries' | 'eval-every' | 'held-out') => positiveInt(args[k], `--${k}`);
  const { outDir, seed, batch, layers, dModel, nHeads, lr, steps } = runSettings(args);
  const tokens = oneOf(args.tokens!, ['char', 'lhs'] as const, '--tokens');
  const tokenizer = bindingTokenizerJson(tokens) as { model: { vocab: Record<string, number> } };
  const encode = encoderOf(tokenizer);
  const spacedQueries = probability(args['spaced-queries'], '--spaced-queries');
  if (args['grow-at'] && !args.init) throw new IntrospectError('needs --init, the model to grow', '--grow-at');
  const run = {
    recipe: 'binding-tracer',
    seed,
    batch,
    layers,
    dModel,
    nHeads,
    lr,
    steps,
    heuristicFree: batchShare(args['heuristic-free'], '--heuristic-free', batch),
    queries: int('queries'),
    curriculum: nonNegativeNumber(args.curriculum, '--curriculum'),
    lengthCurriculum: nonNegativeNumber(args['length-curriculum'], '--length-curriculum'),
    tokens,
    initStd: positiveNumber(args['init-std'], '--init-std'),
    lineValues: args['line-values']!,
    repeatRows: batchShare(args.repeat, '--repeat', batch, { belowOne: true }),
    // Recorded only when given, so runs from before these flags existed still resume.
    ...(spacedQueries ? { spacedQueries } : {}),
    ...(args.init ? { init: args.init } : {}),
    ...(args['grow-at'] ? { growAt: args['grow-at'].split(',').map((k) => integer(k.trim(), '--grow-at')) } : {}),
  };

  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const start = await initialModel(outDir, smallLlama(run, tokenizer, vocabSize, run.initStd), args.init, run.growAt ?? []);
  if (start.tokenizerJson !== JSON.stringify(tokenizer))
    throw new IntrospectError(`its tokenizer is not the recipe's --tokens ${tokens} tokenizer`, args.init ?? outDir);
  const { layout, config, tokenizerJson } = start;

  const heldOut = bindingExamples(encode, seed, -1, int('held-out'));
  const plainTokens = Object.values(tokenizer.model.vocab).filter((id) => id >= Object.keys(CHAR_SPECIALS).length);
  const data: TrainData = {
    batch: (step) => {
      const maxHops = run.curriculum ? Math.min(MAX_HOPS, 1 + Math.floor(step / run.curriculum)) : undefined;
      const lines = run.lengthCurriculum ? Math.min(LINES, 4 * (1 + Math.floor(step / run.lengthCurriculum))) : LINES;
      const o = { heuristicFree: run.heuristicFree, queries: run.queries, maxHops, lineValues: run.lineValues, lines, spacedQueries: run.spacedQueries };
      const programs = examples(bindingExamples(encode, seed, step, batch - run.repeatRows, o));
      return withRepeats(programs, run.repeatRows, seed, -3 - step, plainTokens, REPEAT_HALF);
    },
    heldOut: examples(heldOut),
    heldOutGroups: heldOutGroups(heldOut),
  };
  const t0 = Date.now();
  const trained = await train(start, data, {
    outDir,
    ...tracerSchedule(run.steps, run.lr, int('eval-every')),
    seriesSteps: [...logSpacedSteps(run.steps), ...(args['series-steps'] ? stepList(args['series-steps'], '--series-steps') : [])],
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
  await writeModelFolder(join(outDir, 'final-float16'), { layout, flat: trained.flat, config, tokenizerJson, dtype: 'float16', domain: { kinds: ['binding'] } });

  // Score the final checkpoint through the inference path, by hops and heuristic reachability.
  const summary = {
    run,
    parameters: layout.size,
    final: last,
    heldOut: await scoreBinding(stepDir(outDir, run.steps), heldOut),
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(outDir, 'summary.json'), summary);
  console.log(JSON.stringify(summary.heldOut));
}

main().catch((e) => {
  console.error(e instanceof IntrospectError ? e.message : e);
  process.exit(1);
});
