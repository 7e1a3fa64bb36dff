/**
 * Slurm submission as it crosses boundaries — the CLI's `--slurm-*` flags, JSON-RPC params, the
 * extension's settings, `slurm/plan.json` — and a run's shard status as `introspect status` and the
 * runner show it.
 */
import { z } from 'zod';

/** One word of sbatch's own syntax (`gpu`, `1:00:00`, `16G`): nothing a shell or sbatch would split. */
const word = z.string().regex(/^[\w:.-]+$/, 'must be one word (letters, digits, : . - _)').max(256);
const count = z.number().int().min(1).max(1_000_000);

export const SlurmOptions = z.object({
  partition: word.optional(),
  /** Wall time per job, Slurm's format (`1:00:00`). */
  time: word.optional(),
  /** GPUs per job (`--gres=gpu:N`). */
  gpus: count.optional(),
  cpus: count.optional(),
  /** Memory per job, Slurm's format (`8G`). */
  mem: word.optional(),
  /** At most this many array tasks at once (`--array=…%N`). */
  maxParallel: count.optional(),
  /** More sbatch options, one `#SBATCH` line each (`--account=lab --qos=low`). */
  extra: z.string().regex(/^[^\n]*$/, 'must be one line').max(1024).optional(),
  /** Write the scripts, submit nothing. */
  dryRun: z.boolean(),
});
export type SlurmOptions = z.infer<typeof SlurmOptions>;

/** What a submission did: the folder holding its plan, the shards, the jobs (empty in a dry run) and the scripts. */
export interface SlurmSubmitted {
  anchor: string;
  /** The run folders it writes (a suite's, one per experiment; else the anchor). */
  dirs: string[];
  shards: number;
  arrayJob: string;
  mergeJob: string;
  scripts: string[];
}

export type ShardState = 'done' | 'running' | 'pending' | 'failed' | 'not submitted';

export interface SlurmStatus {
  /** The folder holding `slurm/plan.json`. */
  anchor: string;
  dirs: string[];
  kind: 'bench' | 'trace' | 'study';
  shards: number;
  counts: Record<ShardState, number>;
  /** Failed shards: what each did, its log and the log's last lines. */
  failures: { shard: number; what: string; log?: string; tail: string }[];
  /** The merge job, which writes the summaries once every shard is done. */
  merge: ShardState;
  mergeLog?: string;
}
