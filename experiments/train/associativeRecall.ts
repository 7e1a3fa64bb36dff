/**
 * Probe: how long the model the binding recipe trains takes to learn plain associative recall —
 * `k1 v1 k2 v2 … kP vP` (distinct letter keys, digit values), then Q queries `k v`, every queried
 * value supervised. It isolates the lookup circuit the binding programs need (tag each value with
 * its key, then match the query) from chains and heuristics; its loss sits at chance for a long
 * plateau, then falls abruptly when that circuit forms. `--repeat F` mixes repeated random sequences
 * into each batch (repeatedSequences.ts), which shortens that plateau from >25,000 steps to ~1,500 at
 * 16 pairs; `--min-pairs` (rows of min..max pairs) and `--heads` were tried too (no effect).
 *
 *   node --import tsx experiments/train/associativeRecall.ts --out results/train/recall --steps 20000
 */
import { CHAR_SPECIALS, charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { batchShare, parse, positiveInt } from '../../engine/src/cliArgs';
import { IntrospectError } from '../../engine/src/errors';
import { Rng } from '../../engine/src/tasks/rng';
import { initialModel } from '../../engine/src/train/initialModel';
import { type Examples, train } from '../../engine/src/train/trainer';
import { withRepeats } from './repeatedSequences';
import { runFlags, runSettings, smallLlama } from './smallLlama';

const KEYS = [...'abcdefghijklmnopqrstuvwxyz'];
const VALUES = [...'0123456789'];
/** Ids under charTokenizerJson: its special tokens, then the characters in order. */
const SPECIALS = Object.keys(CHAR_SPECIALS).length;
const keyId = (i: number) => SPECIALS + i;
const ALL_TOKENS = [...KEYS, ...VALUES].map((_, i) => SPECIALS + i);
const valueId = (i: number) => SPECIALS + KEYS.length + i;

/** `n` rows of `minPairs`..`pairs` key–value pairs (uniform per row) and `queries` queries. */
function examples(seed: number, stream: number, n: number, pairs: number, queries: number, minPairs = pairs): Examples {
  if (pairs > KEYS.length) throw new IntrospectError(`at most ${KEYS.length} pairs`, '--pairs');
  if (minPairs > pairs) throw new IntrospectError(`--min-pairs ${minPairs} exceeds --pairs ${pairs}`, '--min-pairs');
  const rng = new Rng(seed * 1_000_003 + stream);
  const rows: number[][] = [];
  const targets: number[][] = [];
  for (let r = 0; r < n; r++) {
    const rowPairs = minPairs < pairs ? rng.int(minPairs, pairs) : pairs; // no draw when fixed: earlier runs stay reproducible
    const keys: number[] = [];
    while (keys.length < rowPairs) {
      const k = rng.int(0, KEYS.length - 1);
      if (!keys.includes(k)) keys.push(k);
    }
    const values = keys.map(() => rng.int(0, VALUES.length - 1));
    const row = keys.flatMap((k, i) => [keyId(k), valueId(values[i])]);
    for (let q = 0; q < queries; q++) {
      const i = rng.int(0, rowPairs - 1);
      row.push(keyId(keys[i]), valueId(values[i]));
    }
    rows.push(row);
    targets.push(Array.from({ length: queries }, (_, q) => 2 * rowPairs + 2 * q + 1));
  }
  return { rows, targets };
}

async function main(): Promise<void> {
  const { values: args } = parse(process.argv.slice(2), {
    ...runFlags({ out: 'results/train/recall', steps: 20000 }),
    pairs: { type: 'string', default: '8' },
    'min-pairs': { type: 'string' },
    repeat: { type: 'string', default: '0' },
    queries: { type: 'string', default: '8' },
  });
  const { outDir, seed, batch, steps, lr, layers, dModel, nHeads } = runSettings(args);
  const [pairs, queries] = [positiveInt(args.pairs, '--pairs'), positiveInt(args.queries, '--queries')];
  const repeatRows = batchShare(args.repeat, '--repeat', batch, { belowOne: true });
  const minPairs = args['min-pairs'] === undefined ? pairs : positiveInt(args['min-pairs'], '--min-pairs');
  const run = { recipe: 'associative-recall', seed, pairs, minPairs, repeatRows, queries, nHeads, batch, lr, layers, dModel, steps };
  const start = await initialModel(outDir, smallLlama(run, charTokenizerJson([...KEYS, ...VALUES]), SPECIALS + KEYS.length + VALUES.length));
  await train(
    start,
    {
      batch: (step) => {
        const recall = examples(seed, step, batch - repeatRows, pairs, queries, minPairs);
        return withRepeats(recall, repeatRows, seed, -2 - step, ALL_TOKENS, 2 * pairs);
      },
      heldOut: examples(seed, -1, 256, pairs, queries) },
    {
      outDir,
      steps: run.steps,
      lr: run.lr,
      warmupSteps: 100,
      weightDecay: 0.1,
      evalEvery: 250,
      checkpointEvery: 1000,
      run,
      onProgress: (r) => {
        if (r.evalLoss !== undefined)
          console.log(`step ${r.step} loss ${r.loss.toFixed(3)} held-out loss ${r.evalLoss.toFixed(3)} answers right ${(100 * r.evalTokenAccuracy!).toFixed(1)}%`);
      },
    },
  );
}

main().catch((e) => {
  console.error(e instanceof IntrospectError ? e.message : e);
  process.exit(1);
});
