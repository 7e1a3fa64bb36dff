/**
 * Recipe: continue the binding model on every program kind the benchmark generates (range loops,
 * counters, increments, arithmetic and ± sequences, fibonacci, boolean logic, try/except) as well as
 * binding, in the embedded model's query form (`#x:` after the program, the value and a newline
 * supervised, multi-digit and negative values included). It starts from a binding model folder,
 * widened to the recipe's tokenizer (programData.ts: the binding tokens keep their ids, so the
 * binding programs read as before) and to 256 positions; part of every batch stays the binding
 * recipe's data, so binding is kept. Rerunning the same command resumes a killed run.
 *
 *   node --import tsx experiments/train/programTracer.ts --init models/binding-tracer --out results/train/program-tracer --steps 4000
 *
 * Held-out accuracy is logged per generator (teacher-forced, every value token right: the same as
 * greedy decoding getting the whole value); `introspect bench program-kinds` scores a checkpoint
 * with the benchmark's runner beside the line-heuristic and oracle baselines.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/src/atomicWrite';
import { batchShare, parse, positiveInt, probability } from '../../engine/src/cliArgs';
import { IntrospectError } from '../../engine/src/errors';
import { PROGRAM_KINDS } from '../../engine/src/tasks/programKinds';
import { Rng } from '../../engine/src/tasks/rng';
import { writeModelFolder } from '../../engine/src/train/checkpoint';
import { initialModel } from '../../engine/src/train/initialModel';
import { type Examples, train, type TrainData } from '../../engine/src/train/trainer';
import { programKinds } from '../12_program_kinds';
import { bindingExamples, encoderOf } from './bindingScore';
import { KIND_GENERATORS, kindExamples, programTokenizerJson, toExamples, withAnswerEnds } from './programData';
import { runFlags, runSettings, smallLlama, tracerSchedule } from './smallLlama';

/** The lengths the program-kinds suite scores a generator at: its held-out programs' lengths. */
const benchLengths = (name: string): number[] => programKinds.experiments.find((e) => e.generator.name === name)!.lengths;

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** `name=w,...` → integer weights by generator name. */
function kindWeights(v: string): Record<string, number> {
  const names = KIND_GENERATORS.map((g) => g.name as string);
  return Object.fromEntries(
    v.split(',').map((part) => {
      const [name, w] = part.split('=');
      if (!names.includes(name)) throw new IntrospectError(`unknown generator "${name}" (${names.join(', ')})`, '--kind-weights');
      return [name, positiveInt(w, `--kind-weights ${name}`)];
    }),
  );
}

const concat = (parts: Examples[]): Examples => ({
  rows: parts.flatMap((p) => p.rows),
  targets: parts.flatMap((p) => p.targets!),
  labels: parts.flatMap((p) => p.labels!),
});

