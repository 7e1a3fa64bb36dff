/**
 * The engine process: JSON-RPC over stdin/stdout (protocol in ./api/protocol.ts), started by the
 * VS Code extension. Holds at most one loaded model and runs one model job at a time, so a trace
 * and a hover prediction never compete for the same session.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CancellationToken,
  createMessageConnection,
  type RequestType,
  type RequestType0,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import {
  benchRunRequest,
  EngineErrorCode,
  type EngineErrorData,
  listModelsRequest,
  listResultsRequest,
  listRunnablesRequest,
  loadModelRequest,
  logNotification,
  type LogLevel,
  patchedTopKRequest,
  predictRequest,
  progressNotification,
  type RunSummary,
  statusRequest,
  traceRequest,
} from './api/protocol';
import { findHubCacheModels } from './checkpoint/folder';
import { IntrospectError } from './errors';
import { LoadedModel } from './model';
import { predictNext, variablePrompt } from './predict';
import { patchedTopK, traceVariable } from './trace';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));

// stdout carries the protocol: anything a library prints must go to the log instead.
function log(level: LogLevel, ...args: unknown[]): void {
  const message = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : JSON.stringify(a))).join(' ');
  connection.sendNotification(logNotification, { level, message }).catch(() => process.stderr.write(message + '\n'));
}
console.log = (...a: unknown[]) => log('info', ...a);
console.info = (...a: unknown[]) => log('info', ...a);
console.debug = (...a: unknown[]) => log('debug', ...a);
console.warn = (...a: unknown[]) => log('warn', ...a);

let model: LoadedModel | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs model work one job at a time, in arrival order. */
function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

function requireModel(): LoadedModel {
  if (!model) throw new ResponseError(EngineErrorCode.NoModel, 'No model is loaded. Choose one with "Introspect: Choose Model".');
  return model;
}

function toSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

function progress(token: string | undefined, done: number, total: number, message?: string): void {
  if (token) void connection.sendNotification(progressNotification, { token, done, total, message });
}

/** Maps any failure to a ResponseError the client can show as it is. */
function toResponseError(err: unknown, signal?: AbortSignal): ResponseError<EngineErrorData> {
  if (err instanceof ResponseError) return err;
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) {
    return new ResponseError(EngineErrorCode.Cancelled, 'Cancelled');
  }
  if (err instanceof IntrospectError) return new ResponseError(EngineErrorCode.User, err.message, { subject: err.subject });
  log('error', err);
  return new ResponseError(EngineErrorCode.Internal, err instanceof Error ? err.message : String(err));
}

async function settle<R>(token: CancellationToken, work: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const signal = toSignal(token);
  try {
    const result = await work(signal);
    if (signal.aborted) throw new ResponseError(EngineErrorCode.Cancelled, 'Cancelled');
    return result;
  } catch (err) {
    throw toResponseError(err, signal);
  }
}

/** Registers a handler whose failures become typed ResponseErrors and whose token becomes an AbortSignal. */
function handle<P, R>(type: RequestType<P, R, EngineErrorData>, handler: (params: P, signal: AbortSignal) => Promise<R>): void {
  connection.onRequest(type, (params: P, token: CancellationToken) => settle(token, (signal) => handler(params, signal)));
}
function handle0<R>(type: RequestType0<R, EngineErrorData>, handler: (signal: AbortSignal) => Promise<R>): void {
  connection.onRequest(type, (token: CancellationToken) => settle(token, handler));
}

function checkNotAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ResponseError(EngineErrorCode.Cancelled, 'Cancelled');
}

handle0(statusRequest, async () => ({ pid: process.pid, node: process.version, model: model?.info }));

handle(loadModelRequest, (params) =>
  exclusive(async () => {
    const loaded = await LoadedModel.load(params.dir, { device: params.device, dtype: params.dtype });
    const previous = model;
    model = loaded;
    await previous?.dispose();
    log('info', `loaded ${loaded.info.name} (${loaded.info.modelType}, ${loaded.info.nLayers} layers) on ${loaded.info.device}`);
    return loaded.info;
  }),
);

handle0(listModelsRequest, async () => findHubCacheModels());

handle(predictRequest, (params, signal) =>
  exclusive(async () => {
    checkNotAborted(signal); // a hover that moved on while queued
    return predictNext(requireModel(), variablePrompt(params.code, params.variable), params.topK);
  }),
);

handle(traceRequest, (params, signal) =>
  exclusive(() => {
    checkNotAborted(signal);
    return traceVariable(requireModel(), params.code, params.variable, {
      intervention: params.intervention,
      batchSize: params.batchSize,
      signal,
      onProgress: (done, total) => progress(params.progressToken, done, total),
    });
  }),
);

handle(patchedTopKRequest, (params, signal) =>
  exclusive(() => {
    checkNotAborted(signal);
    return patchedTopK(requireModel(), params.code, params.variable, {
      intervention: params.intervention,
      index: params.index,
      topK: params.topK,
      signal,
    });
  }),
);

// Suites and studies plug in here as they are written; until then the runner says none exist.
handle0(listRunnablesRequest, async () => []);
handle(benchRunRequest, async (params) => {
  throw new ResponseError(EngineErrorCode.NotAvailable, `"${params.id}" is not available in this build: no benchmark suites or studies are built in yet.`);
});

handle(listResultsRequest, async (params) => listResults(params.resultsDir));

/** Reads `<resultsDir>/<run>/summary.json` of every run folder, newest first. */
async function listResults(resultsDir: string): Promise<RunSummary[]> {
  let entries;
  try {
    entries = await readdir(resultsDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IntrospectError(`cannot read the results folder (${(err as Error).message})`, resultsDir);
  }
  const summaries: RunSummary[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const file = join(resultsDir, e.name, 'summary.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a folder without a summary is not a finished run
    }
    try {
      summaries.push({ ...(JSON.parse(text) as RunSummary), dir: join(resultsDir, e.name) });
    } catch (err) {
      log('warn', `${file}: not valid JSON (${(err as Error).message}); skipped`);
    }
  }
  return summaries.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

connection.onClose(() => process.exit(0));
process.on('uncaughtException', (err) => log('error', 'uncaught:', err));
process.on('unhandledRejection', (err) => log('error', 'unhandled rejection:', err));
connection.listen();
log('info', `engine ${process.pid} ready (node ${process.version})`);
