/**
 * Activations of one hook point over a data set, cached to disk in safetensors shards so a data set
 * larger than memory works: `activations.json` (what was cached, and how far) beside
 * `shard-00000.safetensors`, … each holding `acts` [n, d] (float32) and, per row, the `sample` it
 * came from and its token `position` (int32). Shards are written as the forward passes go, the
 * manifest after each, so a killed run resumes at the first missing shard. Reading back is one shard
 * at a time.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PositionKind } from '../api/studies';
import { writeJsonAtomic } from '../atomicWrite';
import { openSafetensors, writeSafetensors } from '../checkpoint/safetensors';
import { readJsonFile } from '../checkpoint/folder';
import { IntrospectError } from '../errors';
import type { BlockHookName } from '../hooks';
import type { LoadedModel } from '../model';
import type { StudySample } from '../studies/data/samples';
import { observedSamples } from '../studies/data/tokenize';

export interface ActivationManifest {
  hook: BlockHookName;
  positions: PositionKind;
  /** The model folder the activations came from. */
  model: string;
  /** Width of one activation (d_model, or n_heads · d_head for `attn.hook_z`). */
  dIn: number;
  samples: number;
  /** Samples cached so far; the cache is complete when it equals `samples`. */
  samplesDone: number;
  rows: number;
  shards: { file: string; rows: number }[];
}

export const MANIFEST_FILE = 'activations.json';

export interface CacheOptions {
  hook: BlockHookName;
  positions: PositionKind;
  /** Samples per forward pass. */
  batch?: number;
  /** Samples per shard (a multiple of `batch` is best). */
  shardSamples?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Each sample's token ids and the positions cached from it. */
export function cachedPositions(model: LoadedModel, samples: StudySample[], positions: PositionKind): { ids: number[]; positions: number[] }[] {
  if (positions === 'claim' && samples.some((s) => !s.claim)) throw new IntrospectError('positions "claim" needs samples with a claim (e.g. binding-correctness)', '--positions');
  return observedSamples(model.tokenizer, samples).map((o) => ({
    ids: o.ids,
    positions: positions === 'all' ? o.ids.map((_, p) => p) : positions === 'last' ? [o.ids.length - 1] : o.claim!,
  }));
}

export interface ActivationChunk {
  /** [rows, dIn] */
  acts: Float32Array;
  sample: Int32Array;
  position: Int32Array;
}

/** Writes `chunk` as the cache's next shard and the manifest (`m`, its progress already advanced) that lists it. */
export async function appendShard(dir: string, m: ActivationManifest, chunk: ActivationChunk): Promise<ActivationManifest> {
  const n = chunk.sample.length;
  if (chunk.acts.length !== n * m.dIn || chunk.position.length !== n) throw new IntrospectError(`a shard of ${n} rows needs ${n * m.dIn} values and ${n} positions`, dir);
  const name = `shard-${String(m.shards.length).padStart(5, '0')}.safetensors`;
  mkdirSync(dir, { recursive: true });
  await writeSafetensors(join(dir, name), {
    acts: { dtype: 'float32', shape: [n, m.dIn], data: chunk.acts },
    sample: { dtype: 'int32', shape: [n], data: chunk.sample },
    position: { dtype: 'int32', shape: [n], data: chunk.position },
  });
  const next = { ...m, rows: m.rows + n, shards: [...m.shards, { file: name, rows: n }] };
  writeJsonAtomic(join(dir, MANIFEST_FILE), next);
  return next;
}

export async function cacheActivations(model: LoadedModel, samples: StudySample[], outDir: string, o: CacheOptions): Promise<ActivationManifest> {
  const batch = o.batch ?? 32;
  const shardSamples = o.shardSamples ?? 1024;
  const wanted = { hook: o.hook, positions: o.positions, model: model.dir, samples: samples.length };
  const file = join(outDir, MANIFEST_FILE);
  let m: ActivationManifest | undefined = existsSync(file) ? (readJsonFile(file) as ActivationManifest) : undefined;
  if (m && (m.hook !== wanted.hook || m.positions !== wanted.positions || m.samples !== wanted.samples))
    throw new IntrospectError(`holds activations of ${m.hook} (${m.positions} positions, ${m.samples} samples); asked for ${wanted.hook} (${wanted.positions}, ${wanted.samples}): use another folder`, outDir);
  const plan = cachedPositions(model, samples, o.positions);
  mkdirSync(outDir, { recursive: true });
  m ??= { ...wanted, dIn: 0, samplesDone: 0, rows: 0, shards: [] };
  while (m.samplesDone < samples.length) {
    if (o.signal?.aborted) throw new IntrospectError('cancelled');
    const end = Math.min(samples.length, m.samplesDone + shardSamples);
    const acts: Float32Array[] = [];
    let dIn = m.dIn;
    const sample: number[] = [];
    const position: number[] = [];
    for (let s = m.samplesDone; s < end; s += batch) {
      const part = plan.slice(s, Math.min(end, s + batch));
      const r = await model.forward(
        part.map((p) => p.ids),
        { hooks: [o.hook] },
      );
      const a = r.hooks.get(o.hook)!;
      const [, T, d] = a.shape;
      dIn = d;
      part.forEach((p, k) => {
        for (const pos of p.positions) {
          const at = (k * T + r.padding[k] + pos) * d;
          acts.push(a.data.slice(at, at + d));
          sample.push(s + k);
          position.push(pos);
        }
      });
      o.onProgress?.(Math.min(end, s + batch), samples.length);
    }
    const flat = new Float32Array(acts.length * dIn);
    acts.forEach((x, i) => flat.set(x, i * dIn));
    m = await appendShard(outDir, { ...m, dIn, samplesDone: end }, { acts: flat, sample: Int32Array.from(sample), position: Int32Array.from(position) });
  }
  return m;
}


/** A finished cache read back shard by shard. */
export class ActivationReader {
  private constructor(
    readonly dir: string,
    readonly manifest: ActivationManifest,
  ) {}

