/**
 * A batch of token rows laid out as the model's forward lays them out (left padding to the longest
 * row), with next-token labels and their weights for the per-row cross-entropy.
 */
import { IntrospectError } from '../errors';
import { nextTokenTargets } from './loss';

export interface TokenBatch {
  B: number;
  T: number;
  ids: BigInt64Array;
  attention: BigInt64Array;
  labels: BigInt64Array;
  weights: Float32Array;
  /** Left padding of each row. */
  padding: number[];
}

export interface BatchOptions {
  padId?: number;
  vocabSize?: number;
  /**
   * Per row, the token positions (0-based, in the unpadded row) whose prediction counts: e.g.
   * only the answer token. Default: every token after the first.
   */
  targets?: number[][];
  /**
   * Per row, per target, the token the model should predict there instead of the row's own token
   * (intermediate supervision: e.g. the value a line computes, predicted where the line ends).
   */
  labels?: number[][];
}

export function makeBatch(rows: number[][], opts: BatchOptions = {}): TokenBatch {
  if (rows.length === 0 || rows.some((r) => r.length < 2)) throw new IntrospectError('every row needs at least two tokens', 'batch');
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(B * T);
  const attention = new BigInt64Array(B * T);
  const answer = opts.targets ? new Uint8Array(B * T) : undefined;
  const padding = rows.map((row, r) => {
    const pad = T - row.length;
    row.forEach((tok, t) => {
      if (!Number.isInteger(tok) || tok < 0 || (opts.vocabSize !== undefined && tok >= opts.vocabSize))
        throw new IntrospectError(`token id ${tok} out of range [0, ${opts.vocabSize})`, `batch row ${r}`);
      ids[r * T + pad + t] = BigInt(tok);
      attention[r * T + pad + t] = 1n;
    });
    for (let t = 0; t < pad; t++) ids[r * T + t] = BigInt(opts.padId ?? 0);
    for (const p of opts.targets?.[r] ?? []) {
      if (!Number.isInteger(p) || p < 1 || p >= row.length)
        throw new IntrospectError(`target position ${p} must be in [1, ${row.length})`, `batch row ${r}`);
      answer![r * T + pad + p] = 1;
    }
    return pad;
  });
  const { labels, weights } = nextTokenTargets(ids, attention, B, T, answer);
  opts.labels?.forEach((given, r) => {
    const at = opts.targets?.[r];
    if (!at || given.length !== at.length) throw new IntrospectError(`${given.length} labels for ${at?.length ?? 0} targets`, `batch row ${r}`);
    given.forEach((tok, j) => {
      if (!Number.isInteger(tok) || tok < 0 || (opts.vocabSize !== undefined && tok >= opts.vocabSize))
        throw new IntrospectError(`label ${tok} out of range [0, ${opts.vocabSize})`, `batch row ${r}`);
      labels[r * T + padding[r] + at[j] - 1] = BigInt(tok);
    });
  });
  for (let r = 0; r < B; r++) {
    if (!weights.subarray(r * T, (r + 1) * T).some((w) => w > 0)) throw new IntrospectError('no target token in this row', `batch row ${r}`);
  }
  return { B, T, ids, attention, labels, weights, padding };
}
