/**
 * Following a run sent to Slurm from the runner: its shards' and merge job's states, read by the
 * engine from the run folder and the queue, polled until the merge is done or something failed.
 * Stopping the follow leaves the jobs running; the results list can follow them again.
 */
import type * as vscode from 'vscode';
import type { ProgressParams } from '../../../engine/src/api/protocol';
import { slurmStatusRequest } from '../../../engine/src/api/protocol';
import type { SlurmStatus } from '../../../engine/src/api/slurm';
import type { EngineClient } from '../engine/client';

/** How often the run folder and the queue are read. */
export const POLL_MS = 3000;

export type FollowOutcome = { kind: 'done'; status: SlurmStatus } | { kind: 'failed'; status: SlurmStatus } | { kind: 'stopped' };

export function describeStatus(s: SlurmStatus): string {
  const c = s.counts;
  const parts = [`${c.done}/${s.shards} shards done`, ...(c.running ? [`${c.running} running`] : []), ...(c.pending ? [`${c.pending} pending`] : []), ...(c.failed ? [`${c.failed} failed`] : [])];
  return `Slurm: ${parts.join(', ')}; merge ${s.merge}`;
}

/** Whether nothing more will happen without the user: every job ended, and the merge did not finish. */
function stuck(s: SlurmStatus): boolean {
  const c = s.counts;
  if (s.merge === 'running') return false;
  if (c.failed > 0) return c.running + c.pending === 0;
  return s.merge === 'failed' || s.merge === 'not submitted';
}

export async function followSlurm(engine: EngineClient, dir: string, token: vscode.CancellationToken, report: (p: Omit<ProgressParams, 'token'>) => void): Promise<FollowOutcome> {
  for (;;) {
    const status = await engine.request(slurmStatusRequest, { dir });
    // The merge counts as one more step: the run is complete when it is.
    report({ done: status.counts.done + (status.merge === 'done' ? 1 : 0), total: status.shards + 1, message: describeStatus(status) });
    if (status.merge === 'done') return { kind: 'done', status };
    if (stuck(status)) return { kind: 'failed', status };
    const stopped = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => (sub.dispose(), resolve(false)), POLL_MS);
      const sub = token.onCancellationRequested(() => (clearTimeout(timer), sub.dispose(), resolve(true)));
    });
    if (stopped || token.isCancellationRequested) return { kind: 'stopped' };
  }
}

/** The error a stuck run shows: the first failed shard with its log, or the merge's log. */
export function failureMessage(s: SlurmStatus): { message: string; log?: string } {
  const f = s.failures[0];
  if (f) return { message: `${describeStatus(s)}. Shard ${f.shard} (${f.what}) failed${f.tail ? `: ${f.tail.split('\n').pop()}` : ''}.`, log: f.log };
  return { message: `${describeStatus(s)}: the merge job did not finish.`, log: s.mergeLog };
}
