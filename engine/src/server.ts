/**
 * The engine process: JSON-RPC over stdin/stdout (protocol in ./api/protocol.ts), started by the
 * VS Code extension. Holds at most one loaded model and runs one model job at a time, so a trace
 * and a hover prediction never compete for the same session.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type CancellationToken, createMessageConnection, ResponseError, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  benchResumeRequest,
  benchRunRequest,
  benchSubmitRequest,
  checkParams,
  EngineErrorCode,
  type EngineErrorData,
  JsonRpcErrorCode,
  LIMITS,
  listModelsRequest,
  listResultsRequest,
  listRunnablesRequest,
  listStudiesRequest,
  loadModelRequest,
  logNotification,
  type LogLevel,
  patchedTopKRequest,
  predictRequest,
  progressNotification,
  type Request,
  type Request0,
  type RunSummary,
  type ShardProgress,
  slurmResubmitRequest,
  slurmStatusRequest,
  statusRequest,
  studyMatrixRequest,
  studyLatentsRequest,
  studyUmapRequest,
  seriesInfoRequest,
  studyResultRequest,
  studyCreateRequest,
  studyRunRequest,
  studySubmitRequest,
  traceRequest,
} from './api/protocol';
import { findHubCacheModels } from './checkpoint/folder';
import { IntrospectError } from './errors';
import { embeddedModelDir, embeddedSeriesDir } from './embedded';
import { LoadedModel } from './model';
import { predictVariable } from './predict';
import type { Summary } from './tasks/analysis';
import { overrideSuite } from './tasks/config';
import { benchmarkModelLoader, REFERENCE_MODELS } from './tasks/modelLoader';
import { CONFIG_FILE, listRunDirs, readRunConfig, SUMMARY_FILE } from './tasks/results';
import { resumeRun, runSuite } from './tasks/runner';
import { ModelPool } from './tasks/textModel';
import { patchedTopK, traceVariable } from './trace';
import { getSuite, listSuites } from '../../experiments/index';
import { GENERATED_DATA } from './studies/data/index';
import { createStudy, listStudies, readLatentBrowser, readStudyMatrix, readStudySummary, readStudyUmap, resumeStudy } from './studies/folders';
import { seriesInfo } from './studies/series';
import { defaultWorkers } from './studies/workers';
import { STUDIES } from '../../experiments/studies';
import { BoundedMessageReader } from './rpc/boundedReader';
import { resubmit, runStatus, shardProgress, submitStudy, submitSuite } from './slurm/runs';
import { slurmAvailable } from './slurm/submit';

const writer = new StreamMessageWriter(process.stdout);
const connection = createMessageConnection(new BoundedMessageReader(process.stdin, writer, LIMITS.messageBytes), writer);

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

type Handler = (params: unknown, signal: AbortSignal) => Promise<unknown>;
/** Every method the engine answers, by name: its params are checked against the method's schema first. */
const handlers = new Map<string, Handler>();

/** Registers a handler whose failures become typed ResponseErrors and whose token becomes an AbortSignal. */
function handle<P, R>(type: Request<P, R>, handler: (params: P, signal: AbortSignal) => Promise<R>): void {
  handlers.set(type.method, (raw, signal) => {
    const checked = checkParams(type.params, raw);
    if (!checked.ok) throw new ResponseError(JsonRpcErrorCode.InvalidParams, checked.message);
    return handler(checked.value, signal);
  });
}
function handle0<R>(type: Request0<R>, handler: (signal: AbortSignal) => Promise<R>): void {
  handlers.set(type.method, (raw, signal) => {
    const empty = raw === undefined || (Array.isArray(raw) ? raw.length === 0 : Object.keys(raw as object).length === 0);
    if (!empty) throw new ResponseError(JsonRpcErrorCode.InvalidParams, `Invalid params: ${type.method} takes no params`);
    return handler(signal);
  });
}

// One door for every request, so unknown methods and bad params are answered before any handler runs.
connection.onRequest((method: string, params: unknown, token: CancellationToken) => {
  const handler = handlers.get(method);
  if (!handler) throw new ResponseError(JsonRpcErrorCode.MethodNotFound, `Unhandled method ${method}`);
  return settle(token, (signal) => handler(params, signal));
});

function checkNotAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ResponseError(EngineErrorCode.Cancelled, 'Cancelled');
}

handle0(statusRequest, async () => ({ pid: process.pid, node: process.version, model: model?.info }));