  static open(dir: string): ActivationReader {
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(file)) throw new IntrospectError(`no activation cache here (no ${MANIFEST_FILE})`, dir);
    const m = readJsonFile(file) as ActivationManifest;
    if (m.samplesDone !== m.samples) throw new IntrospectError(`the activation cache is unfinished (${m.samplesDone}/${m.samples} samples): run it again to resume`, dir);
    return new ActivationReader(dir, m);
  }

  async shard(k: number): Promise<ActivationChunk> {
    const { file, rows } = this.manifest.shards[k];
    const st = await openSafetensors(join(this.dir, file));
    try {
      const acts = (await st.readFloat('acts')).data;
      const sample = (await st.readInt('sample')).data as Int32Array;
      const position = (await st.readInt('position')).data as Int32Array;
      if (sample.length !== rows || acts.length !== rows * this.manifest.dIn) throw new IntrospectError(`holds ${sample.length} rows, the manifest says ${rows}`, join(this.dir, file));
      return { acts, sample, position };
    } finally {
      await st.close();
    }
  }

  async *chunks(): AsyncGenerator<ActivationChunk> {
    for (let k = 0; k < this.manifest.shards.length; k++) yield await this.shard(k);
  }

  /** Every row in memory (for data sets that fit). */
  async readAll(): Promise<ActivationChunk> {
    const { rows, dIn } = this.manifest;
    const out = { acts: new Float32Array(rows * dIn), sample: new Int32Array(rows), position: new Int32Array(rows) };
    let at = 0;
    for await (const c of this.chunks()) {
      out.acts.set(c.acts, at * dIn);
      out.sample.set(c.sample, at);
      out.position.set(c.position, at);
      at += c.sample.length;
    }
    return out;
  }
}
