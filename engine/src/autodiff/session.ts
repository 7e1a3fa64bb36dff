/**
 * An onnxruntime session for a graph built in memory (gradient and training graphs are built per
 * run, with the weights as inputs, so they are not worth caching on disk like inference graphs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Device } from '../api/types';
import type { GraphBuilder } from '../onnx/builder';
import { WEIGHTS_FILE, writeGraph } from '../runtime/graphCache';
import { createSession, type Log, type ResolvedDevice } from '../runtime/providers';

export async function sessionFor(
  b: GraphBuilder,
  device: Device = 'cpu',
  log: Log = () => {},
): Promise<{ session: ort.InferenceSession; device: ResolvedDevice }> {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-graph-'));
  try {
    return await createSession(writeGraph(dir, b.serialize(WEIGHTS_FILE)), device, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
