/**
 * A known truth for SAEs: activations made of a planted sparse dictionary (unit directions in d,
 * a few active per sample with positive magnitudes), written as an activation cache.
 */
import { appendShard, type ActivationManifest } from '../../engine/src/sae/activations';
import { NormalRng } from '../../engine/src/sampling/normal';

export interface Planted {
  /** [n, d] unit rows */
  directions: Float32Array;
  n: number;
  d: number;
}

export async function plantedCache(dir: string, o: { d: number; n: number; active: number; rows: number; seed: number; shardRows?: number }): Promise<Planted> {
  const rng = new NormalRng(o.seed, 0, 1);
  const directions = new Float32Array(o.n * o.d);
  rng.fill(directions);
  for (let i = 0; i < o.n; i++) {
    const row = directions.subarray(i * o.d, (i + 1) * o.d);
    const norm = Math.hypot(...row);
    for (let j = 0; j < o.d; j++) row[j] /= norm;
  }
  const shardRows = o.shardRows ?? o.rows;
  let m: ActivationManifest = { hook: 'blocks.0.hook_resid_post', positions: 'all', model: 'planted', dIn: o.d, samples: o.rows, samplesDone: 0, rows: 0, shards: [] };
  for (let start = 0; start < o.rows; start += shardRows) {
    const rows = Math.min(shardRows, o.rows - start);
    const acts = new Float32Array(rows * o.d);
    for (let r = 0; r < rows; r++)
      for (let a = 0; a < o.active; a++) {
        const i = rng.below(o.n);
        const mag = 0.5 + rng.uniform();
        for (let j = 0; j < o.d; j++) acts[r * o.d + j] += mag * directions[i * o.d + j];
      }
    m = await appendShard(dir, { ...m, samplesDone: start + rows }, { acts, sample: Int32Array.from({ length: rows }, (_, r) => start + r), position: new Int32Array(rows) });
  }
  return { directions, n: o.n, d: o.d };
}

/** Fraction of planted directions whose best-matching decoder row has cosine ≥ `at`. */
export function recovered(p: Planted, decoder: (i: number) => Float32Array, latents: number, at = 0.9): number {
  const dirs = Array.from({ length: latents }, (_, i) => decoder(i));
  let hit = 0;
  for (let i = 0; i < p.n; i++) {
    const t = p.directions.subarray(i * p.d, (i + 1) * p.d);
    let best = -1;
    for (const u of dirs) {
      let c = 0;
      for (let j = 0; j < p.d; j++) c += u[j] * t[j];
      best = Math.max(best, c);
    }
    if (best >= at) hit++;
  }
  return hit / p.n;
}
