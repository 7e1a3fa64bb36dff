/**
 * Pictures of a susceptibility study over training (seed 002, experiment 4; Wang et al. 2508.00331,
 * Baker et al. 2504.18274): at each finished checkpoint, every probe token's susceptibility
 * vector (one χ per component) is embedded in 2-d by UMAP (umap-js, seeded so it repeats) and by
 * PCA; each frame is aligned to the one before by Procrustes (rotation, reflection, scale and
 * shift), so the picture moves rather than jumps. PCA also gives each checkpoint's share of
 * variance in the first components and the first one's loadings over the components — Baker et
 * al.'s "uniform mode" is a first component whose loadings all have one sign.
 * Written as `umap.json`, `umap-grid.png`, `umap.gif`, `pca-grid.png`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { UMAP } from 'umap-js';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { readJsonFile } from '../checkpoint/folder';
import { openSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { scatterGif, scatterGridPng } from '../plot/scatterGrid';
import { writePng } from '../plot/writePng';
import { NormalRng } from '../sampling/normal';
import { stepFolder } from './layout';
import type { StudySummary } from './kinds';
import { CHI_FILE, type ProbeToken, TOKENS_FILE } from './susceptibility';
import { TOKEN_CLASSES } from './tokenClasses';

export const UMAP_FILE = 'umap.json';

export interface UmapSettings {
  nNeighbors: number;
  minDist: number;
  seed: number;
}

export const UMAP_DEFAULTS: UmapSettings = { nNeighbors: 15, minDist: 0.1, seed: 0 };

export interface UmapFrames {
  settings: UmapSettings;
  steps: number[];
  components: string[];
  tokens: ProbeToken[];
  /** Per step, [tokens × 2] row-major, aligned to the step before. */
  umap: number[][];
  pca: number[][];
  /** Per step: the share of variance of the first three principal components. */
  pcaVariance: number[][];
  /** Per step: the first principal component's loadings over the components (its sign aligned along the series). */
  pc1: number[][];
}

