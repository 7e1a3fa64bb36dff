/**
 * The JSON-RPC protocol between the extension host (client) and the engine process (server),
 * spoken over the engine's stdin/stdout with vscode-jsonrpc. Defined once; both sides import it.
 *
 * Every request's params and every notification's payload is a zod schema, with the TypeScript
 * type derived from it: the server checks params at its door (`-32602 Invalid params` naming the
 * field), the client checks notifications, and the schemas bound what a request may ask for.
 *
 * Long requests take a `progressToken`: the engine sends `progress` notifications carrying it, and
 * the client cancels with jsonrpc's `$/cancelRequest`, which the engine turns into an AbortSignal.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { z } from 'zod';
import type { BrowsedLatent } from '../studies/emergence';
import type { StudySummary } from '../studies/kinds';
import type { UmapFrames } from '../studies/umap';
import { SlurmOptions, type SlurmStatus, type SlurmSubmitted } from './slurm';
import { StudyChoice, type StudySettings } from './studies';
import type { ModelInfo, PatchGrid, Prediction, TopToken } from './types';

/** A request whose params have a schema. */
export class Request<P, R> extends RequestType<P, R, EngineErrorData> {
  constructor(
    method: string,
    readonly params: z.ZodType<P>,
  ) {
    super(method);
  }
}

/** A request without params (none may be given). */
export class Request0<R> extends RequestType0<R, EngineErrorData> {}

/** A notification whose payload has a schema. */
export class Notification<P> extends NotificationType<P> {
  constructor(
    method: string,
    readonly params: z.ZodType<P>,
  ) {
    super(method);
  }
}

/** Bounds of what a request may carry (a hover sends the code up to its line; a trace is explicit). */
export const LIMITS = {
  /** Characters of code in one request. */
  codeChars: 1_000_000,
  /** Bytes of one JSON-RPC message. */
  messageBytes: 8 * 1024 * 1024,
  topK: 100,
  batchSize: 4096,
} as const;

const text = (max = 4096) => z.string().max(max);
const path = z.string().min(1, 'must be a non-empty path').max(4096);
const device = z.enum(['auto', 'cpu', 'webgpu', 'cuda']);
const dtype = z.enum(['float32', 'float16']);
const progressToken = z.string().max(256).optional();
/** A variable name: an identifier (Python's, or JavaScript's with `$`). */
const variable = z.string().regex(/^[A-Za-z_$][\w$]{0,255}$/, 'must be an identifier');

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

/** JSON-RPC's own error codes for a malformed message or invalid params. */
export const JsonRpcErrorCode = { ParseError: -32700, InvalidRequest: -32600, MethodNotFound: -32601, InvalidParams: -32602 } as const;

// ---- status and models --------------------------------------------------------------------

export interface EngineStatus {
  pid: number;
  /** Node version of the engine process. */
  node: string;
  /** The loaded model, if any. */
  model?: ModelInfo;
}
export const statusRequest = new Request0<EngineStatus>('engine/status');

export const LoadModelParams = z.object({
  /** Checkpoint folder; empty = the embedded default model. */
  dir: text(),
  device,
  dtype,
});
export type LoadModelParams = z.infer<typeof LoadModelParams>;
/** Loads a checkpoint folder (replacing the loaded model only once it loaded) and returns what was loaded. */
export const loadModelRequest = new Request<LoadModelParams, ModelInfo>('model/load', LoadModelParams);

export interface ModelCandidate {
  /** Hub id (`org/name`) or folder name. */
  id: string;
  dir: string;
}
/** Checkpoint folders found in the local Hugging Face hub cache. */
export const listModelsRequest = new Request0<ModelCandidate[]>('model/list');

// ---- prediction and tracing -------------------------------------------------------------

const code = z.string().max(LIMITS.codeChars, `must be at most ${LIMITS.codeChars} characters`);
const intervention = z.enum(['resid', 'mlp', 'heads', 'knockout']);

export const PredictParams = z.object({
  /** The source up to and including the line of interest. */
  code,
  variable,
  topK: z.number().int().min(1).max(LIMITS.topK),
  /**
   * `trim` (hovers, selections): when the code is longer than the model's context, keep the lines
   * nearest the variable that fit and say so in the prediction; default `refuse`: an error giving
   * both lengths (an explicit request).
   */
  fit: z.enum(['refuse', 'trim']).optional(),
});
export type PredictParams = z.infer<typeof PredictParams>;
export const predictRequest = new Request<PredictParams, Prediction>('predict', PredictParams);

export const TraceParams = z.object({
  code,
  variable,
  intervention,
  /** Patched runs per forward pass (engine default when absent). */
  batchSize: z.number().int().min(1).max(LIMITS.batchSize).optional(),
  progressToken,
});
export type TraceParams = z.infer<typeof TraceParams>;
export const traceRequest = new Request<TraceParams, PatchGrid>('trace', TraceParams);

