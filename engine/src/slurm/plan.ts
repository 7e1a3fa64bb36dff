/**
 * A run split into Slurm jobs: its shards (each one job of an array: a model × length block of a
 * benchmark, a lengths × hops block of a trace experiment, a checkpoint × chain of a study), the
 * merge job that writes what a local run writes, and every submission made. Kept in the run's
 * folder as `slurm/plan.json`; each finished shard leaves `slurm/done/<k>`, the merge `slurm/done/merge`. Shards write the run's
 * own incremental result files, so a local run, a Slurm run and a resumed mix are one format.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { readJsonFile } from '../checkpoint/folder';
import type { SlurmOptions } from '../api/slurm';
import { IntrospectError } from '../errors';

export interface Shard {
  /** Short name, also the shard's results-file suffix (`shard-3`). */
  name: string;
  /** What it does, for `introspect status`. */
  what: string;
  /** The CLI arguments that run it. */
  args: string[];
}

export interface Submission {
  at: string;
  /** Job ids (empty in a dry run). */
  arrayJob: string;
  mergeJob: string;
  shards: number[];
}

export interface SlurmPlan {
  kind: 'bench' | 'trace' | 'study';
  /** The command line that runs the CLI (node, its flags, the CLI's path) and where. */
  cli: string[];
  cwd: string;
  shards: Shard[];
  /** The CLI arguments of the merge job (run after every shard succeeded). */
  merge: string[];
  options: SlurmOptions;
  submissions: Submission[];
}

export const SLURM_DIR = 'slurm';
export const planFile = (anchor: string) => join(anchor, SLURM_DIR, 'plan.json');
/** A shard's number, or the merge job. */
export type Job = number | 'merge';
export const doneFile = (anchor: string, k: Job) => join(anchor, SLURM_DIR, 'done', String(k));
export const logsDir = (anchor: string) => join(anchor, SLURM_DIR, 'logs');

export function writePlan(anchor: string, plan: SlurmPlan): void {
  writeJsonAtomic(planFile(anchor), plan);
}

export function readPlan(anchor: string): SlurmPlan {
  if (!existsSync(planFile(anchor))) throw new IntrospectError('was not run on Slurm (no slurm/plan.json)', anchor);
  return readJsonFile(planFile(anchor)) as SlurmPlan;
}

export function hasPlan(anchor: string): boolean {
  return existsSync(planFile(anchor));
}

export function isDone(anchor: string, k: Job): boolean {
  return existsSync(doneFile(anchor, k));
}

export function markDone(anchor: string, k: Job): void {
  writeFileAtomic(doneFile(anchor, k), `${new Date().toISOString()}\n`);
}

/** The log a shard's (or the merge's) latest submission writes. */
export function shardLog(anchor: string, plan: SlurmPlan, k: Job): string | undefined {
  const sub = [...plan.submissions].reverse().find((s) => (k === 'merge' ? s.mergeJob : s.shards.includes(k) && s.arrayJob));
  if (!sub) return undefined;
  return join(logsDir(anchor), k === 'merge' ? `merge-${sub.mergeJob}.log` : `${sub.arrayJob}_${k}.log`);
}

/** The end of a shard's log, to quote in an error. */
export function logTail(path: string | undefined, lines = 5): string {
  if (!path || !existsSync(path)) return '';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
