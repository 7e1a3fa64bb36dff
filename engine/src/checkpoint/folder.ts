/**
 * A Hugging Face checkpoint folder (config.json, tokenizer.json, model.safetensors or a sharded
 * model.safetensors.index.json) and the local hub cache that holds such folders.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IntrospectError } from '../errors';
import { openSafetensors, type Tensor } from './safetensors';

export interface CheckpointFolder {
  /** Parsed config.json. */
  config: any;
  weights: Map<string, Tensor>;
  /** The weight files read, in reading order. */
  files: string[];
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

/** Larger JSON files than this are refused (the largest real tokenizer.json files are ~30 MB). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Parses a JSON file; a missing, malformed, oversized or irregular file (a directory, a device such
 * as /dev/zero behind a link) is an IntrospectError naming it.
 */
export function readJsonFile(path: string): any {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new IntrospectError(st.isDirectory() ? 'is a folder, not a file' : 'is not a regular file', path);
    if (st.size > MAX_JSON_BYTES) throw new IntrospectError(`is ${st.size} bytes; JSON files of more than ${MAX_JSON_BYTES} are not read`, path);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof IntrospectError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new IntrospectError(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? e})`, path);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new IntrospectError(`invalid JSON (${(e as Error).message})`, path);
  }
}

function requireDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new IntrospectError('checkpoint folder not found', dir);
  }
  if (!isDir) throw new IntrospectError('not a folder: expected a Hugging Face checkpoint folder', dir);
}

/** The weight files of a checkpoint folder and which tensors each holds (undefined: all of them). */
function weightFiles(dir: string): { file: string; names?: string[] }[] {
  requireDir(dir);
  const indexPath = join(dir, INDEX);
  if (existsSync(indexPath)) {
    const index = readJsonFile(indexPath);
    const map = index?.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new IntrospectError('weight_map is missing or not an object', indexPath);
    }
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(map)) {
      if (typeof file !== 'string' || file === '') throw new IntrospectError(`weight_map["${name}"] is not a file name`, indexPath);
      // Shards are files of this folder, as transformers expects: no paths out of it.
      if (/[\\/]/.test(file) || file === '.' || file === '..')
        throw new IntrospectError(`weight_map["${name}"] is "${file}": shard names must be plain file names in the checkpoint folder`, indexPath);
      byFile.set(file, [...(byFile.get(file) ?? []), name]);
    }
    if (byFile.size === 0) throw new IntrospectError('weight_map is empty', indexPath);
    return [...byFile].map(([file, names]) => {
      const path = join(dir, file);
      if (!existsSync(path)) throw new IntrospectError(`shard ${file} listed in ${INDEX} is missing`, path);
      return { file: path, names };
    });
  }
  const single = join(dir, SINGLE);
  if (existsSync(single)) return [{ file: single }];
  const present = readdirSync(dir);
  const bin = present.find((f) => f.endsWith('.bin') || f.endsWith('.pt') || f.endsWith('.pth'));
  if (bin) {
    throw new IntrospectError(
      `no ${SINGLE} or ${INDEX}; only PyTorch weights (${bin}). Re-save with safetensors (save_pretrained(..., safe_serialization=True))`,
      dir,
    );
  }
  throw new IntrospectError(`no weights: expected ${SINGLE} or ${INDEX}`, dir);
}

/**
 * Loads config.json and every weight (float32) of a checkpoint folder. Checks that tokenizer.json
 * is there too, so a folder that cannot be run fails here rather than later.
 */
export async function loadCheckpointFolder(dir: string): Promise<CheckpointFolder> {
  requireDir(dir);
  const config = readJsonFile(join(dir, 'config.json'));
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new IntrospectError('not a JSON object', join(dir, 'config.json'));
  }
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new IntrospectError('file not found (the model needs its tokenizer)', tokenizerPath);
  const weights = new Map<string, Tensor>();
  const files: string[] = [];
  for (const { file, names } of weightFiles(dir)) {
    const st = await openSafetensors(file);
    try {
      for (const name of names ?? st.header.tensors.keys()) {
        if (weights.has(name)) throw new IntrospectError(`tensor '${name}' appears in more than one weight file`, file);
        if (!st.header.tensors.has(name)) {
          throw new IntrospectError(`tensor '${name}' is listed in ${INDEX} but not in this shard`, file);
        }
        const t = await st.readFloat(name);
        checkFinite(t.data, name, file);
        weights.set(name, t);
      }
    } finally {
      await st.close();
    }
    files.push(file);
  }
  return { config, weights, files };
}

/** The local hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

export interface HubCacheModel {
  /** Repository id, `org/name`. */
  id: string;
  /** Snapshot folder (files in it are links into the cache's blobs). */
  dir: string;
}

/**
 * Checkpoint folders in the hub cache (`models--org--name/snapshots/<rev>/`): for each model the
 * snapshot `refs/main` points to, else the most recently written one; only snapshots with
 * config.json and safetensors weights. A missing cache is an empty list.
 */
export function findHubCacheModels(root: string = hubCacheDir()): HubCacheModel[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const found: HubCacheModel[] = [];
  for (const entry of entries) {
    if (!entry.startsWith('models--')) continue;
    const repo = join(root, entry);
    const snapshots = join(repo, 'snapshots');
    let revs: string[];
    try {
      revs = readdirSync(snapshots).filter((r) => isCheckpoint(join(snapshots, r)));
    } catch {
      continue;
    }
    if (revs.length === 0) continue;
    const main = readRef(join(repo, 'refs', 'main'));
    const rev = main && revs.includes(main) ? main : newest(snapshots, revs);
    found.push({ id: entry.slice('models--'.length).split('--').join('/'), dir: join(snapshots, rev) });
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

function isCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && (existsSync(join(dir, SINGLE)) || existsSync(join(dir, INDEX)));
}

function readRef(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function newest(parent: string, names: string[]): string {
  const time = (n: string) => statSync(join(parent, n)).mtimeMs;
  return names.reduce((best, n) => (time(n) > time(best) ? n : best));
}

/** NaN or infinite weights make every prediction NaN: refuse them at load, naming the tensor. */
function checkFinite(data: Float32Array, name: string, file: string): void {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  if (bad) throw new IntrospectError(`tensor '${name}' holds ${bad} NaN or infinite value${bad > 1 ? 's' : ''} (of ${data.length})`, file);
}
