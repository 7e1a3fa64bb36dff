/**
 * A transformer checkpoint as a sampling target, and the per-sample losses observed at each draw.
 * Both run the engine's loss graphs: the target's differentiates only the parameters the
 * restriction touches (the rest are constants at θ*); the observer's is forward-only.
 */
import type { Device } from '../api/types';
import { makeBatch, type TokenBatch } from '../autodiff/batch';
import { buildLossGraph } from '../autodiff/lossGraph';
import type { ParameterLayout } from '../autodiff/parameters';
import { LossRunner } from '../autodiff/runner';
import { IntrospectError } from '../errors';
import type { Examples } from '../train/trainer';
import type { Observer, SamplingTarget } from './chain';
import { NormalRng, Stream } from './normal';
import type { Restriction } from './restriction';

export interface TargetOptions {
  batchSize: number;
  seed: number;
  restriction: Restriction;
  device?: Device;
}

export class TransformerTarget implements SamplingTarget {
  readonly size: number;
  private readonly perEpoch: number;
  private readonly epochs = new Map<string, Int32Array>();
  private evaluator: LossRunner | undefined;

  private constructor(
    readonly layout: ParameterLayout,
    readonly center: Float32Array,
    private readonly data: Examples,
    private readonly o: TargetOptions,
    private readonly runner: LossRunner,
  ) {
    this.size = layout.size;
    this.perEpoch = Math.max(1, Math.floor(data.rows.length / o.batchSize));
  }

  static async create(layout: ParameterLayout, center: Float32Array, data: Examples, o: TargetOptions): Promise<TransformerTarget> {
    if (data.rows.length === 0) throw new IntrospectError('no sampling data', 'data');
    if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) throw new IntrospectError(`must be a positive integer, got ${o.batchSize}`, 'batchSize');
    const graph = buildLossGraph(layout, center, { params: o.restriction.params });
    return new TransformerTarget(layout, center, data, o, await LossRunner.create(graph, layout.size, o.device ?? 'cpu'));
  }

  /**
   * Row indices of minibatch `step` of a chain: the rows in a fresh random order per epoch, as a
   * shuffled data loader that drops the last partial batch; all rows when there are fewer than a batch.
   */
  batchRows(chain: number, step: number, stream: number = Stream.batches): Int32Array {
    const n = this.data.rows.length;
    const B = this.o.batchSize;
    if (n <= B) return Int32Array.from({ length: n }, (_, i) => i);
    const epoch = Math.floor(step / this.perEpoch);
    const key = `${stream}:${chain}:${epoch}`;
    let perm = this.epochs.get(key);
    if (!perm) {
      if (this.epochs.size > 8) this.epochs.clear();
      this.epochs.set(key, (perm = new NormalRng(this.o.seed, chain, stream + 16 * epoch).permutation(n)));
    }
    const at = (step % this.perEpoch) * B;
    return perm.subarray(at, at + B);
  }

  private batch(rows: Int32Array): TokenBatch {
    const pick = <T>(xs: T[] | undefined) => (xs ? Array.from(rows, (i) => xs[i]) : undefined);
    return makeBatch(pick(this.data.rows)!, { targets: pick(this.data.targets), labels: pick(this.data.labels), vocabSize: this.layout.spec.vocabSize });
  }

  async lossAndGradient(theta: Float32Array, chain: number, step: number, grad: Float32Array): Promise<number> {
    return (await this.runner.run(theta, this.batch(this.batchRows(chain, step)), { into: grad })).loss;
  }

  /** L(θ*): the mean loss at the center over `batches` minibatches of its own stream (one batch alone is noisy). */
  async initLoss(batches: number): Promise<number> {
    this.evaluator ??= await LossRunner.create(buildLossGraph(this.layout, this.center, { forwardOnly: true }), this.layout.size, this.o.device ?? 'cpu');
    let sum = 0;
    for (let k = 0; k < batches; k++) sum += (await this.evaluator.run(this.center, this.batch(this.batchRows(0, k, Stream.initLoss)))).loss;
    return sum / batches;
  }

  async release(): Promise<void> {
    await this.runner.release();
    await this.evaluator?.release();
  }
}

/** A fixed sample: its tokens and, optionally, the positions of a claim within it (e.g. a claimed value). */
export interface ObservedSample {
  ids: number[];
  /** Token positions (≥ 1) whose prediction makes the `claim` loss. */
  claim?: number[];
}

/**
 * Each sample's loss at each draw: `sequence` (mean next-token loss over the whole sample),
 * `claim` (over its claim positions, when the samples have them) and, with `perToken`, `token`
 * (every predicted position of every sample — or of the first samples only —, samples
 * concatenated in order).
 */
export class SampleLosses implements Observer {
  readonly sizes: Record<string, number>;
  private readonly batches: { batch: TokenBatch; samples: ObservedSample[] }[];

  private constructor(
    private readonly runner: LossRunner,
    samples: ObservedSample[],
    /** Samples (the first ones) whose every token's loss is recorded. */
    private readonly tokenSamples: number,
    chunk: number,
    vocabSize: number,
  ) {
    const claims = samples.some((s) => s.claim?.length);
    this.sizes = { sequence: samples.length };
    if (claims) this.sizes.claim = samples.length;
    if (tokenSamples > 0) this.sizes.token = samples.slice(0, tokenSamples).reduce((n, s) => n + s.ids.length - 1, 0);
    this.batches = [];
    for (let i = 0; i < samples.length; i += chunk) {
      const part = samples.slice(i, i + chunk);
      this.batches.push({ batch: makeBatch(part.map((s) => s.ids), { vocabSize }), samples: part });
    }
  }

  /** `perToken`: also every token's loss, of every sample or of the first `perToken` samples. */
  static async create(layout: ParameterLayout, center: Float32Array, samples: ObservedSample[], o: { perToken?: boolean | number; chunk?: number; device?: Device } = {}) {
    if (samples.length === 0) throw new IntrospectError('no samples to observe', 'data');
    samples.forEach((s, i) => {
      for (const p of s.claim ?? []) if (!Number.isInteger(p) || p < 1 || p >= s.ids.length) throw new IntrospectError(`claim position ${p} out of range`, `sample ${i}`);
    });
    const graph = buildLossGraph(layout, center, { forwardOnly: true, perToken: true });
    const runner = await LossRunner.create(graph, layout.size, o.device ?? 'cpu');
    const tokenSamples = o.perToken === true ? samples.length : Math.min(samples.length, Number(o.perToken ?? 0));
    return new SampleLosses(runner, samples, tokenSamples, o.chunk ?? 64, layout.spec.vocabSize);
  }

  async observe(theta: Float32Array): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = Object.fromEntries(Object.entries(this.sizes).map(([k, n]) => [k, new Float32Array(n)]));
    let row = 0;
    let tok = 0;
    for (const { batch, samples } of this.batches) {
      const nll = (await this.runner.run(theta, batch)).perToken!;
      samples.forEach((s, r) => {
        // Position p of the sample is predicted at padded index p − 1.
        const base = r * batch.T + batch.padding[r] - 1;
        let sum = 0;
        for (let p = 1; p < s.ids.length; p++) {
          const l = nll[base + p];
          sum += l;
          if (row < this.tokenSamples) out.token[tok++] = l;
        }
        out.sequence[row] = sum / (s.ids.length - 1);
        if (out.claim) {
          const c = s.claim ?? [];
          out.claim[row] = c.length ? c.reduce((a, p) => a + nll[base + p], 0) / c.length : NaN;
        }
        row++;
      });
    }
    return out;
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}