export const PatchedTopKParams = TraceParams.extend({
  /** The cell: one index per axis of the grid (`PatchGrid.axes`). */
  index: z.array(z.number().int().min(0)).min(1).max(3),
  topK: z.number().int().min(1).max(LIMITS.topK),
});
export type PatchedTopKParams = z.infer<typeof PatchedTopKParams>;
/** The patched run's next-token top-k at one cell of a sweep (what the heatmap shows on click). */
export const patchedTopKRequest = new Request<PatchedTopKParams, TopToken[]>('trace/cell', PatchedTopKParams);

// ---- benchmarks, studies and results ----------------------------------------------------

export const RUN_KINDS = ['suite', 'study'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export interface RunnableInfo {
  kind: RunKind;
  id: string;
  description: string;
  /** Names of the experiments it runs, one run folder each. */
  experiments: string[];
  /** Sequence lengths used when the user gives none. */
  defaultLengths: number[];
  /** A study's settings when the user changes none (its series: the embedded model's, when installed). */
  studyDefaults?: StudyDefaults;
  /** Data sets a study can be given by name (besides a JSON-lines file). */
  studyData?: string[];
}

/** A study's settings as the runner's form starts: any of them, the series left open. */
export type StudyDefaults = StudySettings extends infer S ? (S extends StudySettings ? Omit<S, 'series'> & { series?: string } : never) : never;

export interface BenchCatalog {
  runnables: RunnableInfo[];
  /** Models that need no checkpoint (the interpreter oracle, the line heuristic), usable as baselines. */
  referenceModels: string[];
  /** Whether Slurm's sbatch is on the engine's PATH (runs can be sent to Slurm). */
  slurm: boolean;
}
export const listRunnablesRequest = new Request0<BenchCatalog>('bench/list');

export const BenchRunParams = z.object({
  kind: z.enum(RUN_KINDS),
  /** A `RunnableInfo.id`. */
  id: text(256),
  /** Checkpoint folders or reference model names. */
  models: z.array(path).min(1, 'must name at least one model').max(64),
  lengths: z.array(z.number().int().min(1).max(1000)).min(1).max(1000),
  /** Samples per (model, length). */
  n: z.number().int().min(1).max(100_000),
  /** Folder that receives the new run folders. */
  resultsDir: path,
  device,
  dtype,
  batchSize: z.number().int().min(1).max(LIMITS.batchSize),
  progressToken,
});
export type BenchRunParams = z.infer<typeof BenchRunParams>;
/** Runs a suite; resolves with the summaries of the run folders it wrote. Progress counts programs. */
export const benchRunRequest = new Request<BenchRunParams, RunSummary[]>('bench/run', BenchRunParams);

export const BenchResumeParams = z.object({
  /** An unfinished run folder. */
  dir: path,
  device,
  dtype,
  progressToken,
});
export type BenchResumeParams = z.infer<typeof BenchResumeParams>;
/** Finishes a cancelled or crashed run folder — and the rest of its suite — keeping finished samples; resolves with their summaries. */
export const benchResumeRequest = new Request<BenchResumeParams, RunSummary[]>('bench/resume', BenchResumeParams);

export const BenchSubmitParams = BenchRunParams.omit({ progressToken: true }).extend({ slurm: SlurmOptions });
export type BenchSubmitParams = z.infer<typeof BenchSubmitParams>;
/** Sends a suite to Slurm (a shard per experiment × model × length, then a merge job); resolves once submitted. */
export const benchSubmitRequest = new Request<BenchSubmitParams, SlurmSubmitted>('bench/submit', BenchSubmitParams);

/** A run split into Slurm shards, from its folder (any folder of a suite): how many are done. */
export interface ShardProgress {
  shards: number;
  done: number;
  /** The merge job ran: the run is complete. */
  merged: boolean;
}

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
  /** Set when the run was sent to Slurm. */
  slurm?: ShardProgress;
}

export const ListResultsParams = z.object({ resultsDir: path });
export type ListResultsParams = z.infer<typeof ListResultsParams>;
/** The run folders in a results folder, newest first. */
export const listResultsRequest = new Request<ListResultsParams, RunSummary[]>('results/list', ListResultsParams);

// ---- developmental studies ----------------------------------------------------------------

/** A study (`id`, a study `RunnableInfo.id`) with its settings, and the folder that receives the new study folder (`<id>_<time>/`). */
export const StudyCreateParams = z.intersection(StudyChoice, z.object({ resultsDir: path }));
export type StudyCreateParams = z.infer<typeof StudyCreateParams>;
/** Checks a study's settings (its series is read) and makes its folder; `study/run` then runs it. */
export const studyCreateRequest = new Request<StudyCreateParams, { dir: string }>('study/create', StudyCreateParams);

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
  /** Set when the study was sent to Slurm. */
  slurm?: ShardProgress;
}

export const StudyRunParams = z.object({ dir: path, device, progressToken });
export type StudyRunParams = z.infer<typeof StudyRunParams>;
/**
 * Runs a study folder to the end with its own settings: a new one, or an unfinished one resumed
 * (finished checkpoints and chains are kept). Resolves with its summary.
 */
