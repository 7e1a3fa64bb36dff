/**
 * What every study folder holds, whatever the study: its settings (`study.json`, written first),
 * its samples, its summary so far, and a `step-<N>/` folder per checkpoint; and the hooks a study
 * run is driven by.
 */
import { join } from 'node:path';
import type { Device } from '../api/types';

export const SUMMARY_FILE = 'summary.json';
export const SETTINGS_FILE = 'study.json';
/** The study's samples, as generated or read. */
export const DATA_FILE = 'data.json';
export const stepFolder = (outDir: string, step: number) => join(outDir, `step-${step}`);

export interface StudyHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
  device?: Device;
  /** Runs at once in worker processes, for a study made of independent runs (susceptibility: one per component); 1 runs them here, one after another. */
  workers?: number;
}
