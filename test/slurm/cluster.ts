/**
 * A real one-node Slurm cluster for the tests, started in a temporary folder and stopped after:
 * its own munged (own key and socket), slurmctld and slurmd in the foreground on free ports, and a
 * generated slurm.conf (this host's short name, CPUs and memory; root as SlurmUser; linuxproc
 * process tracking, no task plugin, no accounting). Clients reach it through SLURM_CONF.
 * `startCluster` returns why not where it cannot start (no Slurm installed, not root).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Cluster {
  /** The environment that points sbatch, squeue and the CLI at this cluster. */
  env: NodeJS.ProcessEnv;
  partition: string;
  dir: string;
  stop(): Promise<void>;
}

const BINARIES = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scancel'];

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(): Promise<Cluster | string> {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return `Slurm is not installed (missing ${missing.join(', ')}; test/slurm/setup.sh installs slurm-wlm and munge)`;
  if (process.getuid?.() !== 0) return 'the one-node test cluster runs its daemons as root (SlurmUser=root); run the tests as root';
  const dir = mkdtempSync(join(tmpdir(), 'introspect-slurm-'));
  for (const d of ['state', 'spool', 'log', 'run']) mkdirSync(join(dir, d));
  const socket = join(dir, 'munge.sock');
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('mungekey', ['-c', '-k', join(dir, 'munge.key')], { stdio: 'ignore' });
    const munged = ['-F', '-f', `--socket=${socket}`, `--key-file=${join(dir, 'munge.key')}`, `--log-file=${join(dir, 'log', 'munged.log')}`, `--pid-file=${join(dir, 'run', 'munged.pid')}`, `--seed-file=${join(dir, 'munged.seed')}`];
    children.push(spawn('munged', munged, { stdio: 'ignore' }));
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const host = hostname().split('.')[0];
    const memory = Math.floor((totalmem() / 2 ** 20) * 0.9);
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=introspect-test',
        `SlurmctldHost=${host}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'run', 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'run', 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'ReturnToService=2',
        'AccountingStorageType=accounting_storage/none',
        'JobAcctGatherType=jobacct_gather/none',
        'MpiDefault=none',
        // Short intervals: the tests wait for jobs.
        'SchedulerParameters=sched_interval=1',
        'MinJobAge=600',
        `NodeName=${host} CPUs=${cpus().length} RealMemory=${memory} State=UNKNOWN`,
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, SLURM_CONF: conf };
    await waitFor(() => {
      execFileSync('munge', ['-S', socket, '-n'], { stdio: 'ignore' });
      return true;
    }, 10_000, 'munged');
    children.push(spawn('slurmctld', ['-D', '-f', conf], { env, stdio: 'ignore' }));
    children.push(spawn('slurmd', ['-D', '-f', conf], { env, stdio: 'ignore' }));
    await waitFor(() => /idle/.test(execFileSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })), 60_000, 'the node to be idle');
    return { env, partition: 'debug', dir, stop };
  } catch (e) {
    const logs = ['slurmctld.log', 'slurmd.log', 'munged.log'].map((f) => {
      try {
        return `${f}: ${readFileSync(join(dir, 'log', f), 'utf8').trim().split('\n').slice(-3).join(' | ')}`;
      } catch {
        return `${f}: (none)`;
      }
    });
    await stop();
    return `Slurm did not start: ${(e as Error).message}; ${logs.join('; ')}`;
  }
}

async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (ok()) return;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message.split('\n')[0]})` : ''}`);
}

/** Waits until none of `jobs` is queued or running (a job Slurm no longer knows has ended). */
export async function waitForJobs(c: Cluster, jobs: string[], ms = 600_000): Promise<void> {
  const active = () => {
    try {
      return execFileSync('squeue', ['-h', '-r', '-o', '%i', '-t', 'PD,R,CF,CG,RQ,S', '-j', jobs.join(',')], { env: c.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  await waitFor(() => active() === '', ms, `jobs ${jobs.join(', ')}`);
}
