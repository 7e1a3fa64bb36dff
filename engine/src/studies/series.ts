/**
 * A checkpoint series: model folders ordered by training step, read from any of
 * - a folder of `step-<N>/` or `step<N>/` model folders (what the project's trainer writes);
 * - a Hugging Face hub cache repository with revisions (`models--EleutherAI--pythia-160m`, whose
 *   `refs/step1000` names a `snapshots/<sha>/`), as `from_pretrained(..., revision="step1000")`
 *   leaves it; also given as `org/name`, looked up in the local hub cache;
 * - a JSON file `[{ "step": N, "path": "…" }]` (paths relative to the file).
 * Every checkpoint is checked to be a model folder, and a problem names its step and file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { SeriesInfo } from '../api/protocol';
import { specFromConfig } from '../arch/families';
import { hubCacheDir, readJsonFile } from '../checkpoint/folder';
import { allHookNames } from '../hooks';
import { IntrospectError } from '../errors';

export interface Checkpoint {
  step: number;
  dir: string;
}

const STEP_DIR = /^step-?(\d+)$/;

export function readSeries(source: string, steps?: number[]): Checkpoint[] {
  const all = listSeries(source);
  if (all.length === 0) throw new IntrospectError('holds no checkpoints (expected step-<N>/ folders, hub revisions refs/step<N>, or a JSON list)', source);
  const seen = new Set<number>();
  for (const c of all) {
    if (seen.has(c.step)) throw new IntrospectError(`step ${c.step} appears twice`, source);
    seen.add(c.step);
  }
  const picked = steps ? steps.map((s) => all.find((c) => c.step === s) ?? missingStep(s, all, source)) : all;
  for (const c of picked) checkModelFolder(c);
  return picked.sort((a, b) => a.step - b.step);
}

function missingStep(step: number, all: Checkpoint[], source: string): never {
  throw new IntrospectError(`has no checkpoint at step ${step} (steps: ${all.map((c) => c.step).join(', ')})`, source);
}

function listSeries(source: string): Checkpoint[] {
  const path = existsSync(source) ? source : hubRepoDir(source);
  if (!path) throw new IntrospectError('no such folder or file (nor a model of that name in the hub cache)', source);
  if (statSync(path).isFile()) return fromJson(path);
  if (existsSync(join(path, 'refs')) && existsSync(join(path, 'snapshots'))) return fromHubRepo(path);
  return readdirSync(path)
    .flatMap((name) => {
      const m = STEP_DIR.exec(name);
      return m && statSync(join(path, name)).isDirectory() ? [{ step: Number(m[1]), dir: join(path, name) }] : [];
    })
    .sort((a, b) => a.step - b.step);
}

/** `org/name` → the hub cache's `models--org--name`, if it is there. */
function hubRepoDir(id: string): string | undefined {
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) return undefined;
  const dir = join(hubCacheDir(), `models--${id.replace('/', '--')}`);
  return existsSync(dir) ? dir : undefined;
}

function fromHubRepo(repo: string): Checkpoint[] {
  const refs = join(repo, 'refs');
  return readdirSync(refs)
    .flatMap((name) => {
      const m = STEP_DIR.exec(name);
      if (!m) return [];
      const sha = readFileSync(join(refs, name), 'utf8').trim();
      return [{ step: Number(m[1]), dir: join(repo, 'snapshots', sha) }];
    })
    .sort((a, b) => a.step - b.step);
}

function fromJson(file: string): Checkpoint[] {
  const list = readJsonFile(file);
  if (!Array.isArray(list)) throw new IntrospectError('must be a JSON list of {"step": N, "path": "..."}', file);
  return list.map((e, i) => {
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.step) || e.step < 0 || typeof e.path !== 'string' || !e.path)
      throw new IntrospectError(`entry ${i} must be {"step": <integer ≥ 0>, "path": "<folder>"}, got ${JSON.stringify(e)}`, file);
    return { step: e.step as number, dir: isAbsolute(e.path) ? e.path : resolve(dirname(file), e.path) };
  });
}

/** The files a model folder needs, present and readable: config.json, tokenizer.json, weights. */
function checkModelFolder(c: Checkpoint): void {
  const at = (what: string, file: string) => new IntrospectError(`checkpoint of step ${c.step}: ${what}`, file);
  if (!existsSync(c.dir) || !statSync(c.dir).isDirectory()) throw at('folder not found', c.dir);
  try {
    readJsonFile(join(c.dir, 'config.json'));
  } catch (e) {
    throw new IntrospectError(`checkpoint of step ${c.step}: ${(e as Error).message}`);
  }
  const tokenizer = join(c.dir, 'tokenizer.json');
  if (!existsSync(tokenizer)) throw at('tokenizer.json not found', tokenizer);
  const weights = ['model.safetensors', 'model.safetensors.index.json'].map((f) => join(c.dir, f));
  if (!weights.some((w) => existsSync(w))) throw at('no model.safetensors or model.safetensors.index.json', c.dir);
}

/** A series' label for plots and results: its folder's (or repository's) name. */
export function seriesName(source: string): string {
  const b = basename(resolve(source));
  return b.startsWith('models--') ? b.slice('models--'.length).replace('--', '/') : b === 'series' ? basename(dirname(resolve(source))) : b;
}

/** A series' name, steps and the block hook points of its last checkpoint (for pickers). */
export function seriesInfo(source: string): SeriesInfo {
  const series = readSeries(source);
  const last = series[series.length - 1];
  const file = join(last.dir, 'config.json');
  const { spec } = specFromConfig(readJsonFile(file), file);
  return { name: seriesName(source), steps: series.map((c) => c.step), hooks: allHookNames(spec.nLayers).filter((h) => h !== 'logits') };
}
