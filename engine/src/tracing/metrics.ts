/**
 * Effect metrics of patched runs, from last-position logits. With o the clean answer's first token
 * and c the counterfactual answer's:
 *
 * - LD(run) = logit_run[c] − logit_run[o]  (logit difference)
 * - normalized = (LD_patched − LD_clean) / (LD_cf − LD_clean): 0 = no effect, 1 = the patch moves
 *   the answer as far as running the whole counterfactual does
 * - success = 1 when the patched top-1 IS c. (The seed counted any change of the top-1 as
 *   success, which credits patches that merely break the answer; that is kept as `changed`.)
 * - changed = 1 when the patched top-1 differs from the clean run's top-1
 * - seedLogit: the seed's "logit difference normalized by maximum difference": the rise of the
 *   counterfactual answer's logit, logit_patched[c] − logit_clean[c], divided by the largest |rise|
 *   in the grid. It ignores the clean answer's logit and is scaled per grid, so it is not
 *   comparable across programs; it is kept only to compare with the seed's results.
 */
import { argmax } from '../patching';

export interface CellLogits {
  /** Per cell: the patched run's top-1 token id, and its logits of the clean and counterfactual answers. */
  top1: ArrayLike<number>;
  cleanAnswer: ArrayLike<number>;
  cfAnswer: ArrayLike<number>;
}

export interface TraceMetrics {
  ld: number[];
  normalized: number[];
  success: number[];
  top1: number[];
  changed: number[];
  seedLogit: number[];
}

export interface AnswerIds {
  clean: number;
  cf: number;
}

export function logitDifference(logits: ArrayLike<number>, answer: AnswerIds): number {
  return logits[answer.cf] - logits[answer.clean];
}

/** Normalized effect; 0 when the counterfactual itself does not move LD (nothing to normalize by). */
export function normalizedEffect(ld: number, ldClean: number, ldCf: number): number {
  const span = ldCf - ldClean;
  return span === 0 ? 0 : (ld - ldClean) / span;
}

export function traceMetrics(cleanLogits: ArrayLike<number>, cfLogits: ArrayLike<number>, answer: AnswerIds, cells: CellLogits) {
  const ldClean = logitDifference(cleanLogits, answer);
  const ldCf = logitDifference(cfLogits, answer);
  const cleanTop1 = argmax(cleanLogits);
  const n = cells.top1.length;
  const m: TraceMetrics = { ld: [], normalized: [], success: [], top1: [], changed: [], seedLogit: [] };
  let maxRise = 0;
  for (let i = 0; i < n; i++) {
    const ld = cells.cfAnswer[i] - cells.cleanAnswer[i];
    m.ld.push(ld);
    m.normalized.push(normalizedEffect(ld, ldClean, ldCf));
    m.top1.push(cells.top1[i]);
    m.success.push(cells.top1[i] === answer.cf ? 1 : 0);
    m.changed.push(cells.top1[i] === cleanTop1 ? 0 : 1);
    const rise = cells.cfAnswer[i] - cleanLogits[answer.cf];
    m.seedLogit.push(rise);
    maxRise = Math.max(maxRise, Math.abs(rise));
  }
  if (maxRise > 0) m.seedLogit = m.seedLogit.map((r) => r / maxRise);
  return { ldClean, ldCf, metrics: m };
}
