/**
 * Training a sparse autoencoder on a cached activation set with the engine's autodiff: Adam on the
 * flat parameters, gradient-norm clipping, a linear L1 warm-up (ReLU), decoder rows kept unit norm
 * (TopK), latents counted dead after a window of tokens without firing, seeded. Batches are drawn
 * shard by shard (shards in a fresh order each epoch, rows shuffled within), so the data set need
 * not fit in memory.
 */
import type { Device } from '../api/types';
import { IntrospectError } from '../errors';
import { NormalRng } from '../sampling/normal';
import { AdamW, clipGradNorm } from '../train/adamw';
import type { ActivationReader } from './activations';
import { Sae, type SaeConfig, SaeTrainer } from './sae';
import type { SaeKind } from '../api/studies';

export interface SaeTrainOptions {
  kind: SaeKind;
  latents: number;
  /** TopK's k. */
  k?: number;
  /** ReLU's sparsity coefficient λ. */
  l1?: number;
  /** Steps over which λ rises linearly from 0 (SAELens' l1_warm_up_steps). */
  l1WarmupSteps?: number;
  lr?: number;
  /** Tokens per step. */
  batch?: number;
  steps: number;
  /** Maximum gradient norm. */
  clip?: number;
  seed?: number;
  /** Tokens without firing after which a latent counts as dead. */
  deadWindow?: number;
  /** Start from these parameters (e.g. the previous checkpoint's SAE) instead of SAELens' initialisation. */
  warmStart?: Sae;
  device?: Device;
  signal?: AbortSignal;
  onProgress?: (step: number, steps: number, last: SaeLogEntry) => void;
}

export interface SaeLogEntry {
  step: number;
  loss: number;
  mse: number;
  aux: number;
  /** Mean active latents per token in the batch. */
  l0: number;
  /** Latents dead (by the window) at this step. */
  dead: number;
}

export const SAE_DEFAULTS = { lr: 1e-3, batch: 256, clip: 1, l1: 1, seed: 0 } as const;

/** SAELens' `expected_average_only_in` factor: √d over the mean activation norm. */
export async function inputScale(reader: ActivationReader): Promise<number> {
  const d = reader.manifest.dIn;
  let sum = 0;
  let n = 0;
  for await (const c of reader.chunks())
    for (let r = 0; r < c.sample.length; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c.acts[r * d + j] ** 2;
      sum += Math.sqrt(s);
      n++;
    }
  if (!n || !(sum > 0)) throw new IntrospectError('the activations are empty or all zero: nothing to train on', reader.dir);
  return Math.sqrt(d) / (sum / n);
}

export async function trainSae(reader: ActivationReader, o: SaeTrainOptions): Promise<{ sae: Sae; log: SaeLogEntry[] }> {
  const d = reader.manifest.dIn;
  const batch = o.batch ?? SAE_DEFAULTS.batch;
  if (reader.manifest.rows < batch) throw new IntrospectError(`the cache has ${reader.manifest.rows} rows, fewer than one batch of ${batch}`, '--batch');
  const scale = await inputScale(reader);
  const config: SaeConfig = {
    kind: o.kind,
    dIn: d,
    latents: o.latents,
    ...(o.kind === 'topk' ? { k: o.k ?? 32 } : {}),
    inputScale: scale,
    hook: reader.manifest.hook,
    positions: reader.manifest.positions,
  };
  if (o.warmStart && (o.warmStart.config.dIn !== d || o.warmStart.config.latents !== o.latents || o.warmStart.config.kind !== o.kind))
    throw new IntrospectError(`cannot warm-start a ${o.kind} SAE of ${o.latents} latents on d ${d} from a ${o.warmStart.config.kind} one of ${o.warmStart.config.latents} on d ${o.warmStart.config.dIn}`, 'warm start');
  const sae = o.warmStart ? new Sae(config, Float32Array.from(o.warmStart.theta)) : Sae.init(config, o.seed ?? SAE_DEFAULTS.seed);
  const trainer = await SaeTrainer.create(config, o.device);
  const adam = new AdamW(sae.theta.length, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, [[0, sae.theta.length, false]]);
  const grad = new Float32Array(sae.theta.length);
  const since = new Float64Array(o.latents);
  const dead = new Uint8Array(o.latents);
  const window = o.deadWindow ?? 200 * batch;
  const warmup = o.l1WarmupSteps ?? Math.floor(o.steps / 20);
  const log: SaeLogEntry[] = [];
  const batches = batchStream(reader, batch, scale, o.seed ?? SAE_DEFAULTS.seed);
  try {
    for (let step = 0; step < o.steps; step++) {
      if (o.signal?.aborted) throw new IntrospectError('cancelled');
      const x = await batches.next();
      const l1 = (o.l1 ?? SAE_DEFAULTS.l1) * (warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1);
      const r = await trainer.step(sae.theta, x, { l1, dead }, grad);
      if (!Number.isFinite(r.loss)) throw new IntrospectError(`the SAE's loss became ${r.loss} at step ${step}: lower the learning rate`, '--lr');
      clipGradNorm(grad, o.clip ?? SAE_DEFAULTS.clip);
      adam.step(sae.theta, grad, o.lr ?? SAE_DEFAULTS.lr);
      if (o.kind === 'topk') sae.normalizeDecoder(1);
      let nDead = 0;
      let active = 0;
      for (let i = 0; i < o.latents; i++) {
        active += r.fired[i];
        since[i] = r.fired[i] > 0 ? 0 : since[i] + batch;
        nDead += dead[i] = since[i] >= window ? 1 : 0;
      }
      const entry = { step: step + 1, loss: r.loss, mse: r.mse, aux: r.aux, l0: active / batch, dead: nDead };
      if ((step + 1) % Math.max(1, Math.floor(o.steps / 100)) === 0 || step + 1 === o.steps) log.push(entry);
      o.onProgress?.(step + 1, o.steps, entry);
    }
  } finally {
    await trainer.release();
  }
  return { sae, log };
}

/** Batches of scaled rows: shards in a random order per epoch, rows shuffled within each; a single shard is read once. */
function batchStream(reader: ActivationReader, batch: number, scale: number, seed: number) {
  const d = reader.manifest.dIn;
  const nShards = reader.manifest.shards.length;
  const rng = new NormalRng(seed, 0, 11);
  const out = new Float32Array(batch * d);
  let order: Int32Array = new Int32Array(0);
  let shardAt = 0;
  let rows: Float32Array = new Float32Array(0);
  let perm: Int32Array = new Int32Array(0);
  let rowAt = 0;
  let cached: Float32Array | undefined;
  const load = async () => {
    if (shardAt >= order.length) {
      order = rng.permutation(nShards);
      shardAt = 0;
    }
    const k = order[shardAt++];
    rows = nShards === 1 ? (cached ??= (await reader.shard(0)).acts) : (await reader.shard(k)).acts;
    perm = rng.permutation(rows.length / d);
    rowAt = 0;
  };
  return {
    async next(): Promise<Float32Array> {
      for (let i = 0; i < batch; i++) {
        while (rowAt >= perm.length) await load();
        const r = perm[rowAt++];
        for (let j = 0; j < d; j++) out[i * d + j] = rows[r * d + j] * scale;
      }
      return out;
    },
  };
}
