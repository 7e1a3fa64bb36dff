/**
 * The local learning coefficient from chain records (devinterp's `LLCEstimator`): per chain
 * λ̂ = nβ · (mean over draws of L(θ_t) − L(θ*)), then the mean and standard deviation (n − 1) over
 * chains. A chain that stopped early is left out and named.
 */
import { IntrospectError } from '../errors';
import type { ChainRecord } from '../sampling/chain';
import { mean, std } from './stats';

export interface LlcEstimate {
  mean: number;
  std: number;
  /** λ̂ of each chain that finished, by chain number. */
  perChain: Record<number, number>;
  /** L(θ*), as given. */
  initLoss: number;
  nbeta: number;
  /** Chains left out, with why they stopped. */
  failed: { chain: number; error: string }[];
}

export function llcEstimate(records: ChainRecord[], initLoss: number, nbeta: number): LlcEstimate {
  const ok = records.filter((r) => !r.error);
  if (ok.length === 0) throw new IntrospectError(`every chain failed: ${records.map((r) => r.error).join('; ')}`, 'llc');
  const perChain: Record<number, number> = {};
  for (const r of ok) perChain[r.chain] = nbeta * (mean(r.drawLoss) - initLoss);
  const values = Object.values(perChain);
  return {
    mean: mean(values),
    std: values.length > 1 ? std(values) : NaN,
    perChain,
    initLoss,
    nbeta,
    failed: records.filter((r) => r.error).map((r) => ({ chain: r.chain, error: r.error! })),
  };
}
