/**
 * Next-token cross-entropy per row, as the reference (and transformers' causal LM loss) defines it:
 * position t predicts `labels[t]` (the token at t+1), weighted by `label_weights[t]` (0 for the
 * last position and for padding; only the answer positions for an answer-only loss). A row's loss
 * is the weighted mean over its positions; the objective is the mean over rows.
 */
import type { GraphBuilder, Value } from '../onnx/builder';

export const LABELS_INPUT = 'labels';
export const LABEL_WEIGHTS_INPUT = 'label_weights';
export const PER_ROW_LOSS_OUTPUT = 'loss.per_row';
export const PER_TOKEN_LOSS_OUTPUT = 'loss.per_token';
export const LOSS_OUTPUT = 'loss';
export const METRIC_WEIGHTS_INPUT = 'metric_weights';

export interface CrossEntropy {
  /** [B,T] next-token loss at every position (unweighted: padding and unscored positions too). */
  perToken: Value;
  /** [B] per-row losses. */
  perRow: Value;
  /** Scalar mean of the per-row losses. */
  mean: Value;
}

/** `logits` [B,T,V] float32; adds inputs `labels` [B,T] int64 and `label_weights` [B,T] float32. */
export function perRowCrossEntropy(b: GraphBuilder, logits: Value): CrossEntropy {
  return b.scope('loss', () => {
    const labels = b.input(LABELS_INPUT, 'int64', ['batch', 'seq']);
    const weights = b.input(LABEL_WEIGHTS_INPUT, 'float32', ['batch', 'seq']);
    const logp = b.op('LogSoftmax', [logits], { axis: -1 });
    const picked = b.op('GatherElements', [logp, b.unsqueeze(labels, [-1])], { axis: 2 }); // [B,T,1]
    const nll = b.neg(b.op('Reshape', [picked, b.constInt64([0, -1])])); // [B,T]
    const total = b.op('ReduceSum', [b.mul(nll, weights), b.constInt64([1])], { keepdims: 0 });
    const count = b.op('ReduceSum', [weights, b.constInt64([1])], { keepdims: 0 });
    const perRow = b.div(total, count, 'per_row');
    const mean = b.op('ReduceMean', [perRow], { axes: [0], keepdims: 0 }, 'mean');
    return { perToken: nll, perRow, mean };
  });
}

/**
 * A linear metric on the logits, sum(logits · W) with W a [B,T,V] input `metric_weights`: e.g. a
 * logit difference (+1 at the answer, −1 at the counterfactual answer, at the last position), the
 * usual objective of attribution patching.
 */
export function weightedLogitsMetric(b: GraphBuilder, logits: Value): Value {
  const w = b.input(METRIC_WEIGHTS_INPUT, 'float32', ['batch', 'seq', 'vocab']);
  return b.op('ReduceSum', [b.mul(logits, w)], { keepdims: 0 }, 'metric');
}

/**
 * Labels and weights for a batch laid out as the model's forward lays it out (left padding):
 * position t of row r predicts the token at t+1, counted where both are real tokens and, with
 * `answerOnly`, only where t+1 is marked in `answerMask`.
 */
export function nextTokenTargets(
  ids: BigInt64Array,
  attention: BigInt64Array,
  B: number,
  T: number,
  answerMask?: Uint8Array,
): { labels: BigInt64Array; weights: Float32Array } {
  const labels = new BigInt64Array(B * T);
  const weights = new Float32Array(B * T);
  for (let r = 0; r < B; r++) {
    for (let t = 0; t + 1 < T; t++) {
      const i = r * T + t;
      labels[i] = ids[i + 1];
      const counted = attention[i] === 1n && attention[i + 1] === 1n && (!answerMask || answerMask[i + 1] === 1);
      weights[i] = counted ? 1 : 0;
    }
  }
  return { labels, weights };
}
