/**
 * Messages between the extension host and the experiment-runner side panel, both ways. What the
 * panel sends has a schema (the extension checks every message with it); its run requests reuse
 * the engine protocol's own schemas.
 */
import { z } from 'zod';
import { BenchRunParams, type RunnableInfo, type RunSummary, type SeriesInfo, SeriesInfoParams, type StudyRunInfo } from '../../../engine/src/api/protocol';
import { StudyChoice } from '../../../engine/src/api/studies';

export interface ModelChoice {
  /** Checkpoint folder, or a reference model's name. */
  dir: string;
  name: string;
  /** Checked when the panel opens. */
  checked: boolean;
}

export const RunRequest = BenchRunParams.pick({ kind: true, id: true, models: true, lengths: true, n: true });
export type RunRequest = z.infer<typeof RunRequest>;

/** What the panel lists under Results: benchmark run folders and study folders. */
export interface ResultsList {
  runs: RunSummary[];
  studies: StudyRunInfo[];
}

/** Fields the panel asks the extension to fill with a picked path. */
export const BrowseField = z.enum(['series', 'data']);
export type BrowseField = z.infer<typeof BrowseField>;

export type ToRunner =
  /** `slurm`: whether runs can be sent to Slurm (sbatch is on the engine's PATH). */
  | ({ type: 'init'; runnables: RunnableInfo[]; models: ModelChoice[]; resultsDir: string; slurm: boolean } & ResultsList)
  /** The model list again (after the model changed); ticks the user set are kept. */
  | { type: 'models'; models: ModelChoice[] }
  /** A run began (from the panel or a command): Run is disabled, Cancel shown. */
  | { type: 'started'; message: string }
  | { type: 'progress'; done: number; total: number; message?: string }
  /** `written`: the benchmark run folders just written (none after a study); then the whole results folder again. */
  | ({ type: 'finished'; written: RunSummary[] } & ResultsList)
  | { type: 'failed'; message: string }
  /** The results folder listed again (after a run stopped early, say). */
  | ({ type: 'results' } & ResultsList)
  | { type: 'chosen'; field: BrowseField; path: string }
  /** What a series holds (its hook points, for the hook picker), or why it cannot be read. */
  | { type: 'seriesInfo'; series: string; info?: SeriesInfo; error?: string };

const dir = z.string().min(1).max(4096);
export const FromRunner = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  // `slurm`: send it to Slurm instead of running it here.
  z.object({ type: z.literal('run'), request: RunRequest, slurm: z.boolean().optional() }),
  z.object({ type: z.literal('runStudy'), study: StudyChoice, slurm: z.boolean().optional() }),
  /** Asks what a series holds (answered by `seriesInfo`). */
  SeriesInfoParams.extend({ type: z.literal('seriesInfo') }),
  /** Follow a run folder's Slurm shards again. */
  z.object({ type: z.literal('watchSlurm'), dir }),
  z.object({ type: z.literal('resumeStudy'), dir }),
  z.object({ type: z.literal('resumeRun'), dir }),
  z.object({ type: z.literal('openStudy'), dir }),
  z.object({ type: z.literal('browse'), field: BrowseField }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('refresh') }),
]);
export type FromRunner = z.infer<typeof FromRunner>;

export const RUNNER_VIEW_ID = 'introspect.runner';
