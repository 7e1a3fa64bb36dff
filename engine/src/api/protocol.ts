/**
 * The JSON-RPC protocol between the extension host (client) and the engine process (server),
 * spoken over the engine's stdin/stdout with vscode-jsonrpc. Defined once; both sides import it.
 *
 * Long requests take a `progressToken`: the engine sends `progress` notifications carrying it, and
 * the client cancels with jsonrpc's `$/cancelRequest`, which the engine turns into an AbortSignal.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { Device, DType, Intervention, ModelInfo, PatchGrid, Prediction, TopToken } from './types';

/** Error codes of ResponseErrors the engine sends (jsonrpc reserves -32768..-32000). */
export const EngineErrorCode = {
  /** An IntrospectError: bad input the user can fix; `data.subject` names the file or field. */
  User: 1,
  /** No model is loaded yet. */
  NoModel: 2,
  /** The feature exists in the protocol but this build has nothing behind it (e.g. no suites). */
  NotAvailable: 3,
  /** Anything else: a bug or a runtime failure; the message carries the cause. */
  Internal: 4,
  /** The client cancelled the request (same code as LSP's RequestCancelled). */
  Cancelled: -32800,
} as const;

export interface EngineErrorData {
  subject?: string;
}

// ---- status and models --------------------------------------------------------------------

export interface EngineStatus {
  pid: number;
  /** Node version of the engine process. */
  node: string;
  /** The loaded model, if any. */
  model?: ModelInfo;
}
export const statusRequest = new RequestType0<EngineStatus, EngineErrorData>('engine/status');

export interface LoadModelParams {
  /** Checkpoint folder; empty = the embedded default model. */
  dir: string;
  device: Device;
  dtype: DType;
}
/** Loads a checkpoint folder (replacing the loaded model) and returns what was loaded. */
export const loadModelRequest = new RequestType<LoadModelParams, ModelInfo, EngineErrorData>('model/load');

export interface ModelCandidate {
  /** Hub id (`org/name`) or folder name. */
  id: string;
  dir: string;
}
/** Checkpoint folders found in the local Hugging Face hub cache. */
export const listModelsRequest = new RequestType0<ModelCandidate[], EngineErrorData>('model/list');

// ---- prediction and tracing -------------------------------------------------------------

/** A variable at a point in code: `code` is the source up to and including the line of interest. */
export interface VariableQuery {
  code: string;
  variable: string;
}

export interface PredictParams extends VariableQuery {
  topK: number;
}
export const predictRequest = new RequestType<PredictParams, Prediction, EngineErrorData>('predict');

export interface TraceParams extends VariableQuery {
  intervention: Intervention;
  /** Patched runs per forward pass (engine default when absent). */
  batchSize?: number;
  progressToken?: string;
}
export const traceRequest = new RequestType<TraceParams, PatchGrid, EngineErrorData>('trace');

export interface PatchedTopKParams extends TraceParams {
  /** The cell: one index per axis of the grid (`PatchGrid.axes`). */
  index: number[];
  topK: number;
}
/** The patched run's next-token top-k at one cell of a sweep (what the heatmap shows on click). */
export const patchedTopKRequest = new RequestType<PatchedTopKParams, TopToken[], EngineErrorData>('trace/cell');

// ---- benchmarks, studies and results ----------------------------------------------------

export type RunKind = 'suite' | 'study';

export interface RunnableInfo {
  kind: RunKind;
  id: string;
  description: string;
  /** Names of the experiments it runs, one run folder each. */
  experiments: string[];
  /** Sequence lengths used when the user gives none. */
  defaultLengths: number[];
}

export interface BenchCatalog {
  runnables: RunnableInfo[];
  /** Models that need no checkpoint (the interpreter oracle, the line heuristic), usable as baselines. */
  referenceModels: string[];
}
export const listRunnablesRequest = new RequestType0<BenchCatalog, EngineErrorData>('bench/list');

export interface BenchRunParams {
  kind: RunKind;
  /** A `RunnableInfo.id`. */
  id: string;
  /** Checkpoint folders or reference model names. */
  models: string[];
  lengths: number[];
  /** Samples per (model, length). */
  n: number;
  /** Folder that receives the new run folders. */
  resultsDir: string;
  device: Device;
  dtype: DType;
  batchSize: number;
  progressToken?: string;
}
/** Runs a suite or study; resolves with the summaries of the run folders it wrote. */
export const benchRunRequest = new RequestType<BenchRunParams, RunSummary[], EngineErrorData>('bench/run');

/** One point of a run's accuracy table. */
export interface AccuracyPoint {
  model: string;
  length: number;
  correct: number;
  n: number;
}

/** One run folder (one experiment over its models and lengths), as the runner lists and plots it. */
export interface RunSummary {
  dir: string;
  experiment: string;
  /** When the folder was created (ISO time). */
  startedAt: string;
  /** Whether summary.json has been written (an unfinished run can be resumed). */
  finished: boolean;
  models: string[];
  lengths: number[];
  /** Samples per (model, length). */
  n: number;
  accuracy: AccuracyPoint[];
}

export interface ListResultsParams {
  resultsDir: string;
}
/** The run folders in a results folder, newest first. */
export const listResultsRequest = new RequestType<ListResultsParams, RunSummary[], EngineErrorData>('results/list');

// ---- notifications (engine → client) ----------------------------------------------------

export interface ProgressParams {
  token: string;
  done: number;
  total: number;
  message?: string;
}
export const progressNotification = new NotificationType<ProgressParams>('progress');

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogParams {
  level: LogLevel;
  message: string;
}
export const logNotification = new NotificationType<LogParams>('log');
