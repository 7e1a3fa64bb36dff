/** The extension's settings (`introspect.*` in package.json), read in one place with their types. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SlurmOptions } from '../../engine/src/api/slurm';
import type { Device, DType } from '../../engine/src/api/types';

export const SECTION = 'introspect';

export interface Settings {
  /** Checkpoint folder of the model in use; empty = the embedded default model. */
  model: string;
  /** More checkpoint folders to offer in the model picker and the experiment runner. */
  modelFolders: string[];
  /** Execution provider: `auto` picks the best one available. */
  device: Device;
  dtype: DType;
  /** Programs (or patched runs, in a trace) per forward pass. */
  batchSize: number;
  /** Where benchmark and study runs are written; empty = `results/` in the first workspace folder. */
  resultsFolder: string;
  /** How many candidate tokens hovers and decorations show. */
  topK: number;
  /** Run the code (in a time-limited subprocess, trusted workspaces only) to show the real value beside the prediction. */
  predictedVsActual: boolean;
  /** Milliseconds a hover waits before asking the engine (typing never waits on the engine). */
  hoverDelayMs: number;
  /** Seconds the predicted-vs-actual subprocess may run. */
  actualTimeoutSec: number;
  /** What runs sent to Slurm ask for (`introspect.slurm.*`; empty and 0 leave Slurm's defaults). */
  slurm: SlurmOptions;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    model: c.get<string>('model', ''),
    modelFolders: c.get<string[]>('modelFolders', []),
    device: c.get<Device>('device', 'auto'),
    dtype: c.get<DType>('dtype', 'float32'),
    batchSize: c.get<number>('batchSize', 8),
    resultsFolder: c.get<string>('resultsFolder', ''),
    topK: c.get<number>('topK', 5),
    predictedVsActual: c.get<boolean>('predictedVsActual', false),
    hoverDelayMs: c.get<number>('hoverDelayMs', 150),
    actualTimeoutSec: c.get<number>('actualTimeoutSec', 5),
    slurm: slurmSettings(c),
  };
}

function slurmSettings(c: vscode.WorkspaceConfiguration): SlurmOptions {
  const word = (k: string) => c.get<string>(`slurm.${k}`, '').trim() || undefined;
  const count = (k: string) => c.get<number>(`slurm.${k}`, 0) || undefined;
  return { partition: word('partition'), time: word('time'), gpus: count('gpus'), cpus: count('cpus'), mem: word('mem'), maxParallel: count('maxParallel'), extra: word('extra'), dryRun: false };
}

/** The results folder with its default resolved. */
export function resultsFolder(settings: Settings, context: vscode.ExtensionContext): string {
  if (settings.resultsFolder) return settings.resultsFolder;
  const ws = vscode.workspace.workspaceFolders?.[0];
  return ws ? path.join(ws.uri.fsPath, 'results') : path.join(context.globalStorageUri.fsPath, 'results');
}

/** Writes a setting where it is set now (the workspace's value would hide a user-level one), else for the user. */
export async function updateSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const where = c.inspect(key);
  const target = where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}
