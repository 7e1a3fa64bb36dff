/**
 * Run folders on disk: `<outDir>/<experiment>_<YYYYMMDD_HHMMSS>/` holding
 * - config.json      the ExperimentConfig, written (atomically) before the first sample
 * - results.jsonl    one ResultRow per line, appended as each sample finishes
 * - results.<shard>.jsonl  the same, written by one shard of a run split across jobs (Slurm);
 *                    a run's rows are those of all these files
 * - summary.json     accuracy tables (analysis.ts Summary), written atomically at the end
 * - accuracy_plot.png
 * - robust_seeds.json (robust-seed suites) analysis.ts RobustSeeds[]
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import { validateConfig, type ExperimentConfig } from './config';
import type { Answer, Metadata } from './types';

export const CONFIG_FILE = 'config.json';
export const RESULTS_FILE = 'results.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const PLOT_FILE = 'accuracy_plot.png';
export const ROBUST_SEEDS_FILE = 'robust_seeds.json';

export interface ResultRow {
  experiment: string;
  model: string;
  seqLen: number;
  /** Sample index within its length; with `seed` it regenerates the program. */
  sample: number;
  seed: number;
  program: string;
  answer: Answer;
  /** The parsed answer, null when the parser found none. */
  predicted: Answer | null;
  correct: boolean;
  /** The model's raw continuation. */
  raw: string;
  /** Referential depth of the query (binding tasks), else null. */
  hops: number | null;
  metadata: Metadata;
}

export function rowKey(r: Pick<ResultRow, 'model' | 'seqLen' | 'sample'>): string {
  return `${r.model}\u0000${r.seqLen}\u0000${r.sample}`;
}

/** A new, empty run folder named after the experiment and the time. */
export function createRunDir(outDir: string, experiment: string, now: Date): string {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new IntrospectError('is not a folder: results go into a folder', outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new IntrospectError(`cannot create the results folder (${(e as NodeJS.ErrnoException).code ?? e})`, outDir);
  }
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  for (let i = 0; ; i++) {
    const dir = join(outDir, `${experiment}_${stamp}${i ? `_${i}` : ''}`);
    try {
      mkdirSync(dir); // fails if it exists, so two runs started the same second get distinct folders
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function readRunConfig(runDir: string): ExperimentConfig {
  const path = join(runDir, CONFIG_FILE);
  if (!existsSync(path)) throw new IntrospectError('is not a run folder (no config.json)', runDir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new IntrospectError(`invalid JSON: ${(e as Error).message}`, path);
  }
  return validateConfig(raw, path);
}

/** A shard's own results file: rows in the same format as results.jsonl. */
export const shardResultsFile = (shard: string) => `results.${shard}.jsonl`;
const ROW_FILE = /^results(\.[\w-]+)?\.jsonl$/;

/**
 * The rows of a run, from results.jsonl and every shard's file (each row once). A run killed
 * mid-write can leave a partial last line: it is ignored, and with `repair` cut off the file so
 * that appending continues on a clean line.
 */
export function readResults(runDir: string, repair = false): ResultRow[] {
  if (!existsSync(runDir)) return [];
  const files = readdirSync(runDir)
    .filter((f) => ROW_FILE.test(f))
    .sort((a, b) => (a === RESULTS_FILE ? -1 : b === RESULTS_FILE ? 1 : a.localeCompare(b)));
  const seen = new Set<string>();
  return files.flatMap((f) => readRowFile(join(runDir, f), repair)).filter((r) => !seen.has(rowKey(r)) && seen.add(rowKey(r)));
}

function readRowFile(path: string, repair: boolean): ResultRow[] {
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (repair && end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  return text
    .slice(0, end)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as ResultRow;
      } catch {
        throw new IntrospectError(`line ${i + 1} is not JSON`, path);
      }
    });
}

/** Appends rows one line per write(2) call: a finished line survives the process being killed. */
export class ResultsWriter {
  private readonly fd: number;

  constructor(runDir: string, file = RESULTS_FILE) {
    this.fd = openSync(join(runDir, file), 'a');
  }

  append(row: ResultRow): void {
    writeSync(this.fd, JSON.stringify(row) + '\n');
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The folders directly under `root` (none when it does not exist yet), oldest name first. */
export function subfolders(root: string): string[] {
  if (!existsSync(root)) return [];
  if (!statSync(root).isDirectory()) throw new IntrospectError('is not a folder: a results folder holds run folders', root);
  return readdirSync(root)
    .map((n) => join(root, n))
    .filter((d) => statSync(d).isDirectory())
    .sort();
}

/** Run folders (those with a config.json) directly under `root`, oldest name first. */
export function listRunDirs(root: string): string[] {
  return subfolders(root).filter((d) => existsSync(join(d, CONFIG_FILE)));
}
