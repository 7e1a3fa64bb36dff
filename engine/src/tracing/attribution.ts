/**
 * Attribution patching: a first-order estimate of every cell of a patching grid from one forward
 * and one backward pass of the clean prompt. With LD the logit difference (cf − clean answer) at
 * the last position and a the hooked activation, patching cell c changes LD by about
 *
 *   ΔLD(c) ≈ Σ_{elements of c} (a_cf − a_clean) · ∂LD/∂a |clean
 *
 * Cells are (layer, token) for the residual stream and MLP outputs, and (layer, head) summed over
 * every position for heads, as traceGrid's grids. Knockout has no activation to differentiate, so
 * it is not estimated. The estimate is exact only where LD is linear in the activation; how well it
 * ranks cells against real patching is measured, not assumed (see docs/tracing.md).
 */
import * as ort from 'onnxruntime-node';
import type { Axis, Intervention } from '../api/types';
import { INTERVENTION_HOOK } from '../api/types';
import { buildLossGraph, type LoadedParameters, LossRunner, loadParameters, makeBatch, METRIC_WEIGHTS_INPUT, weightedLogitsMetric } from '../autodiff';
import { IntrospectError } from '../errors';
import { type BlockHookName, hookName } from '../hooks';
import type { LoadedModel } from '../model';
import type { PreparedTrace } from '../trace';
import type { AnswerIds } from './metrics';
import { normalizedEffect } from './metrics';

export interface AttributionGrid {
  intervention: Exclude<Intervention, 'knockout'>;
  axes: Axis[];
  shape: number[];
  layers: number[];
  /** Estimated LD of each patched run (LD_clean + estimated change). */
  ld: number[];
  /** Estimated normalized effect, (LD_est − LD_clean) / (LD_cf − LD_clean). */
  normalized: number[];
  ldClean: number;
  ldCf: number;
}

/**
 * Estimates grids for one model: its parameters are loaded once, and one gradient graph per hook
 * kind is built on first use and reused for every prompt (its shapes are dynamic).
 */
export class Attributor {
  private readonly runners = new Map<string, Promise<LossRunner>>();

  private constructor(
    private readonly model: LoadedModel,
    private readonly params: LoadedParameters,
  ) {}

  static async create(model: LoadedModel): Promise<Attributor> {
    return new Attributor(model, await loadParameters(model.dir));
  }

  /** The attribution estimate of traceGrid's full grid for `intervention`, scored with the same answer tokens. */
  async grid(t: PreparedTrace, intervention: Intervention, answer: AnswerIds): Promise<AttributionGrid> {
    if (intervention === 'knockout') throw new IntrospectError('attribution patching estimates activation patches, not knockouts', 'intervention');
    const model = this.model;
    const { nLayers, nHeads, dHead, vocabSize: V } = model.spec;
    const kind = INTERVENTION_HOOK[intervention];
    const layers = Array.from({ length: nLayers }, (_, l) => l);
    const hooks: BlockHookName[] = layers.map((l) => hookName(l, kind));
    const clean = t.cf.clean.map((s) => s.id);
    const cf = t.cf.counterfactual.map((s) => s.id);
    const T = clean.length;
    if (T < 2) throw new IntrospectError('attribution needs a prompt of at least two tokens', 'code');

    const runs = await model.forward([clean, cf], { hooks, logits: 'last' });
    const ldOf = (row: number) => runs.logits.data[row * V + answer.cf] - runs.logits.data[row * V + answer.clean];
    const ldClean = ldOf(0);
    const ldCf = ldOf(1);

    const w = new Float32Array(T * V);
    w[(T - 1) * V + answer.cf] = 1;
    w[(T - 1) * V + answer.clean] = -1;
    const runner = await this.runner(kind, hooks);
    const out = await runner.run(this.params.flat, makeBatch([clean]), { extra: { [METRIC_WEIGHTS_INPUT]: new ort.Tensor('float32', w, [1, T, V]) } });

    const perHead = intervention === 'heads';
    const width = perHead ? nHeads : T;
    const ld: number[] = [];
    for (const l of layers) {
      const act = runs.hooks.get(hooks[l])!;
      const D = act.shape[2];
      const g = out.hooks.get(hooks[l])!;
      const cells = new Float64Array(width);
      for (let p = 0; p < T; p++)
        for (let d = 0; d < D; d++) {
          const i = p * D + d;
          cells[perHead ? Math.floor(d / dHead) : p] += (act.data[T * D + i] - act.data[i]) * g[i];
        }
      for (const c of cells) ld.push(ldClean + c);
    }
    return {
      intervention,
      axes: ['layer', perHead ? 'head' : 'pos'],
      shape: [nLayers, width],
      layers,
      ld,
      normalized: ld.map((x) => normalizedEffect(x, ldClean, ldCf)),
      ldClean,
      ldCf,
    };
  }

  private runner(kind: string, hooks: BlockHookName[]): Promise<LossRunner> {
    let r = this.runners.get(kind);
    if (!r) {
      const { layout, flat } = this.params;
      r = LossRunner.create(buildLossGraph(layout, flat, { params: [], hooks, metric: weightedLogitsMetric }), layout.size);
      this.runners.set(kind, r);
    }
    return r;
  }

  async release(): Promise<void> {
    for (const r of this.runners.values()) await (await r).release();
    this.runners.clear();
  }
}

/** One estimate, building and releasing an Attributor around it. */
export async function attributionGrid(model: LoadedModel, t: PreparedTrace, intervention: Intervention, answer: AnswerIds): Promise<AttributionGrid> {
  const a = await Attributor.create(model);
  try {
    return await a.grid(t, intervention, answer);
  } finally {
    await a.release();
  }
}

/**
 * The estimate at the cells of a real grid (which may cover only some token positions), and its
 * Pearson correlation with the real normalized effects there.
 */
export function compareWithPatching(est: AttributionGrid, real: { shape: number[]; positions?: number[]; metrics: { normalized: number[] } }) {
  const cols = real.shape[1];
  const at = (l: number, c: number) => l * est.shape[1] + (est.axes[1] === 'pos' && real.positions ? real.positions[c] : c);
  const normalized = Array.from({ length: real.shape[0] * cols }, (_, i) => est.normalized[at(Math.floor(i / cols), i % cols)]);
  return { normalized, r: pearson(normalized, real.metrics.normalized) };
}

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) throw new IntrospectError(`series differ in length (${a.length} vs ${b.length})`, 'pearson');
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
