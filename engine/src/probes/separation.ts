/**
 * How well one score separates two classes: the AUROC (Mann–Whitney, ties counted half), the
 * threshold and direction that classify best, and bootstrap intervals over samples.
 */
import { NormalRng, Stream } from '../sampling/normal';

/** P(score of a positive > score of a negative), ties ½; NaN when a class is empty. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (positive[idx[k]]) {
        rankSum += rank;
        nPos++;
      }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** A threshold rule: predict positive where sign · score > threshold. */
export interface ThresholdRule {
  sign: 1 | -1;
  threshold: number;
  /** Its accuracy on the data it was chosen on. */
  accuracy: number;
}

/** The threshold (midway between neighbouring scores) and direction of best accuracy. */
export function bestThreshold(scores: ArrayLike<number>, positive: ArrayLike<boolean>): ThresholdRule {
  const n = scores.length;
  let best: ThresholdRule = { sign: 1, threshold: -Infinity, accuracy: 0 };
  for (const sign of [1, -1] as const) {
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => sign * scores[a] - sign * scores[b]);
    // Threshold below everything: all predicted positive.
    let correct = 0;
    for (let i = 0; i < n; i++) if (positive[i]) correct++;
    if (correct / n > best.accuracy) best = { sign, threshold: -Infinity, accuracy: correct / n };
    for (let i = 0; i < n; i++) {
      // Moving the threshold past idx[i] predicts it negative.
      correct += positive[idx[i]] ? -1 : 1;
      const here = sign * scores[idx[i]];
      const next = i + 1 < n ? sign * scores[idx[i + 1]] : Infinity;
      if (next === here) continue;
      if (correct / n > best.accuracy) best = { sign, threshold: Number.isFinite(next) ? (here + next) / 2 : here, accuracy: correct / n };
    }
  }
  return best;
}

export function ruleAccuracy(rule: Pick<ThresholdRule, 'sign' | 'threshold'>, scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if (rule.sign * scores[i] > rule.threshold === !!positive[i]) correct++;
  return correct / scores.length;
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/**
 * A statistic of (scores, labels) with its percentile bootstrap interval: the samples resampled
 * with replacement `rounds` times, seeded so results repeat.
 */
export function bootstrap(
  stat: (scores: Float64Array, positive: boolean[]) => number,
  scores: ArrayLike<number>,
  positive: ArrayLike<boolean>,
  o: { rounds?: number; level?: number; seed?: number } = {},
): Interval {
  const n = scores.length;
  const rounds = o.rounds ?? 1000;
  const rng = new NormalRng(o.seed ?? 0, 0, Stream.bootstrap);
  const s = new Float64Array(n);
  const p: boolean[] = new Array(n);
  const values: number[] = [];
  for (let b = 0; b < rounds; b++) {
    for (let i = 0; i < n; i++) {
      const k = rng.below(n);
      s[i] = scores[k];
      p[i] = !!positive[k];
    }
    const v = stat(s, p);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - (o.level ?? 0.95)) / 2;
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return { value: stat(Float64Array.from(scores), Array.from(positive, Boolean)), lo: at(tail), hi: at(1 - tail) };
}