async function main(): Promise<void> {
  const { values: args } = parse(process.argv.slice(2), {
    ...runFlags({ out: 'results/train/program-tracer', steps: 4000 }),
    // The binding model to start from.
    init: { type: 'string', default: 'models/binding-tracer' },
    lr: { type: 'string', default: '5e-4' },
    // Fraction of each batch that is the binding recipe's programs (8 queries, line values, 30 % heuristic-free).
    binding: { type: 'string', default: '0.25' },
    'eval-every': { type: 'string', default: '250' },
    'held-out': { type: 'string', default: '48' },
    positions: { type: 'string', default: '256' },
    // Supervise a newline after every binding answer, so binding values end as the other kinds' do.
    'binding-ends': { type: 'boolean', default: false },
    // Chance that a program starting `v = 0` starts from another digit (see KindOptions.startValues).
    'start-values': { type: 'string', default: '0' },
    // Supervise the running value of integer programs after each statement (KindExample.runningValues).
    'running-values': { type: 'boolean', default: false },
    // How often each generator is drawn for a batch row relative to the others (1 unless named), e.g. plus_minus=3,exception=3.
    'kind-weights': { type: 'string' },
  });
  const { outDir, seed, batch, lr, steps } = runSettings(args);
  const startValues = probability(args['start-values'], '--start-values');
  const run = {
    recipe: 'program-tracer',
    init: args.init!,
    seed,
    batch,
    lr,
    steps,
    bindingRows: batchShare(args.binding, '--binding', batch, { belowOne: true }),
    positions: positiveInt(args.positions, '--positions'),
    // Recorded only when given, so the first run (without it) still resumes.
    ...(args['binding-ends'] && { bindingEnds: true }),
    ...(startValues > 0 && { startValues }),
    ...(args['kind-weights'] && { kindWeights: kindWeights(args['kind-weights']) }),
    ...(args['running-values'] && { runningValues: true }),
  };
  const heldOutPer = positiveInt(args['held-out'], '--held-out');
  const evalEvery = positiveInt(args['eval-every'], '--eval-every');
  const tokenizer = programTokenizerJson() as { model: { vocab: Record<string, number> } };
  const encode = encoderOf(tokenizer);
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const fresh = { ...smallLlama({ layers: 6, dModel: 64, nHeads: 4, seed }, tokenizer, vocabSize), maxPositions: run.positions };
  const start = await initialModel(outDir, fresh, run.init);
  if (start.tokenizerJson !== JSON.stringify(tokenizer)) throw new IntrospectError("its tokenizer is neither the recipe's nor one the recipe's extends", run.init);

  // Held out: binding in the paper's format, and each generator at the benchmark's lengths.
  const [newline] = encode('\n');
  const ends = <E extends { ids: number[]; answers: number[] }>(es: E[]) => (run.bindingEnds ? withAnswerEnds(es, newline) : es);
  const heldBinding = toExamples(ends(bindingExamples(encode, seed, -1, 2 * heldOutPer)));
  const heldKinds = KIND_GENERATORS.map((g, i) => kindExamples(encode, g, seed, -10 - i, heldOutPer, { lengths: benchLengths(g.name) }));
  const heldOut = concat([heldBinding, ...heldKinds.map(toExamples)]);
  const groups: Record<string, number[]> = { binding: range(0, heldBinding.rows.length - 1) };
  let at = heldBinding.rows.length;
  for (const [i, g] of KIND_GENERATORS.entries()) {
    groups[g.name] = range(at, at + heldKinds[i].length - 1);
    at += heldKinds[i].length;
  }

  const kindRows = batch - run.bindingRows;
  // Generator indices, each repeated by its weight: a uniform draw from it is the weighted draw (and, unweighted, the draw earlier runs made).
  const drawKind = KIND_GENERATORS.flatMap((g, i) => Array<number>(run.kindWeights?.[g.name] ?? 1).fill(i));
  const data: TrainData = {
    batch: (step) => {
      // Each generator's share of the batch, drawn per step; streams ≥ 0 never meet the held-out ones.
      const rng = new Rng(seed * 7919 + step);
      const counts = new Map<number, number>();
      for (let r = 0; r < kindRows; r++) {
        const g = drawKind[rng.int(0, drawKind.length - 1)];
        counts.set(g, (counts.get(g) ?? 0) + 1);
      }
      const kinds = [...counts].map(([g, n]) => toExamples(kindExamples(encode, KIND_GENERATORS[g], seed, step * KIND_GENERATORS.length + g, n, { lineValues: true, startValues: run.startValues, runningValues: run.runningValues })));
      const binding = toExamples(ends(bindingExamples(encode, seed, step, run.bindingRows, { queries: 8, lineValues: true, heuristicFree: Math.round(0.3 * run.bindingRows), spacedQueries: 0.5 })));
      return concat([binding, ...kinds]);
    },
    heldOut,
    heldOutGroups: groups,
  };
  const t0 = Date.now();
  const trained = await train(start, data, {
    outDir,
    ...tracerSchedule(run.steps, run.lr, evalEvery),
    seriesSteps: [],
    run,
    onProgress: (r) => {
      if (r.step % 50 === 0 || r.evalAccuracy !== undefined)
        console.log(
          `step ${r.step}/${run.steps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${r.stepsPerSecond.toFixed(2)} steps/s` +
            (r.evalGroups ? ` | ${Object.entries(r.evalGroups).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join(' ')}` : ''),
        );
    },
  });
  // The compact copy worth keeping, declaring every kind it was trained on.
  await writeModelFolder(join(outDir, 'final-float16'), {
    layout: start.layout,
    flat: trained.flat,
    config: start.config,
    tokenizerJson: start.tokenizerJson,
    dtype: 'float16',
    domain: { kinds: [...PROGRAM_KINDS] },
  });
  writeJsonAtomic(join(outDir, 'summary.json'), { run, parameters: start.layout.size, final: trained.last, wallSeconds: (Date.now() - t0) / 1000 });
}

main().catch((e) => {
  console.error(e instanceof IntrospectError ? e.message : e);
  process.exit(1);
});
