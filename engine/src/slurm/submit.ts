/**
 * Submitting a plan to Slurm — no scheduler of our own: an `sbatch` job array over the shards
 * (`introspect shard <folder> $SLURM_ARRAY_TASK_ID`) and a merge job after it
 * (`--dependency=afterok:<array>`, `introspect shard <folder> merge`) — and reading the shards' state back from the folder and
 * `squeue`. The scripts are written into `slurm/` whether or not they are submitted, so a
 * cluster's own submission wrapper can take them as they are (`--slurm-dry-run`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import type { ShardState, SlurmOptions, SlurmStatus, SlurmSubmitted } from '../api/slurm';
import { isDone, logsDir, logTail, type SlurmPlan, SLURM_DIR, shardLog, writePlan } from './plan';

/** How the running CLI is started again from a job: node, its flags (a loader, say) and the CLI's own entry. */
export function cliInvocation(): string[] {
  const entry = process.argv[1];
  // The engine process (dist/engine.js, or engine/src/server.ts in development) has the CLI beside it.
  const cli = /[\\/](engine\.js|server\.ts)$/.test(entry) ? join(dirname(entry), entry.endsWith('.ts') ? 'cli.ts' : 'cli.js') : entry;
  return [process.execPath, ...process.execArgv, cli];
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function directives(o: SlurmOptions, name: string): string[] {
  return [
    `#SBATCH --job-name=${name}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.cpus ? [`#SBATCH --cpus-per-task=${o.cpus}`] : []),
    ...(o.mem ? [`#SBATCH --mem=${o.mem}`] : []),
    ...(o.gpus ? [`#SBATCH --gres=gpu:${o.gpus}`] : []),
    ...(o.extra ? o.extra.split(/\s+/).filter(Boolean).map((x) => `#SBATCH ${x}`) : []),
  ];
}

/**
 * Writes the array script for `shards` and the merge script and, unless a dry run, submits them
 * (the merge after the array; alone when no shard is left); records the submission.
 */
export function submit(anchor: string, plan: SlurmPlan, shards: number[]): Omit<SlurmSubmitted, 'dirs'> {
  const dir = join(anchor, SLURM_DIR);
  mkdirSync(logsDir(anchor), { recursive: true });
  const o = plan.options;
  const cli = plan.cli.map(quote).join(' ');
  const n = plan.submissions.length;
  const array = join(dir, `array-${n}.sh`);
  const merge = join(dir, `merge-${n}.sh`);
  const scripts = [merge];
  if (shards.length) {
    writeScript(array, [
      '#!/bin/bash',
      ...directives(o, `introspect-${plan.kind}`),
      `#SBATCH --array=${compactList(shards)}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
      `#SBATCH --output=${join(logsDir(anchor), '%A_%a.log')}`,
      `#SBATCH --chdir=${plan.cwd}`,
      'set -euo pipefail',
      `exec ${cli} shard ${quote(anchor)} "$SLURM_ARRAY_TASK_ID"`,
    ]);
    scripts.unshift(array);
  }
  writeScript(merge, [
    '#!/bin/bash',
    ...directives(o, `introspect-${plan.kind}-merge`),
    `#SBATCH --output=${join(logsDir(anchor), 'merge-%j.log')}`,
    `#SBATCH --chdir=${plan.cwd}`,
    'set -euo pipefail',
    `exec ${cli} shard ${quote(anchor)} merge`,
  ]);
  let arrayJob = '';
  let mergeJob = '';
  if (!o.dryRun) {
    if (shards.length) arrayJob = sbatch([array]);
    try {
      mergeJob = sbatch([...(arrayJob ? [`--dependency=afterok:${arrayJob}`] : []), merge]);
    } catch (e) {
      // Shards whose merge never runs would only be work lost track of.
      cancelJobs([arrayJob].filter(Boolean));
      throw e;
    }
  }
  plan.submissions.push({ at: new Date().toISOString(), arrayJob, mergeJob, shards });
  writePlan(anchor, plan);
  return { anchor, shards: shards.length, arrayJob, mergeJob, scripts };
}

function writeScript(path: string, lines: string[]): void {
  writeFileAtomic(path, `${lines.join('\n')}\n`);
  chmodSync(path, 0o755);
}

/** 0,1,2,5,7,8 → 0-2,5,7-8 (sbatch's array syntax). */
function compactList(xs: number[]): string {
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Whether sbatch can be run here. */
export function slurmAvailable(): boolean {
  try {
    execFileSync('sbatch', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function sbatch(args: string[]): string {
  try {
    return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(';')[0];
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new IntrospectError('sbatch was not found: Slurm is not installed here (--slurm-dry-run writes the scripts without submitting)', '--slurm');
    const why = (err.stderr ?? '').trim().split('\n').filter(Boolean);
    throw new IntrospectError(`sbatch refused the job: ${why.map((l) => l.replace(/^sbatch: error: /, '')).join('; ') || err.message}`, '--slurm');
  }
}

/** Cancels jobs that may still be queued (an earlier merge job whose shards failed waits forever). */
export function cancelJobs(jobs: string[]): void {
  if (jobs.length === 0) return;
  try {
    execFileSync('scancel', jobs, { stdio: 'ignore' });
  } catch {
    // Jobs that already ended cannot be cancelled, which is what we wanted.
  }
}

/** Each shard's state and the merge's: from the done markers, else from the queue (a job Slurm no longer lists, unfinished, failed). */
export function slurmStatus(anchor: string, plan: SlurmPlan): Omit<SlurmStatus, 'dirs'> {
  const queued = queue(plan.submissions.flatMap((s) => [s.arrayJob, s.mergeJob]).filter(Boolean));
  const stateOf = (job: string | undefined, key: string): ShardState => {
    if (!job) return 'not submitted';
    const q = queued.get(key) ?? queued.get(job);
    if (q === 'RUNNING' || q === 'COMPLETING') return 'running';
    if (q === 'PENDING' || q === 'CONFIGURING' || q === 'REQUEUED' || q === 'SUSPENDED') return 'pending';
    return 'failed';
  };
  const states = plan.shards.map((_, k): ShardState => {
    if (isDone(anchor, k)) return 'done';
    const sub = [...plan.submissions].reverse().find((s) => s.shards.includes(k));
    return stateOf(sub?.arrayJob, `${sub?.arrayJob}_${k}`);
  });
  const lastMerge = plan.submissions[plan.submissions.length - 1]?.mergeJob;
  const merge = isDone(anchor, 'merge') ? 'done' : stateOf(lastMerge, lastMerge ?? '');
  const counts = { done: 0, running: 0, pending: 0, failed: 0, 'not submitted': 0 };
  for (const st of states) counts[st]++;
  const failures = states.flatMap((st, k) => {
    if (st !== 'failed') return [];
    const log = shardLog(anchor, plan, k);
    return [{ shard: k, what: plan.shards[k].what, log, tail: logTail(log, 3) }];
  });
  return { anchor, kind: plan.kind, shards: plan.shards.length, counts, failures, merge, mergeLog: shardLog(anchor, plan, 'merge') };
}

/** `squeue`'s view of these jobs' tasks (id or id_task → state); empty where squeue is not available. */
function queue(jobs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (jobs.length === 0) return out;
  try {
    const text = execFileSync('squeue', ['-h', '-r', '-o', '%i %T', '-j', jobs.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of text.split('\n')) {
      const [id, state] = line.trim().split(/\s+/);
      if (id && state) out.set(id, state);
    }
  } catch {
    // Jobs Slurm has forgotten make squeue fail: they are no longer queued.
  }
  return out;
}

/** A failed shard as one line: its log named, its last lines quoted below. */
export function failedShardMessage(f: SlurmStatus['failures'][number]): string {
  return `shard ${f.shard} (${f.what}) failed${f.log ? `; its log: ${f.log}` : ''}${f.tail ? `\n    ${f.tail.split('\n').join('\n    ')}` : ''}`;
}
