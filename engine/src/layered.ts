/**
 * Runs a model stage by stage (embedding, each block, head) through the per-stage graphs of
 * arch/layerGraphs.ts. Host code decides where a run starts — which layer, which positions — and
 * passes cached keys and values for the positions before.
 */
import * as ort from 'onnxruntime-node';
import { buildBlockGraph, buildEmbedGraph, buildHeadGraph } from './arch/layerGraphs';
import { knockoutInput, patchMaskInput, patchValueInput } from './arch/transformer';
import type { BlockHookKind } from './hooks';
import type { Activation, LoadedModel } from './model';
import { idleInterventionFeeds } from './runtime/interventionFeeds';

/** A float32 tensor on the host. */
export type HostTensor = Activation;

export interface BlockRun {
  /** [B,T,D] */
  x: HostTensor;
  /** [B|1,T] absolute positions of the T new tokens. */
  positions: { data: BigInt64Array; shape: number[] };
  /** [B|1,P+T]: 1 for real keys, 0 for padding. */
  keyMask: { data: BigInt64Array; shape: number[] };
  /** [B|1,Hkv,P,dh] keys/values of the P earlier positions (P may be 0). */
  pastK: HostTensor;
  pastV: HostTensor;
  /** Patches of this block's hooks: mask [B,T] (or [B,T,H] for z), value broadcastable to the hook. */
  patches?: Partial<Record<BlockHookKind, { mask: Uint8Array; maskShape: number[]; value: HostTensor }>>;
  /** [B|1,H|1,T,P+T], 1 = blocked. */
  knockout?: { mask: Uint8Array; shape: number[] };
  /** Outputs to fetch: 'out', 'present_k', 'present_v' and hook names. */
  fetch: string[];
}

export class LayeredRunner {
  private constructor(
    readonly model: LoadedModel,
    private readonly embedSession: ort.InferenceSession,
    private readonly blocks: ort.InferenceSession[],
    private readonly headSession: ort.InferenceSession,
  ) {}

  static async create(model: LoadedModel): Promise<LayeredRunner> {
    const L = model.spec.nLayers;
    const [embed, head, ...blocks] = await Promise.all([
      model.graphSession({ graph: 'embed' }, buildEmbedGraph),
      model.graphSession({ graph: 'head' }, buildHeadGraph),
      ...Array.from({ length: L }, (_, l) => model.graphSession({ graph: 'block', layer: l }, (b, s, w) => buildBlockGraph(b, s, w, l))),
    ]);
    return new LayeredRunner(model, embed, blocks, head);
  }

  async embed(ids: BigInt64Array, shape: number[], positions: { data: BigInt64Array; shape: number[] }): Promise<HostTensor> {
    const out = await this.embedSession.run({
      input_ids: new ort.Tensor('int64', ids, shape),
      positions: new ort.Tensor('int64', positions.data, positions.shape),
    });
    return host(out.x);
  }

  async block(layer: number, r: BlockRun): Promise<Record<string, HostTensor>> {
    const feeds: Record<string, ort.Tensor> = {
      ...idleInterventionFeeds(this.model.spec, layer),
      x: f32(r.x),
      positions: new ort.Tensor('int64', r.positions.data, r.positions.shape),
      key_mask: new ort.Tensor('int64', r.keyMask.data, r.keyMask.shape),
      past_k: f32(r.pastK),
      past_v: f32(r.pastV),
    };
    if (r.knockout) feeds[knockoutInput(layer)] = new ort.Tensor('bool', r.knockout.mask, r.knockout.shape);
    for (const kind of Object.keys(r.patches ?? {}) as BlockHookKind[]) {
      const p = r.patches![kind]!;
      feeds[patchMaskInput(layer, kind)] = new ort.Tensor('bool', p.mask, p.maskShape);
      feeds[patchValueInput(layer, kind)] = f32(p.value);
    }
    const out = await this.blocks[layer].run(feeds, r.fetch);
    return Object.fromEntries(r.fetch.map((name) => [name, host(out[name])]));
  }

  /** Last-position logits [B,V]. */
  async head(x: HostTensor): Promise<HostTensor> {
    return host((await this.headSession.run({ x: f32(x) })).logits);
  }
}

const f32 = (t: HostTensor) => new ort.Tensor('float32', t.data, t.shape);
const host = (t: ort.Tensor): HostTensor => ({ data: t.data as Float32Array, shape: t.dims.map(Number) });
