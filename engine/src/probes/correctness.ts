/**
 * Correctness directions, as the seed's thesis method: for each SAE latent, how well its activation
 * separates correct from incorrect samples (AUROC and the best threshold's accuracy) on a training
 * split; the best latents' accuracy on a held-out split; and two baselines on the raw activations,
 * a logistic-regression probe and the difference-of-means direction. Held-out figures carry
 * bootstrap intervals over samples. Twins (one problem, solved right and wrong) stay on one side of
 * the split, so a probe never sees the held-out problems.
 */
import { IntrospectError } from '../errors';
import { NormalRng } from '../sampling/normal';
import { differenceOfMeans, type LinearProbe, logisticRegression, probeScores } from './linear';
import { auroc, bestThreshold, bootstrap, type Interval, ruleAccuracy, type ThresholdRule } from './separation';

export interface CorrectnessInput {
  /** [n, d] raw activations, one row per sample. */
  vectors: Float32Array;
  d: number;
  /** [n, m] latent activations of the same rows. */
  latents: Float32Array;
  m: number;
  positive: boolean[];
  /** Twin id per sample (samples without one are their own pair). */
  pair: (number | undefined)[];
}

export interface ClassifierScore {
  trainAccuracy: number;
  heldOutAccuracy: Interval;
  heldOutAuroc: Interval;
}

export interface LatentScore extends ClassifierScore {
  latent: number;
  trainAuroc: number;
  rule: Omit<ThresholdRule, 'accuracy'>;
}

export interface CorrectnessResult {
  split: { train: number; heldOut: number; seed: number };
  /** The latents of largest train |AUROC − ½|, best first. */
  top: LatentScore[];
  logistic: ClassifierScore;
  differenceOfMeans: ClassifierScore;
  /** Per latent: train AUROC and held-out accuracy of its train rule (for matching across checkpoints). */
  perLatent: { trainAuroc: Float32Array; heldOutAccuracy: Float32Array };
}

/** Samples on the training side: pairs shuffled by `seed`, the first `fraction` of them. */
export function pairSplit(pair: (number | undefined)[], fraction: number, seed: number): boolean[] {
  const key = pair.map((p, i) => (p === undefined ? `s${i}` : `p${p}`));
  const ids = [...new Set(key)];
  const perm = new NormalRng(seed, 0, 13).permutation(ids.length);
  const train = new Set(Array.from(perm.subarray(0, Math.round(ids.length * fraction)), (k) => ids[k]));
  return key.map((k) => train.has(k));
}

export function correctnessDirections(x: CorrectnessInput, o: { trainFraction?: number; seed?: number; top?: number; rounds?: number } = {}): CorrectnessResult {
  const seed = o.seed ?? 0;
  const inTrain = pairSplit(x.pair, o.trainFraction ?? 0.5, seed);
  const tr = indices(inTrain, true);
  const te = indices(inTrain, false);
  for (const [name, side] of [['training', tr], ['held-out', te]] as const) {
    const pos = side.filter((i) => x.positive[i]).length;
    if (pos === 0 || pos === side.length) throw new IntrospectError(`the ${name} split needs both correct and incorrect samples (has ${pos} of ${side.length} correct); use more pairs`, 'data');
  }
  const label = (idx: number[]) => idx.map((i) => x.positive[i]);
  const [yTr, yTe] = [label(tr), label(te)];
  const boot = { rounds: o.rounds ?? 1000, seed };
  const heldOut = (scores: Float64Array, rule: Omit<ThresholdRule, 'accuracy'>): Pick<ClassifierScore, 'heldOutAccuracy' | 'heldOutAuroc'> => ({
    heldOutAccuracy: bootstrap((s, p) => ruleAccuracy(rule, s, p), scores, yTe, boot),
    heldOutAuroc: bootstrap((s, p) => rule.sign * (auroc(s, p) - 0.5) + 0.5, scores, yTe, boot),
  });

  const column = (idx: number[], j: number) => Float64Array.from(idx, (i) => x.latents[i * x.m + j]);
  const trainAuroc = new Float32Array(x.m);
  const heldOutAccuracy = new Float32Array(x.m);
  const rules: ThresholdRule[] = [];
  for (let j = 0; j < x.m; j++) {
    const a = column(tr, j);
    trainAuroc[j] = auroc(a, yTr);
    rules.push(bestThreshold(a, yTr));
    heldOutAccuracy[j] = ruleAccuracy(rules[j], column(te, j), yTe);
  }
  const order = Array.from({ length: x.m }, (_, j) => j)
    .filter((j) => Number.isFinite(trainAuroc[j]))
    .sort((a, b) => Math.abs(trainAuroc[b] - 0.5) - Math.abs(trainAuroc[a] - 0.5));
  const top = order.slice(0, o.top ?? 5).map((j): LatentScore => {
    const rule = { sign: rules[j].sign, threshold: rules[j].threshold };
    return { latent: j, trainAuroc: trainAuroc[j], rule, trainAccuracy: rules[j].accuracy, ...heldOut(column(te, j), rule) };
  });

  const rows = (idx: number[]) => {
    const out = new Float32Array(idx.length * x.d);
    idx.forEach((i, r) => out.set(x.vectors.subarray(i * x.d, (i + 1) * x.d), r * x.d));
    return out;
  };
  const [xTr, xTe] = [rows(tr), rows(te)];
  const linear = (probe: LinearProbe, byThreshold: boolean): ClassifierScore => {
    const sTr = probeScores(probe, xTr, x.d);
    const rule = byThreshold ? bestThreshold(sTr, yTr) : { sign: 1 as const, threshold: 0 };
    return { trainAccuracy: ruleAccuracy(rule, sTr, yTr), ...heldOut(probeScores(probe, xTe, x.d), rule) };
  };
  return {
    split: { train: tr.length, heldOut: te.length, seed },
    top,
    logistic: linear(logisticRegression(xTr, x.d, yTr), false),
    differenceOfMeans: linear(differenceOfMeans(xTr, x.d, yTr), true),
    perLatent: { trainAuroc, heldOutAccuracy },
  };
}

const indices = (mask: boolean[], want: boolean) => mask.flatMap((v, i) => (v === want ? [i] : []));
