/** A study summary as chart series: each BIF block's mean and the LLC over training steps. */
import type { InfluenceSummary } from '../../../engine/src/studies/influence';

export interface Curve {
  name: string;
  /** One point per finished checkpoint: x the step; `lo`/`hi` a band (± std over chains). */
  points: { x: number; y: number; lo: number; hi: number }[];
}

/** The observables a summary has BIF blocks for (`claim` first: for binding programs it is the answer). */
export function observablesOf(s: InfluenceSummary): string[] {
  const obs = Object.keys(s.rows[0]?.result.bif ?? {});
  return obs.sort((a, b) => (a === 'claim' ? -1 : b === 'claim' ? 1 : a.localeCompare(b)));
}

export function bifCurves(s: InfluenceSummary, observable: string): Curve[] {
  const names = s.rows[0]?.result.bif?.[observable]?.blocks.map((b) => `${b.from}→${b.to}`) ?? [];
  return names.map((name) => ({
    name,
    points: s.rows.map((r) => {
      const b = r.result.bif![observable].blocks.find((x) => `${x.from}→${x.to}` === name)!;
      const sd = Number.isFinite(b.bifChainStd) ? b.bifChainStd : 0;
      return { x: r.step, y: b.bif, lo: b.bif - sd, hi: b.bif + sd };
    }),
  }));
}

export function llcCurve(s: InfluenceSummary): Curve {
  return {
    name: 'LLC',
    points: s.rows.map((r) => {
      const sd = Number.isFinite(r.result.llc.std) ? r.result.llc.std : 0;
      return { x: r.step, y: r.result.llc.mean, lo: r.result.llc.mean - sd, hi: r.result.llc.mean + sd };
    }),
  };
}

/** Whether the steps are best read on a log axis (they span two decades); step 0 then cannot be drawn. */
export function logSteps(s: InfluenceSummary): boolean {
  const xs = s.rows.map((r) => r.step).filter((x) => x > 0);
  return xs.length > 1 && Math.max(...xs) / Math.min(...xs) >= 100;
}
