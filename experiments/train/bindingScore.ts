/**
 * The binding-tracer recipe's data (tokenizer, training and held-out examples) and its scoring: a
 * checkpoint's argmax accuracy on the answer digit through the engine's inference path, by hops and
 * by whether the line-1/line-2 heuristic (the plateau strategy of models trained from scratch,
 * arXiv 2505.20896) could get the program right.
 *
 *   node --import tsx experiments/train/bindingScore.ts <checkpoint folder> [--n 512] [--seed 1]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { charTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { IntrospectError } from '../../engine/src/errors';
import { LoadedModel } from '../../engine/src/model';
import { bindingProgram } from '../../engine/src/tasks/binding';
import { Rng } from '../../engine/src/tasks/rng';
import { Tokenizer } from '../../engine/src/tokenizer';

export const LINES = 16;
/** The paper's longest chains. */
export const MAX_HOPS = 4;

/** Only the characters these programs use: a small vocabulary keeps the unembedding cheap. */
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
export const BINDING_CHARS = [...LETTERS, ...'0123456789', ' ', '\n', '=', '#', ':'];
/**
 * BPE merges making each assignment's `v = ` one token, so a line is `v = `, its value, `\n`: the
 * value sits right after its variable, and `#v:` still queries the plain letter.
 */
const LHS_MERGES = LETTERS.flatMap((v): [string, string][] => [
  [v, ' '],
  [`${v} `, '='],
  [`${v} =`, ' '],
]);

/** The recipe's tokenizer: one token per character, or (`lhs`) with each `v = ` merged into one token. */
export function bindingTokenizerJson(tokens: 'char' | 'lhs'): object {
  return charTokenizerJson(BINDING_CHARS, tokens === 'lhs' ? LHS_MERGES : []);
}

export interface BindingExample {
  ids: number[];
  /** Positions of the answer digits in `ids`: the paper's query first, then any extra queries. */
  answers: number[];
  hops: number;
  /** The line-1/line-2 heuristic's answer would be right. */
  heuristic: boolean;
  /** Intermediate supervision, when asked for: at each `\n`, predicted from the line's last token, the value its variable holds. */
  lineValues?: { at: number[]; labels: number[] };
}

/** Token ids of a text under the model's own tokenizer, without special tokens. */
export function encoderOf(tokenizerJson: object): (s: string) => number[] {
  const tokenizer = Tokenizer.fromJson(tokenizerJson);
  return (s) => tokenizer.encodeIds(s, { addSpecialTokens: false });
}

export interface ExampleOptions {
  /** The first `heuristicFree` programs are drawn among those the line-1/line-2 heuristic cannot solve. */
  heuristicFree?: number;
  /** Query lines per program (default 1, the paper's format); see `extraQueries`. */
  queries?: number;
  /** The paper's query hops are uniform over 1..4; a curriculum can start lower. */
  maxHops?: number;
  /** Also supervise every assignment line's value (see `BindingExample.lineValues`). */
  lineValues?: boolean;
  /** Assignment lines per program (default LINES, the paper's 16); a curriculum can start shorter. */
  lines?: number;
  /** Chance that an extra query is written `#v: d`, the seed benchmark's form, rather than the paper's `#v:d`. */
  spacedQueries?: number;
}

/** `n` programs (with the answers appended) from a generator seeded by (seed, stream). */
export function bindingExamples(encode: (s: string) => number[], seed: number, stream: number, n: number, o: ExampleOptions = {}): BindingExample[] {
  const rng = new Rng(seed * 1_000_003 + stream);
  const [colon] = encode(':');
  const [space] = encode(' ');
  const [newline] = encode('\n');
  const digit = new Map([...'0123456789'].map((d) => [d, encode(d)[0]]));
  return Array.from({ length: n }, (_, i) => {
    const hops = o.maxHops === undefined ? 'balanced' : rng.int(1, o.maxHops);
    const p = bindingProgram(o.lines ?? LINES, rng, { hops, heuristic: i < (o.heuristicFree ?? 0) ? 'unreachable' : 'any' });
    const extra = extraQueries(p.program, p.metadata.queryVariable, (o.queries ?? 1) - 1, rng, o.maxHops, o.spacedQueries);
    const ids = encode(`${p.program}${p.answer}${extra}`);
    // An answer follows its query's colon, or the space after it.
    const answers = ids.flatMap((id, t) => (t > 0 && id !== space && (ids[t - 1] === colon || (ids[t - 1] === space && ids[t - 2] === colon)) ? [t] : []));
    const example: BindingExample = { ids, answers, hops: p.metadata.hops, heuristic: p.metadata.heuristic.reachable };
    if (o.lineValues) {
      // The first newlines end the assignments; each line's value token is a digit.
      const at = ids.flatMap((id, t) => (id === newline ? [t] : [])).slice(0, o.lines ?? LINES);
      example.lineValues = { at, labels: [...assignedValues(p.program).values()].map((d) => digit.get(d)!) };
    }
    return example;
  });
}

/**
 * `\n#v:d` lines querying `k` more of the program's variables (depth-balanced up to `maxHops`, none repeated).
 * Training only: each adds a supervised answer for five tokens, where the paper's format has one
 * answer per ~100-token program, while the first query and everything before it stay as the paper's.
 */
export function extraQueries(program: string, asked: string, k: number, rng: Rng, maxHops = Infinity, spaced = 0): string {
  const value = assignedValues(program);
  const depth = new Map<string, number>();
  for (const [, v, rhs] of program.matchAll(ASSIGNMENT)) depth.set(v, (depth.get(rhs) ?? 0) + 1);
  const byDepth = new Map<number, string[]>();
  for (const [v, d] of depth) if (v !== asked && d <= maxHops) byDepth.set(d, [...(byDepth.get(d) ?? []), v]);
  let out = '';
  for (let i = 0; i < k && byDepth.size > 0; i++) {
    const depths = [...byDepth.keys()];
    const d = depths[rng.int(0, depths.length - 1)];
    const vs = byDepth.get(d)!;
    const [v] = vs.splice(rng.int(0, vs.length - 1), 1);
    if (vs.length === 0) byDepth.delete(d);
    // No draw unless asked for: runs from before the option existed stay reproducible.
    out += `\n#${v}:${spaced > 0 && rng.chance(spaced) ? ' ' : ''}${value.get(v)}`;
  }
  return out;
}

const ASSIGNMENT = /^([a-z]) = ([a-z0-9])$/gm;

/** The digit each assigned variable holds, in line order (the programs never reassign a variable). */
function assignedValues(program: string): Map<string, string> {
  const value = new Map<string, string>();
  for (const [, v, rhs] of program.matchAll(ASSIGNMENT)) value.set(v, value.get(rhs) ?? rhs);
  return value;
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
      const out = await model.forward(part.map((p) => p.ids.slice(0, p.answers[0])), { logits: 'last' });
      part.forEach((p, k) => {
        const l = out.logits.data.subarray(k * V, (k + 1) * V);
        right.push(l.indexOf(Math.max(...l)) === p.ids[p.answers[0]]);
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
  const tokenizerJson = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as object;
  // Stream -2: programs neither the training batches (streams ≥ 0) nor the held-out set (-1) used.
  scoreBinding(dir, bindingExamples(encoderOf(tokenizerJson), Number(values.seed), -2, Number(values.n)))
    .then((s) => console.log(JSON.stringify(s, null, 2)))
    .catch((e) => {
      console.error(e instanceof IntrospectError ? e.message : e);
      process.exit(1);
    });
}
