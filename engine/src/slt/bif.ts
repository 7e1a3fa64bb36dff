/**
 * Bayesian influence functions from chain records (Kreer et al. 2509.26544; devinterp v2
 * `slt/bif.py`): with ℓ_i(w) sample i's loss at a draw,
 *
 *   BIF(i, j) = −Cov(ℓ_i, ℓ_j)   over the draws of all chains stacked,
 *
 * and its normalised form, the Pearson correlation of the same losses (devinterp's default). Both
 * are kept, with their signs as written here: `bif` is −covariance, `correlation` is +correlation,
 * so a normalised influence reads −correlation.
 *
 * Block means summarise the matrix by sample group (off-diagonal entries only: a sample's influence
 * on itself is its loss variance, which would swamp a block); their spread over chains (each
 * chain's draws alone) says how settled they are.
 */
import { IntrospectError } from '../errors';
import type { ChainRecord } from '../sampling/chain';
import { covariance, mean, std } from './stats';

export interface BifBlock {
  from: string;
  to: string;
  /** Mean off-diagonal BIF (−covariance) between the two groups. */
  bif: number;
  /** Mean correlation. */
  correlation: number;
  /** Standard deviation over chains of the block's mean BIF (NaN with one chain). */
  bifChainStd: number;
  pairs: number;
}

export interface BifResult {
  samples: number;
  /** Draws used (all finished chains stacked). */
  draws: number;
  /** [samples, samples] row-major. */
  bif: Float64Array;
  correlation: Float64Array;
  blocks: BifBlock[];
  /** For samples in twin pairs (same program, different group): the mean over pairs of their BIF and correlation. */
  twins?: { bif: number; correlation: number; pairs: number };
}

export interface SampleInfo {
  group: string;
  /** Samples with the same pair id are twins (e.g. a program's correct and incorrect claims). */
  pair?: number;
}

export function bifEstimate(records: ChainRecord[], observable: string, samples: SampleInfo[]): BifResult {
  const ok = records.filter((r) => !r.error && r.completed >= 2);
  if (ok.length === 0) throw new IntrospectError('no chain finished with at least 2 draws', 'bif');
  const n = samples.length;
  const parts = ok.map((r) => {
    const x = r.observables[observable];
    if (!x) throw new IntrospectError(`chain ${r.chain} did not record it`, observable);
    if (x.length !== r.drawLoss.length * n) throw new IntrospectError(`chain ${r.chain} recorded ${x.length / r.drawLoss.length} samples, not ${n}`, observable);
    return x;
  });
  const rows = parts.reduce((s, p) => s + p.length / n, 0);
  const stacked = new Float64Array(rows * n);
  let at = 0;
  for (const p of parts) {
    stacked.set(p, at);
    at += p.length;
  }
  const all = covariance(stacked, rows, n);
  const bif = all.cov.map((c) => -c);
  const perChain = parts.length > 1 ? parts.map((p) => covariance(p, p.length / n, n).cov.map((c) => -c)) : [];

  const groups = [...new Set(samples.map((s) => s.group))];
  const blocks: BifBlock[] = [];
  for (let a = 0; a < groups.length; a++)
    for (let b = a; b < groups.length; b++) {
      const cells: number[] = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (i !== j && samples[i].group === groups[a] && samples[j].group === groups[b]) cells.push(i * n + j);
      if (cells.length === 0) continue;
      const meanOf = (m: Float64Array) => mean(cells.map((c) => m[c]));
      blocks.push({
        from: groups[a],
        to: groups[b],
        bif: meanOf(bif),
        correlation: meanOf(all.corr),
        bifChainStd: perChain.length > 1 ? std(perChain.map(meanOf)) : NaN,
        pairs: cells.length,
      });
    }

  const twinCells: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      if (i !== j && samples[i].pair !== undefined && samples[i].pair === samples[j].pair && samples[i].group !== samples[j].group) twinCells.push(i * n + j);
  const twins = twinCells.length
    ? { bif: mean(twinCells.map((c) => bif[c])), correlation: mean(twinCells.map((c) => all.corr[c])), pairs: twinCells.length / 2 }
    : undefined;
  return { samples: n, draws: rows, bif, correlation: all.corr, blocks, ...(twins ? { twins } : {}) };
}