handle(loadModelRequest, (params) =>
  exclusive(async () => {
    const loaded = await LoadedModel.load(params.dir || embeddedModelDir(), { device: params.device, dtype: params.dtype });
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
    return predictVariable(requireModel(), params.code, params.variable, params.topK, params.fit ?? 'refuse');
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

handle0(listRunnablesRequest, async () => ({
  runnables: [
    ...listSuites().map((suite) => ({
      kind: 'suite' as const,
      id: suite.name,
      description: suite.description,
      experiments: suite.experiments.map((e) => e.name),
      defaultLengths: suite.experiments[0]?.lengths ?? [],
    })),
    ...STUDIES.map((study) => ({
      kind: 'study' as const,
      id: study.id,
      description: study.description,
      experiments: [study.id],
      defaultLengths: [],
      studyDefaults: { ...study.defaults, series: embeddedSeriesOrNone() },
      studyData: [...GENERATED_DATA],
    })),
  ],
  referenceModels: [...REFERENCE_MODELS],
  slurm: slurmAvailable(),
}));

function embeddedSeriesOrNone(): string | undefined {
  try {
    return embeddedSeriesDir();
  } catch {
    return undefined;
  }
}

// Benchmarks load their own models (a pool per run), so hovers keep working while one runs.
handle(benchRunRequest, async (params, signal) => {
  if (params.kind === 'study') throw new IntrospectError(`"${params.id}" is a study: run it with study/create and study/run`, 'kind');
  const suite = overrideSuite(getSuite(params.id), { lengths: params.lengths, samplesPerLength: params.n, batchSize: params.batchSize });
  const pool = new ModelPool(benchmarkModelLoader({ device: params.device, dtype: params.dtype }));
  // One bar for the suite, counted in programs: each experiment scores models × lengths × n of them.
  const sizes = suite.experiments.map((e) => params.models.length * e.lengths.length * e.samplesPerLength);
  const total = sizes.reduce((a, b) => a + b, 0);
  let current = -1; // the experiment now running; each one starts with a "starting"/"resuming" report
  try {
    const result = await runSuite(suite, params.models, {
      pool,
      outDir: params.resultsDir,
      signal,
      onProgress: (done, _total, message) => {
        if (message === 'starting' || message.startsWith('resuming')) current++;
        const before = sizes.slice(0, current).reduce((a, b) => a + b, 0);
        const name = suite.experiments[current]?.name ?? suite.name;
        progress(params.progressToken, before + done, total, `${name} (${current + 1}/${sizes.length}): ${message}`);
      },
    });
    return result.runs.map((r) => runSummary(r.runDir));
  } finally {
    await pool.unloadAll();
  }
});

handle(benchSubmitRequest, async (params) => {
  if (params.kind === 'study') throw new IntrospectError(`"${params.id}" is a study: send it with study/create and study/submit`, 'kind');
  const suite = overrideSuite(getSuite(params.id), { lengths: params.lengths, samplesPerLength: params.n, batchSize: params.batchSize });
  return submitSuite(suite, params.models, params.resultsDir, params, params.slurm);
});
handle(studySubmitRequest, async (params) => submitStudy(params.dir, params.device, params.slurm));
handle(slurmStatusRequest, async (params) => runStatus(params.dir));
handle(slurmResubmitRequest, async (params) => resubmit(params.dir, params.slurm));

handle(benchResumeRequest, async (params, signal) => {
  const pool = new ModelPool(benchmarkModelLoader({ device: params.device, dtype: params.dtype }));
  try {
    const r = await resumeRun(params.dir, { pool, signal, onProgress: (done, total, message) => progress(params.progressToken, done, total, message) });
    return r.runs.map((run) => runSummary(run.runDir));
  } finally {
    await pool.unloadAll();
  }
});

handle(studyCreateRequest, async (params) => ({ dir: createStudy(params.resultsDir, params) }));
// Studies load their own checkpoints, so hovers keep working while one runs.
handle(studyRunRequest, async (params, signal) =>
  resumeStudy(params.dir, { signal, device: params.device, workers: defaultWorkers(), onProgress: (done, total, message) => progress(params.progressToken, done, total, message) }),
);
handle(listStudiesRequest, async (params) => listStudies(params.resultsDir).map((s) => ({ ...s, ...withShards(s.dir) })));
handle(studyResultRequest, async (params) => readStudySummary(params.dir));
handle(studyMatrixRequest, (params) => readStudyMatrix(params.dir, params.step, params.observable));
handle(studyLatentsRequest, (params) => readLatentBrowser(params.dir, params.step));
handle(studyUmapRequest, (params, signal) => readStudyUmap(params.dir, signal));
handle(seriesInfoRequest, async (params) => seriesInfo(params.series));

handle(listResultsRequest, async (params) =>
  listRunDirs(params.resultsDir)
    .map(runSummary)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt)),
);

/** A run folder as the runner shows it: its config, and its accuracy table once summary.json exists. */
function runSummary(dir: string): RunSummary {
  const config = readRunConfig(dir);
  const summaryFile = join(dir, SUMMARY_FILE);
  const summary = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary) : undefined;
  return {
    dir,
    experiment: config.name,
    startedAt: statSync(join(dir, CONFIG_FILE)).mtime.toISOString(),
    finished: summary !== undefined,
    models: config.models,
    lengths: config.lengths,
    n: config.samplesPerLength,
    accuracy: (summary?.byModelLength ?? []).map((p) => ({ model: p.model, length: p.length, correct: p.correct, n: p.n })),
    ...withShards(dir),
  };
}

/** `{ slurm }` for a folder sent to Slurm, else nothing. */
function withShards(dir: string): { slurm?: ShardProgress } {
  const slurm = shardProgress(dir);
  return slurm ? { slurm } : {};
}

connection.onClose(() => process.exit(0));
process.on('uncaughtException', (err) => log('error', 'uncaught:', err));
process.on('unhandledRejection', (err) => log('error', 'unhandled rejection:', err));
connection.listen();
log('info', `engine ${process.pid} ready (node ${process.version})`);
