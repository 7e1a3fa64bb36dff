/** Study summaries as chart series: an influence study's BIF blocks and LLC, an emergence study's accuracies and SAE quality, over training steps. */
import type { EmergenceRow, EmergenceSummary } from '../../../engine/src/studies/emergence';
import type { InfluenceSummary } from '../../../engine/src/studies/influence';
import type { StudySummary } from '../../../engine/src/studies/kinds';

export interface Curve {
  name: string;
  /** One point per finished checkpoint: x the step; `lo`/`hi` a band (± std over chains, or a bootstrap interval). */
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

type Interval = { value: number; lo: number; hi: number };
const banded = (s: EmergenceSummary, name: string, get: (r: EmergenceRow) => Interval | undefined): Curve => ({
  name,
  points: s.rows.flatMap((r) => {
    const v = get(r);
    return v ? [{ x: r.step, y: v.value, lo: v.lo, hi: v.hi }] : [];
  }),
});
const plain = (name: string, points: { x: number; y: number }[]): Curve => ({ name, points: points.filter((p) => Number.isFinite(p.y)).map((p) => ({ ...p, lo: p.y, hi: p.y })) });

/** Held-out accuracy of telling correct from incorrect: the best SAE latent, the matched latent, both probes, and the model's own task accuracy. */
export function emergenceCurves(s: EmergenceSummary): Curve[] {
  return [
    banded(s, 'best SAE latent (chosen on train)', (r) => r.correctness.top[0]?.heldOutAccuracy),
    plain('matched latent (followed back from the last)', s.matched.map((m) => ({ x: m.step, y: m.heldOutAccuracy }))),
    banded(s, 'logistic-regression probe', (r) => r.correctness.logistic.heldOutAccuracy),
    banded(s, 'difference of means', (r) => r.correctness.differenceOfMeans.heldOutAccuracy),
    plain("model's task accuracy", s.rows.map((r) => ({ x: r.step, y: r.taskAccuracy }))),
  ];
}

export function saeQualityCurves(s: EmergenceSummary): Curve[] {
  const perLatent = s.settings.sae.kind === 'topk' ? s.settings.sae.k : s.settings.sae.latents;
  return [
    plain('explained variance', s.rows.map((r) => ({ x: r.step, y: r.sae.explainedVariance }))),
    plain('CE loss recovered', s.rows.map((r) => ({ x: r.step, y: r.sae.ceLossRecovered }))),
    plain('dead fraction', s.rows.map((r) => ({ x: r.step, y: r.sae.deadFraction }))),
    plain(s.settings.sae.kind === 'topk' ? 'L0 / k' : 'L0 / latents', s.rows.map((r) => ({ x: r.step, y: r.sae.l0 / perLatent }))),
  ];
}

/** Whether the steps are best read on a log axis (they span two decades); step 0 then cannot be drawn. */
export function logSteps(s: StudySummary): boolean {
  const xs = s.rows.map((r) => r.step).filter((x) => x > 0);
  return xs.length > 1 && Math.max(...xs) / Math.min(...xs) >= 100;
}
