/**
 * MALA acceptance of a run's draws: per chain, the mean of the estimates taken from the end of
 * burn-in on. Those taken during burn-in are left out: RMSProp-SGLD's preconditioner starts from
 * V = 0 and warms up over the first hundred-odd steps, when acceptance climbs from ~0 to its
 * level, and that is not the sampler the draws come from.
 */
import type { ChainRecord } from '../sampling/chain';
import { mean } from './stats';

export function malaAcceptance(records: ChainRecord[], burnIn: number): { mean: number; perChain: Record<number, number> } {
  const perChain = Object.fromEntries(records.filter((r) => !r.error).map((r) => [r.chain, mean(Array.from(r.steps.mala.subarray(burnIn)).filter((a) => !Number.isNaN(a)))]));
  return { mean: mean(Object.values(perChain)), perChain };
}
