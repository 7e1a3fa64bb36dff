/**
 * One SGMCMC chain around θ*: burn-in, then a draw every `every` steps. At every step the target
 * gives the minibatch loss and gradient at θ (the point the step starts from); at a draw that loss
 * is the draw's loss and the observers are evaluated at the same θ. Everything is recorded —
 * per-step diagnostics, per-draw losses, per-draw observables — for the estimators to read.
 *
 * A chain depends only on (seed, chain): its noise comes from its own stream and the target picks
 * its minibatches from (chain, step). A NaN or infinite loss ends the chain with an error naming
 * chain and draw; what was drawn until then is kept.
 */
import { IntrospectError } from '../errors';
import { NormalRng, Stream } from './normal';
import type { Restriction } from './restriction';
import { Sgmcmc, type SgmcmcOptions, type StepDiagnostics } from './sgmcmc';

/** A posterior to sample: a flat parameter vector, its center θ*, and minibatch losses with gradients. */
export interface SamplingTarget {
  readonly size: number;
  readonly center: Float32Array;
  /** Mean loss of minibatch `step` of chain `chain` at θ; its gradient (flat) into `grad`. */
  lossAndGradient(theta: Float32Array, chain: number, step: number, grad: Float32Array): Promise<number>;
}

/** Quantities measured at every draw (e.g. each sample's loss on a fixed set, for influence functions). */
export interface Observer {
  /** Values per draw, by observable name. */
  readonly sizes: Record<string, number>;
  observe(theta: Float32Array): Promise<Record<string, Float32Array>>;
}

export interface ChainSettings extends SgmcmcOptions {
  draws: number;
  burnIn: number;
  /** Steps between draws (1: every step after burn-in is a draw). */
  every: number;
  seed: number;
  /**
   * Measure MALA acceptance every this many steps (0: never), at the cost of one more gradient
   * evaluation there: the new point on the step's own minibatch.
   */
  malaEvery: number;
}

export const STEP_TRACES = ['loss', 'gradTerm', 'localization', 'noise', 'distance', 'mala'] as const;
export type StepTrace = (typeof STEP_TRACES)[number];

export interface ChainRecord {
  chain: number;
  /** Per step, [steps] (`mala` NaN where it was not measured). */
  steps: Record<StepTrace, Float32Array>;
  /** Minibatch loss at each draw, [draws]. */
  drawLoss: Float32Array;
  /** Each observable at each draw, [draws × size] row-major. */
  observables: Record<string, Float32Array>;
  /** Draws completed (fewer than asked when the chain failed). */
  completed: number;
  /** Why the chain stopped early. */
  error?: string;
}

export const chainSteps = (s: Pick<ChainSettings, 'draws' | 'burnIn' | 'every'>) => s.burnIn + s.draws * s.every;

export interface ChainHooks {
  signal?: AbortSignal;
  /** After each step: steps done of the chain's total. */
  onStep?: (done: number, total: number) => void;
}

export async function runChain(
  target: SamplingTarget,
  restriction: Restriction,
  s: ChainSettings,
  chain: number,
  observers: Observer[] = [],
  hooks: ChainHooks = {},
): Promise<ChainRecord> {
  for (const k of ['draws', 'every'] as const) if (!Number.isSafeInteger(s[k]) || s[k] < 1) throw new IntrospectError(`must be a positive integer, got ${s[k]}`, k);
  if (!Number.isSafeInteger(s.burnIn) || s.burnIn < 0) throw new IntrospectError(`must be an integer ≥ 0, got ${s.burnIn}`, 'burnIn');
  const total = chainSteps(s);
  if (!Number.isSafeInteger(s.malaEvery) || s.malaEvery < 0) throw new IntrospectError(`must be an integer ≥ 0, got ${s.malaEvery}`, 'malaEvery');
  const theta = Float32Array.from(target.center);
  const grad = new Float32Array(target.size);
  const sampler = new Sgmcmc(target.center, restriction, s, new NormalRng(s.seed, chain, Stream.noise));
  const steps = Object.fromEntries(STEP_TRACES.map((k) => [k, new Float32Array(total).fill(NaN)])) as Record<StepTrace, Float32Array>;
  const drawLoss = new Float32Array(s.draws).fill(NaN);
  const sizes: Record<string, number> = Object.assign({}, ...observers.map((o) => o.sizes));
  const observables = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, new Float32Array(s.draws * n).fill(NaN)]));
  let completed = 0;
  for (let step = 0; step < total; step++) {
    hooks.signal?.throwIfAborted();
    const loss = await target.lossAndGradient(theta, chain, step, grad);
    const draw = step >= s.burnIn && (step + 1 - s.burnIn) % s.every === 0 ? (step + 1 - s.burnIn) / s.every - 1 : -1;
    if (!Number.isFinite(loss)) {
      const where = draw >= 0 ? `draw ${draw}` : step < s.burnIn ? `burn-in step ${step}` : `step ${step} (before draw ${completed})`;
      return { chain, steps, drawLoss, observables, completed, error: `chain ${chain}: the loss is ${loss} at ${where}; lower the step size ε or raise γ` };
    }
    if (draw >= 0) {
      drawLoss[draw] = loss;
      for (const o of observers) {
        const values = await o.observe(theta);
        for (const [k, v] of Object.entries(values)) observables[k].set(v, draw * sizes[k]);
      }
      completed = draw + 1;
    }
    const mala = s.malaEvery > 0 && step % s.malaEvery === 0;
    const d: StepDiagnostics = sampler.step(theta, grad, loss, mala);
    steps.loss[step] = loss;
    steps.gradTerm[step] = d.gradTerm;
    steps.localization[step] = d.localization;
    steps.noise[step] = d.noise;
    steps.distance[step] = d.distance;
    if (mala) steps.mala[step] = sampler.acceptance(theta, grad, await target.lossAndGradient(theta, chain, step, grad));
    hooks.onStep?.(step + 1, total);
  }
  return { chain, steps, drawLoss, observables, completed };
}
