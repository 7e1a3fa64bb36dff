/** Messages between the extension host and the experiment-runner side panel, both ways. */
import type { RunKind, RunnableInfo, RunSummary } from '../../../engine/src/api/protocol';

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

export type ToRunner =
  | { type: 'init'; runnables: RunnableInfo[]; models: ModelChoice[]; resultsDir: string; results: RunSummary[] }
  | { type: 'progress'; done: number; total: number; message?: string }
  /** `runs`: the run folders just written; `results`: the whole results folder again. */
  | { type: 'finished'; runs: RunSummary[]; results: RunSummary[] }
  | { type: 'failed'; message: string };

export type FromRunner =
  | { type: 'ready' }
  | { type: 'run'; request: RunRequest }
  | { type: 'cancel' }
  | { type: 'refresh' };

export const RUNNER_VIEW_ID = 'introspect.runner';
