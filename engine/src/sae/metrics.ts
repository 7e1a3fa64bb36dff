/**
 * How good an SAE is, in SAELens' terms: on the cached activations, L0, explained variance, MSE and
 * the fraction of latents that never fire; in the model, the CE loss recovered and the KL when the
 * reconstruction is spliced into the forward pass at the hook point (the engine's patching):
 * CE recovered = (CE_zero-ablated − CE_spliced) / (CE_zero-ablated − CE_clean).
 */
import { IntrospectError } from '../errors';
import type { BlockHookName } from '../hooks';
import type { LoadedModel } from '../model';
import type { StudySample } from '../studies/data/samples';
import type { PositionKind } from '../api/studies';
import { observedSamples } from '../studies/data/tokenize';
import { type ActivationReader, cachedPositions } from './activations';
import type { SaeEncoder } from './sae';

export interface ReconstructionMetrics {
  l0: number;
  mse: number;
  explainedVariance: number;
  deadFraction: number;
  /** Tokens each latent fired on. */
  firing: number[];
}

export async function reconstructionMetrics(reader: ActivationReader, enc: SaeEncoder): Promise<ReconstructionMetrics> {
  const { dIn: d } = reader.manifest;
  const m = enc.sae.config.latents;
  const firing = new Float64Array(m);
  const mean = new Float64Array(d);
  let n = 0;
  let sq = 0;
  let sumSq = 0;
  let active = 0;
  for await (const c of reader.chunks()) {
    const { f, xhat } = await enc.run(c.acts);
    const rows = c.sample.length;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        const x = c.acts[r * d + j];
        sq += (x - xhat[r * d + j]) ** 2;
        sumSq += x * x;
        mean[j] += x;
      }
      for (let i = 0; i < m; i++)
        if (f[r * m + i] > 0) {
          firing[i]++;
          active++;
        }
    }
    n += rows;
  }
  // Σ‖x − x̄‖² = Σ‖x‖² − n‖x̄‖²
  const total = sumSq - mean.reduce((a, s) => a + (s / n) ** 2, 0) * n;
  return { l0: active / n, mse: sq / n, explainedVariance: 1 - sq / total, deadFraction: firing.filter((k) => k === 0).length / m, firing: Array.from(firing) };
}

export interface SpliceMetrics {
  ceClean: number;
  ceSpliced: number;
  ceZeroAblated: number;
  ceLossRecovered: number;
  /** Mean KL(clean ‖ spliced) of the next-token distributions. */
  klSpliced: number;
  klZeroAblated: number;
  /** Where the reconstruction went in: the SAE's own positions, or every token when those have nothing after them to predict. */
  spliced: 'trained positions' | 'all positions';
  tokens: number;
}

/**
 * Splices `reconstruct(x)` (activations at `hook` → their replacement, [n, d] → [n, d]) into the
 * forward pass of `samples` at the positions of kind `positions`, and zeros in a second run. The
 * loss scored is the one the samples define: their claim's tokens where they have a claim (for
 * binding programs, the answer the model was trained on), else every next token. When no spliced
 * position comes before a scored token (an SAE of the claim token itself), the reconstruction is
 * spliced in at every position instead, and the result says so.
 */
export async function spliceMetrics(
  model: LoadedModel,
  samples: StudySample[],
  hook: BlockHookName,
  positions: PositionKind,
  reconstruct: (x: Float32Array) => Promise<Float32Array>,
  o: { batch?: number; signal?: AbortSignal } = {},
): Promise<SpliceMetrics> {
  const observed = observedSamples(model.tokenizer, samples);
  const scored = observed.map((s) => s.claim ?? s.ids.slice(1).map((_, p) => p + 1));
  let plan = cachedPositions(model, samples, positions);
  let spliced: SpliceMetrics['spliced'] = 'trained positions';
  if (!plan.some((p, i) => p.positions.some((q) => scored[i].some((t) => q < t)))) {
    plan = plan.map((p) => ({ ids: p.ids, positions: p.ids.map((_, q) => q) }));
    spliced = 'all positions';
  }
  const V = model.spec.vocabSize;
  const sum = { clean: 0, spliced: 0, zero: 0, klSpliced: 0, klZero: 0 };
  let tokens = 0;
  const batch = o.batch ?? 16;
  for (let s = 0; s < plan.length; s += batch) {
    if (o.signal?.aborted) throw new IntrospectError('cancelled');
    const part = plan.slice(s, s + batch);
    const ids = part.map((p) => p.ids);
    const clean = await model.forward(ids, { hooks: [hook], logits: 'all' });
    const act = clean.hooks.get(hook)!;
    const [B, T, d] = act.shape;
    const mask = new Uint8Array(B * T);
    const cells: number[] = [];
    part.forEach((p, r) => {
      for (const q of p.positions) {
        mask[r * T + clean.padding[r] + q] = 1;
        cells.push(r * T + clean.padding[r] + q);
      }
    });
    const x = new Float32Array(cells.length * d);
    cells.forEach((c, i) => x.set(act.data.subarray(c * d, (c + 1) * d), i * d));
    const xhat = await reconstruct(x);
    if (xhat.length !== x.length) throw new IntrospectError(`the reconstruction has ${xhat.length} values for ${x.length}`, 'splice');
    const value = new Float32Array(B * T * d);
    cells.forEach((c, i) => value.set(xhat.subarray(i * d, (i + 1) * d), c * d));
    const patch = (v: Float32Array) => model.forward(ids, { logits: 'all', patches: [{ hook, mask, maskShape: [B, T], value: v, valueShape: [B, T, d] }] });
    const withSae = await patch(value);
    const zero = await patch(new Float32Array(B * T * d));
    part.forEach((p, r) => {
      for (const t of scored[s + r]) {
        // Token t is predicted at position t − 1.
        const at = (r * T + clean.padding[r] + t - 1) * V;
        const lc = logSoftmax(clean.logits.data.subarray(at, at + V));
        const ls = logSoftmax(withSae.logits.data.subarray(at, at + V));
        const lz = logSoftmax(zero.logits.data.subarray(at, at + V));
        sum.clean -= lc[p.ids[t]];
        sum.spliced -= ls[p.ids[t]];
        sum.zero -= lz[p.ids[t]];
        sum.klSpliced += kl(lc, ls);
        sum.klZero += kl(lc, lz);
        tokens++;
      }
    });
  }
  if (!tokens) throw new IntrospectError('no predicted tokens to score', 'splice');
  const ce = { clean: sum.clean / tokens, spliced: sum.spliced / tokens, zero: sum.zero / tokens };
  return {
    ceClean: ce.clean,
    ceSpliced: ce.spliced,
    ceZeroAblated: ce.zero,
    ceLossRecovered: (ce.zero - ce.spliced) / (ce.zero - ce.clean),
    klSpliced: sum.klSpliced / tokens,
    klZeroAblated: sum.klZero / tokens,
    spliced,
    tokens,
  };
}

function logSoftmax(z: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let s = 0;
  for (const v of z) s += Math.exp(v - max);
  const lse = max + Math.log(s);
  return Float64Array.from(z, (v) => v - lse);
}

/** KL(p ‖ q) from log-probabilities. */
function kl(lp: Float64Array, lq: Float64Array): number {
  let s = 0;
  for (let i = 0; i < lp.length; i++) s += Math.exp(lp[i]) * (lp[i] - lq[i]);
  return s;
}
