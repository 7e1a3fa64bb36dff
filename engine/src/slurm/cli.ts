/**
 * The `--slurm` flags every long command takes, and what the CLI prints about Slurm runs:
 *
 *   introspect bench <suite> --models … --slurm [--slurm-partition P] [--slurm-time 1:00:00] [--slurm-gpus 1]
 *                    [--slurm-cpus 4] [--slurm-mem 16G] [--slurm-max-parallel 8] [--slurm-extra="--account=X …"] [--slurm-dry-run]
 *   introspect status <run folder>
 *   introspect resume <run folder> --slurm …     resubmits the shards that did not finish
 *   introspect shard <run folder> <k|merge>      what an array task (or the merge job) runs
 */
import { SlurmOptions, type SlurmStatus, type SlurmSubmitted } from '../api/slurm';
import { type Flags, positiveInt } from '../cliArgs';
import { IntrospectError } from '../errors';
import { failedShardMessage } from './submit';

export const SLURM_FLAGS = {
  slurm: { type: 'boolean', default: false },
  'slurm-partition': { type: 'string' },
  'slurm-time': { type: 'string' },
  'slurm-gpus': { type: 'string' },
  'slurm-cpus': { type: 'string' },
  'slurm-mem': { type: 'string' },
  'slurm-max-parallel': { type: 'string' },
  'slurm-extra': { type: 'string' },
  'slurm-dry-run': { type: 'boolean', default: false },
} as const satisfies Flags;

export const SLURM_USAGE =
  '[--slurm [--slurm-partition P] [--slurm-time 1:00:00] [--slurm-gpus N] [--slurm-cpus N] [--slurm-mem 8G] [--slurm-max-parallel N] [--slurm-extra="--account=X --qos=Y"] [--slurm-dry-run]]';

type SlurmValues = { [K in keyof typeof SLURM_FLAGS]?: (typeof SLURM_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** The options when the command should go to Slurm (`--slurm` or `--slurm-dry-run`), else undefined. */
export function slurmOptions(v: SlurmValues): SlurmOptions | undefined {
  if (!v.slurm && !v['slurm-dry-run']) {
    const given = (Object.keys(SLURM_FLAGS) as (keyof SlurmValues)[]).filter((k) => k.startsWith('slurm-') && v[k] !== undefined && v[k] !== false);
    if (given.length) throw new IntrospectError('is given without --slurm', `--${given[0]}`);
    return undefined;
  }
  const count = (k: 'slurm-gpus' | 'slurm-cpus' | 'slurm-max-parallel') => (v[k] === undefined ? undefined : positiveInt(v[k], `--${k}`));
  const options = {
    partition: v['slurm-partition'],
    time: v['slurm-time'],
    gpus: count('slurm-gpus'),
    cpus: count('slurm-cpus'),
    mem: v['slurm-mem'],
    maxParallel: count('slurm-max-parallel'),
    extra: v['slurm-extra'],
    dryRun: v['slurm-dry-run'] ?? false,
  };
  const r = SlurmOptions.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = `--slurm-${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new IntrospectError(`${issue.message}, got "${options[issue.path[0] as keyof typeof options]}"`, flag);
  }
  return r.data;
}

/** `argv` without its `--slurm…` flags (what the merge job and the shards run). */
export function withoutSlurmFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--slurm')) {
      out.push(a);
      continue;
    }
    const name = a.split('=')[0].slice(2) as keyof typeof SLURM_FLAGS;
    if (SLURM_FLAGS[name]?.type === 'string' && !a.includes('=')) i++;
  }
  return out;
}

export function printSubmitted(r: SlurmSubmitted): void {
  if (!r.arrayJob && !r.mergeJob) {
    console.log(`wrote ${r.scripts.join(' and ')} (${r.shards} shards); nothing submitted. To submit:`);
    console.log(r.scripts.length === 2 ? `  a=$(sbatch --parsable ${r.scripts[0]}) && sbatch --dependency=afterok:$a ${r.scripts[1]}` : `  sbatch ${r.scripts[0]}`);
  } else if (!r.arrayJob) console.log(`every shard is done: submitted the merge as job ${r.mergeJob}; follow with: introspect status ${r.anchor}`);
  else console.log(`submitted ${r.shards} shards as array job ${r.arrayJob} and the merge as job ${r.mergeJob}; follow with: introspect status ${r.anchor}`);
}

/** What `introspect status` prints. */
export function statusLines(s: SlurmStatus): string[] {
  const c = s.counts;
  const lines = [
    `${s.anchor}: ${s.kind}, ${s.shards} shards — ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed${c['not submitted'] ? `, ${c['not submitted']} not submitted` : ''}; merge ${s.merge}`,
    ...s.failures.map((f) => `  ${failedShardMessage(f)}`),
  ];
  if (s.merge === 'failed' && c.failed === 0 && s.mergeLog) lines.push(`  the merge failed; its log: ${s.mergeLog}`);
  if (c.failed || s.merge === 'failed') lines.push(`  resubmit what did not finish with: introspect resume ${s.anchor} --slurm`);
  return lines;
}
