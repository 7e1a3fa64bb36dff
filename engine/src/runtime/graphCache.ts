/**
 * Compiled graphs on disk, keyed by a content hash of everything they are built from, so a
 * model's graph is built once and later loads skip reading and converting its weights.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Bump when the graph builder's output changes, so stale cached graphs are not reused. */
export const GRAPH_FORMAT = 2;

export const MODEL_FILE = 'model.onnx';
export const WEIGHTS_FILE = 'weights.bin';

export function defaultCacheDir(): string {
  return process.env.INTROSPECT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'introspect', 'graphs');
}

export function graphKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify({ format: GRAPH_FORMAT, parts })).digest('hex').slice(0, 32);
}

/** Path of the cached model.onnx for `key`, building and writing it (atomically) if absent. */
export async function cachedGraph(
  cacheDir: string,
  key: string,
  build: () => Promise<{ model: Uint8Array; weights: Buffer[] }>,
): Promise<string> {
  const dir = join(cacheDir, key);
  const path = join(dir, MODEL_FILE);
  if (existsSync(path)) return path;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  writeGraph(tmp, await build());
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another process finished the same graph first; theirs is identical.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(path)) throw e;
  }
  return path;
}

/** Writes a serialized graph (model.onnx + its external weights) into `dir`. */
export function writeGraph(dir: string, graph: { model: Uint8Array; weights: Buffer[] }): string {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, WEIGHTS_FILE), 'w');
  try {
    for (const chunk of graph.weights) writeAll(fd, chunk);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dir, MODEL_FILE), graph.model);
  return join(dir, MODEL_FILE);
}

/** Writes a whole buffer, in pieces below the 2 GiB limit of one write. */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, Math.min(buf.length - off, 1 << 30));
}
