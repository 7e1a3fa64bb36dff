/** Messages between the extension host and the experiment-runner side panel, both ways. */
import type { RunKind, RunnableInfo, RunSummary } from '../../../engine/src/api/protocol';

export interface ModelChoice {
  dir: string;
  name: string;
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
  | { type: 'finished'; summary: RunSummary; results: RunSummary[] }
  | { type: 'failed'; message: string }
  | { type: 'show'; summary: RunSummary };

export type FromRunner =
  | { type: 'ready' }
  | { type: 'run'; request: RunRequest }
  | { type: 'cancel' }
  | { type: 'refresh' }
  | { type: 'open'; dir: string };

export const RUNNER_VIEW_ID = 'introspect.runner';
