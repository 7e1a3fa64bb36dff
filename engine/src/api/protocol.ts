/**
 * The JSON-RPC protocol between the extension host (client) and the engine process (server),
 * spoken over the engine's stdin/stdout with vscode-jsonrpc. Defined once; both sides import it.
 *
 * Long requests take a `progressToken`: the engine sends `progress` notifications carrying it, and
 * the client cancels with jsonrpc's `$/cancelRequest`, which the engine turns into an AbortSignal.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { InfluenceSettings, InfluenceSummary } from '../studies/influence';
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
  /** A study's settings when the user changes none (its series: the embedded model's, when installed). */
  studyDefaults?: Omit<InfluenceSettings, 'series'> & { series?: string };
  /** Data sets a study can be given by name (besides a JSON-lines file). */
  studyData?: string[];
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
/** Runs a suite; resolves with the summaries of the run folders it wrote. Progress counts programs. */
export const benchRunRequest = new RequestType<BenchRunParams, RunSummary[], EngineErrorData>('bench/run');

export interface BenchResumeParams {
  /** An unfinished run folder. */
  dir: string;
  device: Device;
  dtype: DType;
  progressToken?: string;
}
/** Finishes a cancelled or crashed run folder (its finished samples are kept); resolves with its summary. */
export const benchResumeRequest = new RequestType<BenchResumeParams, RunSummary[], EngineErrorData>('bench/resume');

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

// ---- developmental studies ----------------------------------------------------------------

export interface StudyCreateParams {
  /** A study `RunnableInfo.id`. */
  id: string;
  settings: InfluenceSettings;
  /** Folder that receives the new study folder (`<id>_<time>/`). */
  resultsDir: string;
}
/** Checks a study's settings (its series is read) and makes its folder; `study/run` then runs it. */
export const studyCreateRequest = new RequestType<StudyCreateParams, { dir: string }, EngineErrorData>('study/create');

/** One study folder, as the runner lists it. */
export interface StudyRunInfo {
  dir: string;
  study: string;
  /** The series' name. */
  series: string;
  startedAt: string;
  finished: boolean;
  /** Checkpoint steps in the plan, and those done. */
  planned: number[];
  done: number[];
}

export interface StudyRunParams {
  dir: string;
  device: Device;
  progressToken?: string;
}
/**
 * Runs a study folder to the end with its own settings: a new one, or an unfinished one resumed
 * (finished checkpoints and chains are kept). Resolves with its summary.
 */
export const studyRunRequest = new RequestType<StudyRunParams, InfluenceSummary, EngineErrorData>('study/run');

/** The study folders in a results folder, newest first. */
export const listStudiesRequest = new RequestType<ListResultsParams, StudyRunInfo[], EngineErrorData>('study/list');

/** A study folder's summary so far (its curves). */
export const studyResultRequest = new RequestType<{ dir: string }, InfluenceSummary, EngineErrorData>('study/result');

export interface StudyMatrixParams {
  dir: string;
  step: number;
  /** `sequence` or `claim`. */
  observable: string;
}
export interface StudyMatrix {
  /** samples × samples, row-major: BIF = −covariance of the samples' losses over draws. */
  bif: number[];
  /** The samples in matrix order. */
  samples: { group: string; pair?: number; text: string }[];
}
/** One checkpoint's BIF matrix. */
export const studyMatrixRequest = new RequestType<StudyMatrixParams, StudyMatrix, EngineErrorData>('study/matrix');

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
