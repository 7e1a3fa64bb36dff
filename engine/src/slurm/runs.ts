/**
 * Runs split into Slurm shards: planning a benchmark suite (a shard per experiment × model ×
 * length) and a study (a shard per checkpoint, or checkpoint × chain) — a trace experiment plans its own from its
 * command line — submitting, resubmitting what did not finish, their status, and running one shard.
 */
import { resolve } from 'node:path';
import type { ShardProgress } from '../api/protocol';
import type { SlurmOptions, SlurmStatus, SlurmSubmitted } from '../api/slurm';
import { IntrospectError } from '../errors';
import { readStudySettings } from '../studies/folders';
import { shardCommand, studyShards } from '../studies/kinds';
import type { Suite } from '../tasks/config';
import { prepareSuite, readSuitePlan } from '../tasks/runner';
import { hasPlan, isDone, type Job, markDone, readPlan, type Shard, type SlurmPlan, writePlan } from './plan';
import { cancelJobs, cliInvocation, slurmStatus, submit } from './submit';

/** Plans `shards` for the run in `anchor` and submits them with the merge job. */
export function planAndSubmit(anchor: string, kind: SlurmPlan['kind'], shards: Shard[], merge: string[], options: SlurmOptions): SlurmSubmitted {
  const plan: SlurmPlan = { kind, cli: cliInvocation(), cwd: process.cwd(), shards, merge, options, submissions: [] };
  writePlan(anchor, plan);
  return { ...submit(anchor, plan, shards.map((_, k) => k)), dirs: runDirsOf(anchor) };
}

/** The run folders of the run anchored in `anchor`: its suite's, or itself. */
function runDirsOf(anchor: string): string[] {
  return readSuitePlan(anchor)?.runDirs.flatMap((d) => (d ? [resolve(anchor, '..', d)] : [])) ?? [anchor];
}

/** A suite as shards, one per (experiment, model, length); the merge resumes the whole suite, which finds every sample done. */
export function submitSuite(suite: Suite, models: string[], outDir: string, m: { device: string; dtype: string }, options: SlurmOptions): SlurmSubmitted {
  const dirs = prepareSuite(suite, models, outDir);
  const device = ['--device', m.device, '--dtype', m.dtype];
  const shards = dirs.flatMap((dir, e) =>
    models.flatMap((model, i) =>
      suite.experiments[e].lengths.map((length) => {
        const name = `shard-${e}-${i}-${length}`;
        return { name, what: `${suite.experiments[e].name}, ${model}, length ${length}`, args: ['resume', dir, '--shard', name, '--shard-models', model, '--shard-lengths', String(length), ...device] };
      }),
    ),
  );
  return planAndSubmit(dirs[0], 'bench', shards, ['resume', dirs[0], ...device], options);
}

/** A study folder (its settings written) as shards, one per checkpoint (× chain, or × component); the merge resumes the study, which finds every shard's work done. */
export function submitStudy(dir: string, device: string, options: SlurmOptions): SlurmSubmitted {
  const flags = ['--device', device];
  const shards = studyShards(readStudySettings(dir), dir).map((shard) => {
    const part = shard.chain !== undefined ? [`chain-${shard.chain}`, `chain ${shard.chain}`] : shard.component ? [shard.component, shard.component] : undefined;
    return { name: `step-${shard.step}${part ? `-${part[0]}` : ''}`, what: `step ${shard.step}${part ? `, ${part[1]}` : ''}`, args: [...shardCommand(dir, shard), ...flags] };
  });
  return planAndSubmit(dir, 'study', shards, ['resume', dir, ...flags], options);
}

/** The folder holding the plan for `dir`: itself, or the first run folder of its suite. */
export function anchorOf(dir: string): string | undefined {
  if (hasPlan(dir)) return dir;
  const first = readSuitePlan(dir)?.runDirs[0];
  const candidate = first ? resolve(dir, '..', first) : undefined;
  return candidate && hasPlan(candidate) ? candidate : undefined;
}

function planOf(dir: string): { anchor: string; plan: SlurmPlan } {
  const anchor = anchorOf(dir);
  if (!anchor) throw new IntrospectError("was not run on Slurm (no slurm/plan.json here or in its suite's first folder)", dir);
  return { anchor, plan: readPlan(anchor) };
}

export function runStatus(dir: string): SlurmStatus {
  const { anchor, plan } = planOf(dir);
  return { ...slurmStatus(anchor, plan), dirs: runDirsOf(anchor) };
}

/** How far a run sent to Slurm is, from its folder alone (no queue); undefined for a local run. */
export function shardProgress(dir: string): ShardProgress | undefined {
  const anchor = anchorOf(dir);
  if (!anchor) return undefined;
  const plan = readPlan(anchor);
  return { shards: plan.shards.length, done: plan.shards.filter((_, k) => isDone(anchor, k)).length, merged: isDone(anchor, 'merge') };
}

/** Resubmits the shards of `dir` that did not finish (with `options` this time), and a merge job after them. */
export function resubmit(dir: string, options: SlurmOptions): SlurmSubmitted {
  const { anchor, plan } = planOf(dir);
  const status = slurmStatus(anchor, plan);
  if (status.merge === 'done') throw new IntrospectError('is finished: every shard and the merge ran', anchor);
  if (status.counts.running + status.counts.pending) throw new IntrospectError(`has shards still queued or running (${status.counts.running} running, ${status.counts.pending} pending); wait, or cancel them with scancel`, anchor);
  if (status.merge === 'running') throw new IntrospectError('has its merge job running; wait for it', anchor);
  // An earlier merge waits forever on shards that failed.
  cancelJobs(plan.submissions.map((s) => s.mergeJob).filter(Boolean));
  plan.options = options;
  return { ...submit(anchor, plan, plan.shards.map((_, k) => k).filter((k) => !isDone(anchor, k))), dirs: runDirsOf(anchor) };
}

/** Runs shard `k` (or the merge) of the plan in `anchor` with the CLI's own dispatcher, then marks it done. */
export async function runShard(anchor: string, k: Job, run: (args: string[]) => Promise<void>): Promise<void> {
  const plan = readPlan(anchor);
  const args = k === 'merge' ? plan.merge : plan.shards[k]?.args;
  if (!args) throw new IntrospectError(`has no shard ${k} (it has ${plan.shards.length})`, anchor);
  if (isDone(anchor, k)) return;
  await run(args);
  markDone(anchor, k);
}
