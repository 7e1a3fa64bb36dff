/**
 * Probe: how long the model the binding recipe trains takes to learn plain associative recall —
 * `k1 v1 k2 v2 … kP vP` (distinct letter keys, digit values), then Q queries `k v`, every queried
 * value supervised. It isolates the lookup circuit the binding programs need (tag each value with
 * its key, then match the query) from chains and heuristics; its loss sits at chance for a long
 * plateau, then falls abruptly when that circuit forms.
 *
 *   node --import tsx experiments/train/associativeRecall.ts --out results/train/recall --steps 20000
 */
import { CHAR_SPECIALS, charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { parse, positiveInt, positiveNumber } from '../../engine/src/cliArgs';
import { IntrospectError } from '../../engine/src/errors';
import { Rng } from '../../engine/src/tasks/rng';
import { initialModel } from '../../engine/src/train/initialModel';
import { type Examples, train } from '../../engine/src/train/trainer';

const KEYS = [...'abcdefghijklmnopqrstuvwxyz'];
const VALUES = [...'0123456789'];
/** Ids under charTokenizerJson: its special tokens, then the characters in order. */
const SPECIALS = Object.keys(CHAR_SPECIALS).length;
const keyId = (i: number) => SPECIALS + i;
const valueId = (i: number) => SPECIALS + KEYS.length + i;

function examples(seed: number, stream: number, n: number, pairs: number, queries: number): Examples {
  if (pairs > KEYS.length) throw new IntrospectError(`at most ${KEYS.length} pairs`, '--pairs');
  const rng = new Rng(seed * 1_000_003 + stream);
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) {
    const keys: number[] = [];
    while (keys.length < pairs) {
      const k = rng.int(0, KEYS.length - 1);
      if (!keys.includes(k)) keys.push(k);
    }
    const values = keys.map(() => rng.int(0, VALUES.length - 1));
    const row = keys.flatMap((k, i) => [keyId(k), valueId(values[i])]);
    for (let q = 0; q < queries; q++) {
      const i = rng.int(0, pairs - 1);
      row.push(keyId(keys[i]), valueId(values[i]));
    }
    rows.push(row);
  }
  const targets = Array.from({ length: queries }, (_, q) => 2 * pairs + 2 * q + 1);
  return { rows, targets: rows.map(() => targets) };
}

async function main(): Promise<void> {
  const { values: args } = parse(process.argv.slice(2), {
    out: { type: 'string', default: 'results/train/recall' },
    steps: { type: 'string', default: '20000' },
    pairs: { type: 'string', default: '8' },
    queries: { type: 'string', default: '8' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    layers: { type: 'string', default: '4' },
    d: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
  });
  const int = (k: keyof typeof args) => positiveInt(args[k], `--${k}`);
  const outDir = args.out!;
  const [seed, pairs, queries, batch] = [int('seed'), int('pairs'), int('queries'), int('batch')];
  const run = { recipe: 'associative-recall', seed, pairs, queries, batch, lr: positiveNumber(args.lr, '--lr'), layers: int('layers'), dModel: int('d'), steps: int('steps') };
  const start = await initialModel(outDir, {
    modelType: 'llama',
      nLayers: run.layers,
      dModel: run.dModel,
      nHeads: 4,
      dMlp: 4 * run.dModel,
      maxPositions: 128,
      tokenizerJson: charTokenizerJson([...KEYS, ...VALUES]),
      vocabSize: SPECIALS + KEYS.length + VALUES.length,
      initStd: 0.02,
    seed,
  });
  await train(
    start,
    { batch: (step) => examples(seed, step, batch, pairs, queries), heldOut: examples(seed, -1, 256, pairs, queries) },
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
