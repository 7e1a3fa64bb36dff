/**
 * Runs a loss graph: feeds the weights (gathered from the flat parameter vector) and a token batch,
 * and returns per-row losses and gradients in flat Hugging Face layout.
 */
import * as ort from 'onnxruntime-node';
import type { Device } from '../api/types';
import type { BlockHookName } from '../hooks';
import type { Log } from '../runtime/providers';
import { LABEL_WEIGHTS_INPUT, LABELS_INPUT, LOSS_OUTPUT, PER_ROW_LOSS_OUTPUT } from './loss';
import type { LossGraph } from './lossGraph';
import { gatherInto, scatterAdd } from './parameters';
import { sessionFor } from './session';
import type { TokenBatch } from './batch';

export interface LossAndGradients {
  /** [B] per-row losses (absent with a custom metric). */
  perRow?: Float32Array;
  /** The objective. */
  loss: number;
  /** d objective / d parameters, flat HF layout (zero outside the differentiated parameters; empty if none are). */
  grad: Float32Array;
  /** d objective / d graph weight, in the graph's canonical orientation ([in, out]), by graph weight name. */
  weights: Map<string, Float32Array>;
  /** d objective / d activation, [B,T,D] each. */
  hooks: Map<BlockHookName, Float32Array>;
  /** [B,T,V], when the graph outputs logits. */
  logits?: Float32Array;
  /** [B,T] next-token loss at every position, when the graph outputs it. */
  perToken?: Float32Array;
}

export class LossRunner {
  private readonly buffers: Float32Array[];

  private constructor(
    readonly graph: LossGraph,
    private readonly session: ort.InferenceSession,
    private readonly paramCount: number,
  ) {
    this.buffers = graph.weightInputs.map((w) => new Float32Array(w.sources.length));
  }

  static async create(graph: LossGraph, paramCount: number, device: Device = 'cpu', log?: Log): Promise<LossRunner> {
    const { session } = await sessionFor(graph.builder, device, log);
    return new LossRunner(graph, session, paramCount);
  }

  /**
   * One run. `extra` feeds inputs a custom metric added. `into` (zeroed here) receives the flat
   * gradient, so a training loop can reuse one buffer.
   */
  async run(
    flat: Float32Array,
    batch: TokenBatch,
    opts: { extra?: Record<string, ort.Tensor>; into?: Float32Array; logits?: boolean } = {},
  ): Promise<LossAndGradients> {
    const { B, T } = batch;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.ids, [B, T]),
      attention_mask: new ort.Tensor('int64', batch.attention, [B, T]),
      ...opts.extra,
    };
    if (this.graph.perRow) {
      feeds[LABELS_INPUT] = new ort.Tensor('int64', batch.labels, [B, T]);
      feeds[LABEL_WEIGHTS_INPUT] = new ort.Tensor('float32', batch.weights, [B, T]);
    }
    this.graph.weightInputs.forEach((w, k) => {
      feeds[w.name] = new ort.Tensor('float32', gatherInto(this.buffers[k], flat, w.sources), w.dims);
    });
    const out = await this.session.run(feeds);
    const grad = opts.into ?? new Float32Array(this.graph.weightGrads.size ? this.paramCount : 0);
    grad.fill(0);
    const weights = new Map<string, Float32Array>();
    for (const w of this.graph.weightInputs) {
      const name = this.graph.weightGrads.get(w.name);
      if (!name) continue;
      weights.set(w.name, out[name].data as Float32Array);
      scatterAdd(grad, out[name].data as Float32Array, w.sources);
    }
    const hooks = new Map<BlockHookName, Float32Array>();
    for (const [h, name] of this.graph.hookGrads) hooks.set(h, out[name].data as Float32Array);
    return {
      perRow: this.graph.perRow ? (out[PER_ROW_LOSS_OUTPUT].data as Float32Array) : undefined,
      loss: Number(out[LOSS_OUTPUT].data[0]),
      grad,
      weights,
      hooks,
      logits: out.logits?.data as Float32Array | undefined,
      perToken: this.graph.perToken ? (out[this.graph.perToken].data as Float32Array) : undefined,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