export const studyRunRequest = new Request<StudyRunParams, StudySummary>('study/run', StudyRunParams);

export const StudySubmitParams = z.object({ dir: path, device, slurm: SlurmOptions });
export type StudySubmitParams = z.infer<typeof StudySubmitParams>;
/** Sends a study folder (made by study/create) to Slurm: a shard per checkpoint (× chain, for a sampling study), then a merge job. */
export const studySubmitRequest = new Request<StudySubmitParams, SlurmSubmitted>('study/submit', StudySubmitParams);

export const SlurmDirParams = z.object({ dir: path });
export type SlurmDirParams = z.infer<typeof SlurmDirParams>;
/** A Slurm run's shards and merge job: done, running, pending, failed (with their logs). */
export const slurmStatusRequest = new Request<SlurmDirParams, SlurmStatus>('slurm/status', SlurmDirParams);

export const SlurmResubmitParams = z.object({ dir: path, slurm: SlurmOptions });
export type SlurmResubmitParams = z.infer<typeof SlurmResubmitParams>;
/** Resubmits what did not finish of a Slurm run (its failed shards, or only the merge). */
export const slurmResubmitRequest = new Request<SlurmResubmitParams, SlurmSubmitted>('slurm/resubmit', SlurmResubmitParams);

/** The study folders in a results folder, newest first. */
export const listStudiesRequest = new Request<ListResultsParams, StudyRunInfo[]>('study/list', ListResultsParams);

export const StudyDirParams = z.object({ dir: path });
export type StudyDirParams = z.infer<typeof StudyDirParams>;
/** A study folder's summary so far (its curves). */
export const studyResultRequest = new Request<StudyDirParams, StudySummary>('study/result', StudyDirParams);

export const StudyMatrixParams = z.object({
  dir: path,
  step: z.number().int().min(0),
  /** `sequence` or `claim`. */
  observable: z.enum(['sequence', 'claim']),
});
export type StudyMatrixParams = z.infer<typeof StudyMatrixParams>;
export interface StudyMatrix {
  /** samples × samples, row-major: BIF = −covariance of the samples' losses over draws. */
  bif: number[];
  /** The samples in matrix order. */
  samples: { group: string; pair?: number; text: string }[];
}
/** One checkpoint's BIF matrix. */
export const studyMatrixRequest = new Request<StudyMatrixParams, StudyMatrix>('study/matrix', StudyMatrixParams);

export const StudyStepParams = z.object({ dir: path, step: z.number().int().min(0) });
export type StudyStepParams = z.infer<typeof StudyStepParams>;
/** An emergence study's latent browser at one checkpoint: latents worth a look, and the samples their strongest activations are in. */
export interface LatentBrowser {
  latents: BrowsedLatent[];
  /** The samples named by the latents' top activations: text, group and each token's character span. */
  samples: { index: number; text: string; group: string; tokens: [number, number][] }[];
}
export const studyLatentsRequest = new Request<StudyStepParams, LatentBrowser>('study/latents', StudyStepParams);

/** A susceptibility study's UMAP and PCA frames (computed where missing), with the probe samples' texts for the tokens' context. */
export type StudyUmap = UmapFrames & { samples: string[] };
export const studyUmapRequest = new Request<StudyDirParams, StudyUmap>('study/umap', StudyDirParams);

export const SeriesInfoParams = z.object({ series: path });
export type SeriesInfoParams = z.infer<typeof SeriesInfoParams>;
export interface SeriesInfo {
  name: string;
  steps: number[];
  /** The block hook points of its last checkpoint, in forward order. */
  hooks: string[];
}
/** What a checkpoint series holds, for the runner's pickers (checked as a study would read it). */
export const seriesInfoRequest = new Request<SeriesInfoParams, SeriesInfo>('series/info', SeriesInfoParams);

// ---- notifications (engine → client) ----------------------------------------------------

export const ProgressParams = z.object({
  token: z.string(),
  done: z.number().min(0),
  total: z.number().min(0),
  message: z.string().optional(),
});
export type ProgressParams = z.infer<typeof ProgressParams>;
export const progressNotification = new Notification<ProgressParams>('progress', ProgressParams);

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LogParams = z.object({ level: z.enum(LOG_LEVELS), message: z.string() });
export type LogParams = z.infer<typeof LogParams>;
export const logNotification = new Notification<LogParams>('log', LogParams);

/** `params` checked against `schema`: the value, or why not, naming the field (`topK: must be ≤ 100`). */
export function checkParams<P>(schema: z.ZodType<P>, params: unknown): { ok: true; value: P } | { ok: false; message: string } {
  const r = schema.safeParse(params);
  if (r.success) return { ok: true, value: r.data };
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : 'params'}: ${i.message}`);
  return { ok: false, message: `Invalid params: ${issues.join('; ')}` };
}