/** The frames of a study folder's finished checkpoints, written with their pictures; frames `umap.json` has already are not computed again. */
export async function studyUmap(dir: string, summary: StudySummary, o: Partial<UmapSettings> & { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<UmapFrames> {
  if (summary.study !== 'susceptibility') throw new IntrospectError(`is a ${summary.study} study; UMAP pictures are of susceptibility studies`, dir);
  const settings: UmapSettings = { nNeighbors: o.nNeighbors ?? UMAP_DEFAULTS.nNeighbors, minDist: o.minDist ?? UMAP_DEFAULTS.minDist, seed: o.seed ?? UMAP_DEFAULTS.seed };
  const steps = summary.rows.map((r) => r.step);
  if (!steps.length) throw new IntrospectError('has no finished checkpoint yet', dir);
  const file = join(dir, UMAP_FILE);
  // Frames already computed with these settings for a leading run of these steps are kept (a study that goes on adds frames).
  const have = existsSync(file) ? (readJsonFile(file) as UmapFrames) : undefined;
  const kept = have && JSON.stringify(have.settings) === JSON.stringify(settings) && have.steps.every((x, k) => steps[k] === x) ? have.steps.length : 0;
  if (have && kept === steps.length) return have;
  const tokens = readJsonFile(join(dir, TOKENS_FILE)) as ProbeToken[];
  const frames: UmapFrames = { settings, steps, components: kept ? have!.components : [], tokens, umap: [], pca: [], pcaVariance: [], pc1: [] };
  for (const key of ['umap', 'pca', 'pcaVariance', 'pc1'] as const) frames[key] = kept ? have![key].slice(0, kept) : [];
  for (const [k, step] of steps.entries()) {
    if (k < kept) continue;
    o.signal?.throwIfAborted();
    const { chi, components } = await readTokenChi(dir, step, tokens.length);
    frames.components = components;
    const X = Array.from({ length: tokens.length }, (_, t) => Array.from(chi.subarray(t * components.length, (t + 1) * components.length)));
    if (X.length <= settings.nNeighbors) throw new IntrospectError(`has ${X.length} probe tokens; UMAP needs more than nNeighbors (${settings.nNeighbors})`, dir);
    const rng = new NormalRng(settings.seed, 0, 23);
    const embedded = new UMAP({ nComponents: 2, nNeighbors: settings.nNeighbors, minDist: settings.minDist, random: () => rng.uniform() }).fit(X).flat();
    const pca = principalComponents(X, frames.pc1[k - 1]);
    frames.umap.push(k ? procrustes(embedded, frames.umap[k - 1]) : embedded);
    frames.pca.push(k ? procrustes(pca.projection, frames.pca[k - 1]) : pca.projection);
    frames.pcaVariance.push(pca.variance);
    frames.pc1.push(pca.pc1);
    o.onProgress?.(k + 1, steps.length);
  }
  writeJsonAtomic(file, frames);
  const classes = tokens.map((t) => t.class);
  const pictures = (xy: number[][], what: string) => ({ frames: xy.map((f, k) => ({ title: `step ${steps[k]}`, xy: f })), classes, order: TOKEN_CLASSES, title: `${what} of the tokens' susceptibility vectors (${frames.components.length} components)` });
  writePng(join(dir, 'umap-grid.png'), scatterGridPng(pictures(frames.umap, 'UMAP')));
  writePng(join(dir, 'pca-grid.png'), scatterGridPng(pictures(frames.pca, 'PCA (PC1, PC2)')));
  writeFileAtomic(join(dir, 'umap.gif'), Buffer.from(scatterGif(pictures(frames.umap, 'UMAP'))));
  return frames;
}

async function readTokenChi(dir: string, step: number, tokens: number): Promise<{ chi: Float32Array; components: string[] }> {
  const file = join(stepFolder(dir, step), CHI_FILE);
  const st = await openSafetensors(file);
  try {
    const components = JSON.parse(st.header.metadata.components ?? '[]') as string[];
    const chi = (await st.readFloat('chi.token')).data;
    if (chi.length !== tokens * components.length) throw new IntrospectError(`chi.token has ${chi.length} values, not ${tokens} tokens × ${components.length} components`, file);
    return { chi, components };
  } finally {
    await st.close();
  }
}

/** PCA of the rows of X: the first two components' projection, the variance shares of the first three, and PC1's loadings, signed to agree with `previous`. */
export function principalComponents(X: number[][], previous?: number[]): { projection: number[]; variance: number[]; pc1: number[] } {
  const m = new Matrix(X);
  const centered = m.clone().subRowVector(m.mean('column'));
  const cov = centered.transpose().mmul(centered).div(Math.max(1, X.length - 1));
  const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
  const total = evd.realEigenvalues.reduce((a, v) => a + Math.max(0, v), 0) || 1;
  const vectors = order.slice(0, 2).map(([, i]) => evd.eigenvectorMatrix.getColumn(i));
  // An eigenvector's sign is arbitrary: PC1 keeps the sign nearest the previous checkpoint's, else a positive sum.
  const ref = previous ?? vectors[0].map(() => 1);
  if (vectors[0].reduce((a, v, i) => a + v * ref[i], 0) < 0) vectors[0] = vectors[0].map((v) => -v);
  while (vectors.length < 2) vectors.push(vectors[0].map(() => 0));
  const projection = centered.mmul(new Matrix(vectors).transpose()).to1DArray();
  return { projection, variance: order.slice(0, 3).map(([v]) => Math.max(0, v) / total), pc1: vectors[0] };
}

/** `xy` ([n × 2]) moved onto `target` by the shift, scale and rotation or reflection that fit it best (least squares). */
export function procrustes(xy: number[], target: number[]): number[] {
  const n = xy.length / 2;
  const center = (p: number[]) => {
    let [cx, cy] = [0, 0];
    for (let i = 0; i < n; i++) [cx, cy] = [cx + p[2 * i] / n, cy + p[2 * i + 1] / n];
    return [cx, cy];
  };
  const [ax, ay] = center(xy);
  const [bx, by] = center(target);
  let best: { err: number; out: number[] } | undefined;
  for (const flip of [1, -1]) {
    // For centred points, the best rotation angle is atan2(Σ a×b, Σ a·b); the scale Σ (Ra)·b / Σ |a|².
    let [dot, cross, norm] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const [x, y] = [flip * (xy[2 * i] - ax), xy[2 * i + 1] - ay];
      const [u, v] = [target[2 * i] - bx, target[2 * i + 1] - by];
      dot += x * u + y * v;
      cross += x * v - y * u;
      norm += x * x + y * y;
    }
    const angle = Math.atan2(cross, dot);
    const scale = norm > 0 ? Math.hypot(dot, cross) / norm : 1;
    const [c, s] = [scale * Math.cos(angle), scale * Math.sin(angle)];
    const out = new Array<number>(2 * n);
    let err = 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = [flip * (xy[2 * i] - ax), xy[2 * i + 1] - ay];
      out[2 * i] = c * x - s * y + bx;
      out[2 * i + 1] = s * x + c * y + by;
      err += (out[2 * i] - target[2 * i]) ** 2 + (out[2 * i + 1] - target[2 * i + 1]) ** 2;
    }
    if (!best || err < best.err) best = { err, out };
  }
  return best!.out;
}
