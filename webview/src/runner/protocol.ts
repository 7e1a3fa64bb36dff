/** Messages between the extension host and the experiment-runner side panel, both ways. */
import type { RunKind, RunnableInfo, RunSummary, StudyRunInfo } from '../../../engine/src/api/protocol';
import type { InfluenceSettings } from '../../../engine/src/studies/influence';

export interface ModelChoice {
  /** Checkpoint folder, or a reference model's name. */
  dir: string;
  name: string;
  /** Checked when the panel opens. */
  checked: boolean;
}

export interface RunRequest {
  kind: RunKind;
  id: string;
  models: string[];
  lengths: number[];
  n: number;
}

/** What the panel lists under Results: benchmark run folders and study folders. */
export interface ResultsList {
  runs: RunSummary[];
  studies: StudyRunInfo[];
}

/** Fields the panel asks the extension to fill with a picked path. */
export type BrowseField = 'series' | 'data';

export type ToRunner =
  | ({ type: 'init'; runnables: RunnableInfo[]; models: ModelChoice[]; resultsDir: string } & ResultsList)
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
  | { type: 'chosen'; field: BrowseField; path: string };

export type FromRunner =
  | { type: 'ready' }
  | { type: 'run'; request: RunRequest }
  | { type: 'runStudy'; id: string; settings: InfluenceSettings }
  | { type: 'resumeStudy'; dir: string }
  | { type: 'resumeRun'; dir: string }
  | { type: 'openStudy'; dir: string }
  | { type: 'browse'; field: BrowseField }
  | { type: 'cancel' }
  | { type: 'refresh' };

export const RUNNER_VIEW_ID = 'introspect.runner';
