/**
 * Study shards run in worker processes on this machine: each shard is the CLI's own command for
 * it (`shardCommand`, as on Slurm), at most `workers` at once, each
 * process given its share of the cores (INTROSPECT_THREADS) so they do not fight over them. A
 * shard writes its records into the study folder as it would on Slurm; cancelling kills them all.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Device } from '../api/types';
import { IntrospectError } from '../errors';
import { cliInvocation } from '../slurm/submit';
import { shardCommand, type StudyShard } from './kinds';

export interface WorkerOptions {
  workers: number;
  device?: Device;
  signal?: AbortSignal;
  onDone?: (shard: StudyShard) => void;
}

/** Worker processes worth running here by default: one per two cores, at least one. */
export const defaultWorkers = () => Math.max(1, Math.floor(availableParallelism() / 2));

export async function runShardsInProcesses(studyDir: string, shards: StudyShard[], o: WorkerOptions): Promise<void> {
  const [exe, ...pre] = cliInvocation();
  const threads = String(Math.max(1, Math.floor(availableParallelism() / o.workers)));
  const queue = [...shards];
  const running = new Set<ReturnType<typeof spawn>>();
  let failure: Error | undefined;
  const stop = () => running.forEach((p) => p.kill('SIGTERM'));
  o.signal?.addEventListener('abort', stop, { once: true });
  const one = async (): Promise<void> => {
    for (let shard = queue.shift(); shard && !failure && !o.signal?.aborted; shard = queue.shift()) {
      const args = [...pre, ...shardCommand(studyDir, shard), '--device', o.device ?? 'auto'];
      const child = spawn(exe, args, { env: { ...process.env, INTROSPECT_THREADS: threads }, stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      running.delete(child);
      if (o.signal?.aborted) return;
      if (code !== 0) {
        // The CLI prints a user error as its last line; the progress bar's carriage returns come before it.
        const why = err.split(/[\r\n]/).filter(Boolean).pop() ?? `exit code ${code}`;
        failure ??= new IntrospectError(`the worker for step ${shard.step}${shard.component ? `, ${shard.component}` : ''} failed: ${why}`);
        stop();
        return;
      }
      o.onDone?.(shard);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.workers, shards.length) }, one));
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
  o.signal?.throwIfAborted();
  if (failure) throw failure;
}
