/**
 * Scores a binding-tracer checkpoint through the engine's inference path: argmax accuracy on the
 * answer digit, by hops and by whether the line-1/line-2 heuristic (the plateau strategy of models
 * trained from scratch, arXiv 2505.20896) could get the program right.
 *
 *   node --import tsx experiments/train/bindingScore.ts <checkpoint folder> [--n 512] [--seed 1]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IntrospectError } from '../../engine/src/errors';
import { LoadedModel } from '../../engine/src/model';
import { bindingProgram } from '../../engine/src/tasks/binding';
import { Rng } from '../../engine/src/tasks/rng';

export const LINES = 16;

export interface BindingExample {
  ids: number[];
  hops: number;
  /** The line-1/line-2 heuristic's answer would be right. */
  heuristic: boolean;
}

export function charEncoder(vocab: Record<string, number>): (s: string) => number[] {
  return (s) =>
    [...s].map((c) => {
      const id = vocab[c];
      if (id === undefined) throw new IntrospectError(`character ${JSON.stringify(c)} is not in the vocabulary`, 'program');
      return id;
    });
}

/** `n` programs (with the answer digit appended) from a generator seeded by (seed, stream). */
export function bindingExamples(encode: (s: string) => number[], seed: number, stream: number, n: number): BindingExample[] {
  const rng = new Rng(seed * 1_000_003 + stream);
  return Array.from({ length: n }, () => {
    const p = bindingProgram(LINES, rng, { hops: 'balanced' });
    return { ids: encode(`${p.program}${p.answer}`), hops: p.metadata.hops, heuristic: p.metadata.heuristic.reachable };
  });
}

export interface Score {
  accuracy: number;
  n: number;
}

export interface BindingScore {
  overall: Score;
  byHops: Record<number, Score>;
  heuristicReachable: Score;
  heuristicUnreachable: Score;
}

export async function scoreBinding(modelDir: string, examples: BindingExample[]): Promise<BindingScore> {
  const model = await LoadedModel.load(modelDir, { device: 'cpu' });
  const right: boolean[] = [];
  try {
    const V = model.spec.vocabSize;
    for (let i = 0; i < examples.length; i += 64) {
      const part = examples.slice(i, i + 64);
      const out = await model.forward(part.map((p) => p.ids.slice(0, -1)), { logits: 'last' });
      part.forEach((p, k) => {
        const l = out.logits.data.subarray(k * V, (k + 1) * V);
        right.push(l.indexOf(Math.max(...l)) === p.ids[p.ids.length - 1]);
      });
    }
  } finally {
    await model.dispose();
  }
  const score = (keep: (e: BindingExample) => boolean): Score => {
    const idx = examples.map((e, i) => i).filter((i) => keep(examples[i]));
    return { accuracy: idx.filter((i) => right[i]).length / Math.max(1, idx.length), n: idx.length };
  };
  const hops = [...new Set(examples.map((e) => e.hops))].sort((a, b) => a - b);
  return {
    overall: score(() => true),
    byHops: Object.fromEntries(hops.map((h) => [h, score((e) => e.hops === h)])),
    heuristicReachable: score((e) => e.heuristic),
    heuristicUnreachable: score((e) => !e.heuristic),
  };
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { n: { type: 'string', default: '512' }, seed: { type: 'string', default: '1' } },
  });
  const dir = positionals[0];
  if (!dir) throw new IntrospectError('give a checkpoint folder', 'usage');
  const vocab = (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  // Stream -2: programs neither the training batches (streams ≥ 0) nor the held-out set (-1) used.
  scoreBinding(dir, bindingExamples(charEncoder(vocab), Number(values.seed), -2, Number(values.n)))
    .then((s) => console.log(JSON.stringify(s, null, 2)))
    .catch((e) => {
      console.error(e instanceof IntrospectError ? e.message : e);
      process.exit(1);
    });
}
