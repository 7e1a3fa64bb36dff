/**
 * A seeded JSON-RPC fuzzer for the engine process: well-formed requests with params bent out of
 * shape (wrong types, missing and extra fields, huge numbers and strings, `__proto__`), broken
 * envelopes, broken JSON, broken framing and oversized messages. Shared by the test suite (a
 * bounded run) and bench/fuzz.ts (a long one). Methods that would start long work (benchmarks,
 * studies) are only sent with params their schemas refuse.
 */
import { Rng } from '../../engine/src/tasks/rng';
import type { Reply, WireEngine } from './wire';

export type Outcome = 'result' | `error ${number}` | 'no reply (notification)' | 'timeout';

const CODE = 'a = 5\nb = a\nc = 3\nd = b';
const VALID: Record<string, () => Record<string, unknown> | undefined> = {
  'engine/status': () => undefined,
  'bench/list': () => undefined,
  'model/list': () => undefined,
  predict: () => ({ code: CODE, variable: 'd', topK: 3 }),
  trace: () => ({ code: CODE, variable: 'd', intervention: 'resid', batchSize: 16 }),
  'trace/cell': () => ({ code: CODE, variable: 'd', intervention: 'resid', index: [0, 1], topK: 3 }),
  'results/list': () => ({ resultsDir: '/nonexistent/results' }),
  'study/list': () => ({ resultsDir: '/nonexistent/results' }),
  'study/result': () => ({ dir: '/nonexistent/study' }),
  'study/matrix': () => ({ dir: '/nonexistent/study', step: 0, observable: 'claim' }),
  'study/latents': () => ({ dir: '/nonexistent/study', step: 0 }),
  'study/umap': () => ({ dir: '/nonexistent/study' }),
  'series/info': () => ({ series: '/nonexistent/series' }),
  'model/load': () => ({ dir: '/nonexistent/model', device: 'cpu', dtype: 'float32' }),
  'slurm/status': () => ({ dir: '/nonexistent/run' }),
};
/** Long-running methods, with the field that keeps them from starting. */
const REFUSED: Record<string, Record<string, unknown>> = {
  'bench/run': { kind: 'suite', id: 'variable-binding', models: [], lengths: [2], n: 1, resultsDir: '/tmp/x', device: 'cpu', dtype: 'float32', batchSize: 8 },
  'bench/resume': { dir: '', device: 'cpu', dtype: 'float32' },
  'study/create': { id: 'influence', settings: { series: '' }, resultsDir: '/tmp/x' },
  'study/run': { dir: '', device: 'cpu' },
  'bench/submit': { kind: 'suite', id: 'variable-binding', models: [], lengths: [2], n: 1, resultsDir: '/tmp/x', device: 'cpu', dtype: 'float32', batchSize: 8, slurm: { dryRun: true } },
  'study/submit': { dir: '', device: 'cpu', slurm: { dryRun: true } },
  'slurm/resubmit': { dir: '', slurm: { dryRun: true } },
};

const WEIRD: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 1.5, NaN, '', 'x', '__proto__', [], [1, 2], {}, { __proto__: { a: 1 } }, 'constructor', '../../etc/passwd'];

function bend(rng: Rng, params: Record<string, unknown>): unknown {
  const p: Record<string, unknown> = { ...params };
  const keys = Object.keys(p);
  switch (rng.int(0, 6)) {
    case 0:
      if (keys.length) delete p[rng.choice(keys)];
      return p;
    case 1:
      if (keys.length) p[rng.choice(keys)] = rng.choice(WEIRD);
      return p;
    case 2:
      p[rng.choice(['extra', '__proto__', 'constructor'])] = rng.choice(WEIRD);
      return p;
    case 3:
      if (keys.length) p[rng.choice(keys)] = 'y'.repeat(rng.int(1000, 2_000_000));
      return p;
    case 4:
      return rng.choice([null, 5, 'params', [p], [1, 2, 3]]);
    case 5:
      return p; // unchanged: must work (or fail for the method's own reasons)
    default:
      if (keys.length) p[rng.choice(keys)] = rng.choice([[rng.choice(WEIRD)], { nested: rng.choice(WEIRD) }]);
      return p;
  }
}

/** One message to send: a body (object or raw string/bytes), the id a reply must carry (undefined: none expected). */
export interface FuzzMessage {
  body: object | string | Buffer;
  /** Reply id to wait for: an id, null (the envelope error), or undefined for a notification. */
  expect?: string | number | null;
}

