/**
 * Any loss graph built with the engine's GraphBuilder as a sampling target: the parameters are one
 * float32 graph input `θ` [P]; autodiff appends dloss/dθ; each step feeds the data of
 * (chain, step). Small models with known learning coefficients (polynomials, reduced-rank
 * regression) are sampled this way, on the same graphs and gradients as the transformers.
 */
import * as ort from 'onnxruntime-node';
import type { Device } from '../api/types';
import { gradients } from '../autodiff/gradients';
import { sessionFor } from '../autodiff/session';
import { IntrospectError } from '../errors';
import type { GraphBuilder, Value } from '../onnx/builder';
import type { Observer, SamplingTarget } from './chain';

export interface GraphTargetOptions {
  /** The parameter input ([P], float32) and the scalar loss. */
  theta: Value;
  loss: Value;
  center: Float32Array;
  /** The other inputs for minibatch `step` of `chain`. */
  feeds: (chain: number, step: number) => Record<string, ort.Tensor>;
  device?: Device;
}

export class GraphTarget implements SamplingTarget {
  readonly size: number;
  readonly center: Float32Array;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly o: GraphTargetOptions,
  ) {
    this.size = o.center.length;
    this.center = o.center;
  }

  /** Appends the gradient to `b` and declares the outputs `loss` and `grad`. */
  static async create(b: GraphBuilder, o: GraphTargetOptions): Promise<GraphTarget> {
    const input = b.inputs.find((i) => i.name === o.theta);
    if (!input || input.type !== 'float32' || input.shape.length !== 1 || input.shape[0] !== o.center.length)
      throw new IntrospectError(`must be a float32 graph input of shape [${o.center.length}]`, o.theta);
    const g = gradients(b, o.loss, [o.theta]).get(o.theta)!;
    b.output(o.loss, 'loss', 'float32', []);
    b.output(g, 'grad', 'float32', [o.center.length]);
    const { session } = await sessionFor(b, o.device ?? 'cpu');
    return new GraphTarget(session, o);
  }

  async lossAndGradient(theta: Float32Array, chain: number, step: number, grad: Float32Array): Promise<number> {
    const out = await this.session.run({ ...this.o.feeds(chain, step), [this.o.theta]: new ort.Tensor('float32', theta, [theta.length]) });
    grad.set(out.grad.data as Float32Array);
    return Number(out.loss.data[0]);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Values of an engine graph observed at each draw: its float outputs as functions of `θ` (e.g. per-sample losses). */
export class GraphObserver implements Observer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly sizes: Record<string, number>,
    private readonly theta: Value,
    private readonly feeds: Record<string, ort.Tensor>,
  ) {}

  /** `outputs`: observable name → graph value with that many elements (declared as outputs here). */
  static async create(b: GraphBuilder, o: { theta: Value; outputs: Record<string, { value: Value; size: number }>; feeds: Record<string, ort.Tensor>; device?: Device }) {
    for (const [name, { value, size }] of Object.entries(o.outputs)) b.output(value, name, 'float32', [size]);
    const { session } = await sessionFor(b, o.device ?? 'cpu');
    return new GraphObserver(session, Object.fromEntries(Object.entries(o.outputs).map(([k, v]) => [k, v.size])), o.theta, o.feeds);
  }

  async observe(theta: Float32Array): Promise<Record<string, Float32Array>> {
    const out = await this.session.run({ ...this.feeds, [this.theta]: new ort.Tensor('float32', theta, [theta.length]) });
    return Object.fromEntries(Object.keys(this.sizes).map((k) => [k, Float32Array.from(out[k].data as Float32Array)]));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
