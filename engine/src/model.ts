/**
 * A loaded model: its spec, tokenizer and onnxruntime sessions, one per graph variant, built
 * lazily and cached on disk. Every run is a pure function of token ids, patches and knockouts.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DType, Device, ModelDomain, ModelInfo } from './api/types';
import type { CanonicalWeights } from './arch/canonical';
import { canonicalWeights, type Family, specFromConfig } from './arch/families';
import type { ModelSpec } from './arch/spec';
import { buildTransformer, type GraphVariant, knockoutInput, patchMaskInput, patchValueInput } from './arch/transformer';
import { readModelDomain } from './checkpoint/domain';
import { loadCheckpointFolder, readJsonFile } from './checkpoint/folder';
import { IntrospectError } from './errors';
import { BLOCK_HOOK_KINDS, type BlockHookName, type HookName, parseHookName } from './hooks';
import { GraphBuilder } from './onnx/builder';
import { cachedGraph, defaultCacheDir, graphKey, WEIGHTS_FILE } from './runtime/graphCache';
import { idleInterventionFeeds } from './runtime/interventionFeeds';
import { createSession, type Log, type ResolvedDevice } from './runtime/providers';
import { Tokenizer } from './tokenizer';

/** Adds one graph's nodes to a builder, given the model's spec and weights. */
export type GraphBuild = (b: GraphBuilder, spec: ModelSpec, weights: CanonicalWeights) => void;

export interface LoadOptions {
  device?: Device;
  dtype?: DType;
  cacheDir?: string;
  log?: Log;
}

/** Replace hook `hook`'s activation where `mask` is set with `value` (float32, [B,T,D] or broadcastable). */
export interface HookPatch {
  hook: BlockHookName;
  /** [B,T] (or [B,T,H] for attn.hook_z), 1 = patch this cell. */
  mask: Uint8Array;
  maskShape: number[];
  value: Float32Array;
  valueShape: number[];
}

/** Block attention in `layer` where `mask` ([B|1, H|1, T, T], query × key) is 1. */
export interface Knockout {
  layer: number;
  mask: Uint8Array;
  shape: number[];
}

export interface ForwardOptions {
  logits?: 'all' | 'last';
  hooks?: HookName[];
  patches?: HookPatch[];
  knockouts?: Knockout[];
}

export interface Activation {
  data: Float32Array;
  shape: number[];
}

export interface ForwardResult {
  /** [B,T,V] or [B,V]. Rows are left-padded to the longest: row r starts at `padding[r]`. */
  logits: Activation;
  hooks: Map<HookName, Activation>;
  padding: number[];
}

export class LoadedModel {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private resolvedDevice?: ResolvedDevice;
  private weights?: Promise<CanonicalWeights>;

  private constructor(
    readonly dir: string,
    readonly spec: ModelSpec,
    private readonly family: Family,
    readonly tokenizer: Tokenizer,
    private readonly identity: unknown,
    private readonly opts: Required<Omit<LoadOptions, 'log'>> & { log: Log },
    private readonly name: string,
    readonly domain: ModelDomain | undefined,
  ) {}

  static async load(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    const configPath = join(dir, 'config.json');
    const config = readJsonFile(configPath) as Record<string, unknown>;
    const { family, spec } = specFromConfig(config, configPath);
    const tokenizer = await Tokenizer.fromDir(dir);
    // Ids past the embedding would fail deep in a graph run (Gather out of bounds): say so here.
    if (tokenizer.vocabSize > spec.vocabSize)
      throw new IntrospectError(`the tokenizer has ${tokenizer.vocabSize} token ids, but the model's vocabulary (vocab_size) has ${spec.vocabSize}`, join(dir, 'tokenizer.json'));
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float16')
      throw new IntrospectError(`unsupported dtype "${dtype}" (float32 or float16)`, 'dtype');
    // Identity of the weights: file names, sizes and modification times (cheap; no full read).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors') || f.endsWith('.safetensors.index.json'))
      .sort()
      .map((f) => {
        const st = statSync(join(dir, f));
        return [f, st.size, st.mtimeMs];
      });
    const name = typeof config._name_or_path === 'string' && config._name_or_path ? config._name_or_path : basename(dir);
    return new LoadedModel(
      dir,
      spec,
      family,
      tokenizer,
      { config, files },
      { device: opts.device ?? 'auto', dtype, cacheDir: opts.cacheDir ?? defaultCacheDir(), log: opts.log ?? (() => {}) },
      name,
      readModelDomain(dir),
    );
  }

  get info(): ModelInfo {
    return {
      dir: this.dir,
      name: this.name,
      modelType: this.spec.modelType,
      nLayers: this.spec.nLayers,
      nHeads: this.spec.nHeads,
      dModel: this.spec.dModel,
      vocabSize: this.spec.vocabSize,
      device: this.resolvedDevice ?? (this.opts.device === 'auto' ? 'cpu' : this.opts.device),
      dtype: this.opts.dtype,
      ...(this.domain && { domain: this.domain }),
    };
  }