export function fuzzMessage(rng: Rng, k: number): FuzzMessage {
  const id = `f${k}`;
  const kind = rng.int(0, 19);
  if (kind <= 11) {
    const method = rng.choice(Object.keys(VALID));
    const base = VALID[method]();
    const params = base === undefined ? (rng.chance(0.5) ? undefined : rng.choice(WEIRD)) : rng.chance(0.2) ? base : bend(rng, base);
    return { body: { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }, expect: id };
  }
  if (kind <= 13) {
    const method = rng.choice(Object.keys(REFUSED));
    const params = bend(rng, REFUSED[method]);
    // Bent params may have lost the field that refuses them: put it back, so nothing long starts.
    const refused = typeof params === 'object' && params !== null && !Array.isArray(params) ? { ...(params as object), ...stopper(REFUSED[method]) } : params;
    return { body: { jsonrpc: '2.0', id, method, params: refused }, expect: id };
  }
  if (kind === 14) return { body: { jsonrpc: '2.0', id, method: rng.choice(['nope', '', 'rpc.discover', '$/x', 'predict/extra']) }, expect: id };
  if (kind === 15) {
    const badId = rng.choice([{ a: 1 }, [1], true, null]);
    return { body: { jsonrpc: '2.0', id: badId, method: 'engine/status' }, expect: null };
  }
  if (kind === 16) {
    // Not requests at all (a batch, a number, a string), or one with the wrong version: answered with its id.
    if (rng.chance(0.25)) return { body: { jsonrpc: '1.0', id, method: 'engine/status' }, expect: id };
    return { body: rng.choice<object | string>([[{ jsonrpc: '2.0', id, method: 'engine/status' }], '42', '"str"']), expect: null };
  }
  if (kind === 17) return { body: '{"jsonrpc":"2.0","id":' + rng.choice(['', '1,', '"x"']) + '"method":', expect: null };
  if (kind === 18) return { body: { jsonrpc: '2.0', method: rng.choice(['progress', 'log', '$/cancelRequest', 'nope']), params: rng.choice(WEIRD) }, expect: undefined };
  // Oversized: a 9 MB body, refused as it streams in.
  return { body: Buffer.alloc(9 * 1024 * 1024, 'x'), expect: null };
}

/** The field that keeps a long-running method from starting. */
function stopper(refused: Record<string, unknown>): Record<string, unknown> {
  if ('models' in refused) return { models: [] };
  if ('settings' in refused) return { settings: { series: '' } };
  return { dir: '' };
}

/** Answers that leak internals instead of naming what was wrong (internal errors count too). */
export const LEAKS = /is not a function|Cannot read propert|undefined \(reading|Invalid array length|EEXIST|EISDIR|internal error/i;

export interface FuzzReport {
  counts: Record<string, number>;
  /** Requests not answered in time. */
  unanswered: number;
  leaks: string[];
  /** Slowest answer, ms. */
  slowest: number;
}

/** Sends `n` fuzz messages one after another, waiting for each answer (up to `timeoutMs`). */
export async function fuzz(engine: WireEngine, n: number, seed: number, timeoutMs = 5000): Promise<FuzzReport> {
  const rng = new Rng(seed);
  const counts: Record<string, number> = {};
  const leaks: string[] = [];
  let unanswered = 0;
  let slowest = 0;
  for (let k = 0; k < n; k++) {
    const m = fuzzMessage(rng, k);
    const t0 = Date.now();
    engine.send(m.body);
    if (m.expect === undefined) {
      counts['no reply (notification)'] = (counts['no reply (notification)'] ?? 0) + 1;
      continue;
    }
    let r: Reply;
    try {
      r = await engine.reply(m.expect, timeoutMs);
    } catch {
      unanswered++;
      leaks.push(`no answer to ${JSON.stringify(m.body).slice(0, 160)}`);
      counts.timeout = (counts.timeout ?? 0) + 1;
      continue;
    }
    slowest = Math.max(slowest, Date.now() - t0);
    const key: Outcome = r.error ? `error ${r.error.code}` : 'result';
    counts[key] = (counts[key] ?? 0) + 1;
    // An internal error (code 4) is a bug behind the door: the request got past the schema and broke something.
    if (r.error && (r.error.code === 4 || LEAKS.test(r.error.message) || !r.error.message.trim())) leaks.push(`${JSON.stringify(m.body).slice(0, 120)} → ${r.error.message.slice(0, 200)}`);
  }
  return { counts, unanswered, leaks, slowest };
}