  async forward(ids: number[][], opts: ForwardOptions = {}): Promise<ForwardResult> {
    if (ids.length === 0 || ids.some((r) => r.length === 0)) throw new IntrospectError('empty input: nothing to run');
    const logits = opts.logits ?? 'last';
    const instrumented = !!(opts.hooks?.length || opts.patches?.length || opts.knockouts?.length);
    const variant: GraphVariant = instrumented
      ? { logits, hooks: true, patch: [...BLOCK_HOOK_KINDS], knockout: true }
      : { logits, hooks: false, patch: [], knockout: false };
    const session = await this.session(variant);

    const T = Math.max(...ids.map((r) => r.length));
    const B = ids.length;
    const padId = this.tokenizer.padTokenId ?? 0;
    const flat = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    const padding = ids.map((row, r) => {
      const pad = T - row.length;
      for (let t = 0; t < T; t++) {
        const tok = t < pad ? padId : row[t - pad];
        if (!Number.isInteger(tok) || tok < 0 || tok >= this.spec.vocabSize)
          throw new IntrospectError(`token id ${tok} out of range [0, ${this.spec.vocabSize})`, 'input_ids');
        flat[r * T + t] = BigInt(tok);
        mask[r * T + t] = t < pad ? 0n : 1n;
      }
      return pad;
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', flat, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
    };
    if (instrumented) Object.assign(feeds, this.interventionFeeds(opts.patches ?? [], opts.knockouts ?? []));

    const fetch = ['logits', ...(opts.hooks ?? []).filter((h) => h !== 'logits')];
    for (const h of fetch) this.checkHook(h);
    const out = await session.run(feeds, fetch);
    const act = (t: ort.Tensor): Activation => ({ data: t.data as Float32Array, shape: t.dims.map(Number) });
    const hooks = new Map<HookName, Activation>();
    for (const h of opts.hooks ?? []) hooks.set(h, act(out[h]));
    return { logits: act(out.logits), hooks, padding };
  }

  private interventionFeeds(patches: HookPatch[], knockouts: Knockout[]): Record<string, ort.Tensor> {
    const { nLayers, nHeads } = this.spec;
    const feeds: Record<string, ort.Tensor> = {};
    for (let l = 0; l < nLayers; l++) Object.assign(feeds, idleInterventionFeeds(this.spec, l));
    const patched = new Set<string>();
    for (const p of patches) {
      const parsed = this.checkHook(p.hook)!;
      const perHead = parsed.kind === 'attn.hook_z';
      if (p.maskShape.length !== (perHead ? 3 : 2))
        throw new IntrospectError(`patch mask for ${p.hook} must be ${perHead ? '[B,T,H]' : '[B,T]'}`, p.hook);
      const mk = patchMaskInput(parsed.layer, parsed.kind);
      if (patched.has(mk)) throw new IntrospectError('hook patched twice in one run', p.hook);
      patched.add(mk);
      feeds[mk] = new ort.Tensor('bool', p.mask, p.maskShape);
      feeds[patchValueInput(parsed.layer, parsed.kind)] = new ort.Tensor('float32', p.value, p.valueShape);
    }
    for (const k of knockouts) {
      if (k.layer < 0 || k.layer >= nLayers) throw new IntrospectError(`layer ${k.layer} out of range [0, ${nLayers})`, 'knockout');
      if (k.shape.length !== 4 || (k.shape[1] !== 1 && k.shape[1] !== nHeads))
        throw new IntrospectError(`knockout mask must be [B|1, ${nHeads}|1, T, T]`, 'knockout');
      feeds[knockoutInput(k.layer)] = new ort.Tensor('bool', k.mask, k.shape);
    }
    return feeds;
  }

  /** Validates a hook name against this model, naming the nearest valid one. */
  private checkHook(h: string) {
    if (h === 'logits') return undefined;
    const parsed = parseHookName(h);
    if (!parsed || parsed.layer >= this.spec.nLayers) {
      const layer = parsed ? Math.min(parsed.layer, this.spec.nLayers - 1) : 0;
      throw new IntrospectError(
        `unknown hook "${h}" (model has ${this.spec.nLayers} layers; e.g. "blocks.${layer}.${parsed?.kind ?? 'hook_resid_pre'}")`,
        'hook',
      );
    }
    return parsed;
  }

  private session(variant: GraphVariant): Promise<ort.InferenceSession> {
    return this.graphSession({ graph: 'transformer', variant }, (b, s, w) => buildTransformer(b, s, w, variant));
  }

  /**
   * The session of a graph built by `build`, identified by `key` (plus this model's weights and
   * dtype): from memory, else from the on-disk graph cache, else built now. Weights are read at
   * most once for graphs requested together (e.g. every layer of a layered runner).
   */
  graphSession(key: unknown, build: GraphBuild): Promise<ort.InferenceSession> {
    const hash = graphKey({ identity: this.identity, dtype: this.opts.dtype, key });
    let s = this.sessions.get(hash);
    if (!s) {
      s = this.createSession(hash, build);
      this.sessions.set(hash, s);
      s.catch(() => this.sessions.delete(hash));
    }
    return s;
  }

  private async createSession(hash: string, build: GraphBuild): Promise<ort.InferenceSession> {
    const path = await cachedGraph(this.opts.cacheDir, hash, async () => {
      const t0 = Date.now();
      const b = new GraphBuilder(this.opts.dtype);
      build(b, this.spec, await this.canonical());
      const graph = b.serialize(WEIGHTS_FILE);
      this.opts.log(`built graph ${hash} (${b.nodes.length} nodes) in ${Date.now() - t0} ms`);
      return graph;
    });
    const { session, device } = await createSession(path, this.opts.device, this.opts.log);
    this.resolvedDevice = device;
    return session;
  }

  /** Canonical weights, read on demand and kept only briefly: graphs requested together share one read. */
  private canonical(): Promise<CanonicalWeights> {
    if (!this.weights) {
      this.weights = loadCheckpointFolder(this.dir).then(({ weights }) => canonicalWeights(this.family, this.spec, weights, this.dir));
      this.weights.catch(() => (this.weights = undefined));
      setTimeout(() => (this.weights = undefined), 10_000).unref();
    }
    return this.weights;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}
