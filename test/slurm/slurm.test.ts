/**
 * `--slurm` on a real one-node Slurm cluster (cluster.ts): a sharded benchmark and a sharded study
 * merge to what a local run writes; a shard cancelled in the queue is reported failed with its log,
 * and `resume --slurm` reruns only it; a bad partition is a clear error. The dry run needs no
 * cluster. Where Slurm cannot start the cluster tests skip with the reason — except under
 * INTROSPECT_REQUIRE_SLURM=1 (CI), where that is a failure.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeTinyCheckpoint } from '../../engine/src/checkpoint/tiny';
import type { SlurmPlan } from '../../engine/src/slurm/plan';
import { tinySeries } from '../studies/tinySeries';
import { type Cluster, startCluster, waitForJobs } from './cluster';

const root = mkdtempSync(join(tmpdir(), 'introspect-slurm-test-'));
const model = join(root, 'model');
let series = '';
let cluster: Cluster | undefined;
let why = '';

before(async () => {
  await writeTinyCheckpoint(model, { modelType: 'llama', seed: 4 });
  series = await tinySeries(join(root, 'train'));
  const c = await startCluster();
  if (typeof c === 'string') {
    why = c;
    if (process.env.INTROSPECT_REQUIRE_SLURM === '1') throw new Error(`INTROSPECT_REQUIRE_SLURM is set but ${c}`);
  } else cluster = c;
});
after(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'engine', 'src', 'cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...(cluster?.env ?? process.env), INTROSPECT_CACHE: join(root, 'cache') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const runDirs = (out: string) =>
  readdirSync(out)
    .filter((d) => existsSync(join(out, d, 'config.json')))
    .sort()
    .map((d) => join(out, d));
/** A run's rows in a fixed order, from every results file of the folder. */
const rows = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^results(\..+)?\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
    .sort((a, b) => `${a.model} ${a.seqLen} ${a.sample}`.localeCompare(`${b.model} ${b.seqLen} ${b.sample}`));

const BENCH = ['bench', 'variable-binding', '--lengths', '2,4', '--n', '3', '--device', 'cpu'];

function assertSameBench(local: string, sharded: string): void {
  const [a, b] = [runDirs(local), runDirs(sharded)];
  assert.equal(b.length, a.length);
  a.forEach((dir, i) => {
    assert.deepEqual(readJson(join(b[i], 'summary.json')), readJson(join(dir, 'summary.json')));
    assert.deepEqual(rows(b[i]), rows(dir));
    assert.ok(existsSync(join(b[i], 'accuracy_plot.png')));
  });
}

const planOf = (anchor: string): SlurmPlan => readJson(join(anchor, 'slurm', 'plan.json'));

test('--slurm-dry-run writes the plan and the scripts and submits nothing', () => {
  const out = join(root, 'dry');
  const r = cli(...BENCH, '--models', `${model},oracle`, '--out', out, '--slurm-dry-run', '--slurm-partition', 'gpu', '--slurm-gpus', '1', '--slurm-time', '0:30:00', '--slurm-max-parallel', '3', '--slurm-extra=--account=lab --qos=low');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /nothing submitted/);
  const anchor = runDirs(out)[0];
  const plan = planOf(anchor);
  // 2 experiments × 2 models × 2 lengths.
  assert.equal(plan.shards.length, 8);
  assert.equal(plan.submissions[0].arrayJob, '');
  const array = readFileSync(join(anchor, 'slurm', 'array-0.sh'), 'utf8');
  for (const line of ['#SBATCH --array=0-7%3', '#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=0:30:00', '#SBATCH --account=lab', '#SBATCH --qos=low'])
    assert.ok(array.includes(line), `${line} in\n${array}`);
  assert.match(array, /shard .* "\$SLURM_ARRAY_TASK_ID"$/m);
  assert.ok(statSync(join(anchor, 'slurm', 'array-0.sh')).mode & 0o100);
  assert.match(readFileSync(join(anchor, 'slurm', 'merge-0.sh'), 'utf8'), /shard .* merge$/m);
  assert.deepEqual(plan.merge, ['resume', anchor, '--device', 'cpu', '--dtype', 'float32']);
  const st = cli('status', anchor);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /8 shards — 0 done, 0 running, 0 pending, 0 failed, 8 not submitted; merge not submitted/);
  // A shard run by hand (as a user's own wrapper would) is marked done.
  const one = cli('shard', anchor, '3');
  assert.equal(one.code, 0, one.err);
  assert.ok(existsSync(join(anchor, 'slurm', 'done', '3')));
});

test('--slurm flags without --slurm, and a bad shard number, are clear errors', () => {
  const r = cli(...BENCH, '--models', 'oracle', '--out', join(root, 'x'), '--slurm-partition', 'gpu');
  assert.equal(r.code, 1);
  assert.match(r.err, /--slurm-partition: is given without --slurm/);
  const anchor = runDirs(join(root, 'dry'))[0];
  const s = cli('shard', anchor, '99');
  assert.equal(s.code, 1);
  assert.match(s.err, /has no shard 99 \(it has 8\)/);
});

describe('on a one-node Slurm cluster', () => {
  const skip = () => (cluster ? false : why || 'Slurm did not start');

  test('a sharded benchmark merges to what a local run writes; a cancelled shard fails, and resume reruns only it', async (t) => {
    if (skip()) return t.skip(skip() as string);
    const models = `${model},oracle`;
    const local = join(root, 'bench-local');
    const l = cli(...BENCH, '--models', models, '--out', local);
    assert.equal(l.code, 0, l.err);

    const out = join(root, 'bench-slurm');
    const s = cli(...BENCH, '--models', models, '--out', out, '--slurm', '--slurm-partition', cluster!.partition, '--slurm-cpus', '1', '--slurm-max-parallel', '1');
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /submitted 8 shards as array job \d+ and the merge as job \d+/);
    const anchor = runDirs(out)[0];
    const first = planOf(anchor).submissions[0];
    // One task at a time: the last is still queued when cancelled — a shard that dies.
    execFileSync('scancel', [`${first.arrayJob}_7`], { env: cluster!.env });
    await waitForJobs(cluster!, [first.arrayJob]);

    // Any folder of the suite finds the plan.
    const st = cli('status', runDirs(out)[1]);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /8 shards — 7 done, 0 running, 0 pending, 1 failed/);
    assert.match(st.out, /shard 7 \(.*length 4\) failed; its log: .*slurm\/logs\/\d+_7\.log/);
    assert.match(st.out, /introspect resume .* --slurm/);
    assert.ok(!existsSync(join(runDirs(out)[1], 'summary.json')), 'no merge while a shard failed');

    const before = readdirSync(join(anchor, 'slurm', 'done')).map((k) => [k, statSync(join(anchor, 'slurm', 'done', k)).mtimeMs]);
    const again = cli('resume', anchor, '--slurm', '--slurm-partition', cluster!.partition);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /submitted 1 shards/);
    const second = planOf(anchor).submissions[1];
    assert.deepEqual(second.shards, [7]);
    await waitForJobs(cluster!, [second.arrayJob, second.mergeJob]);
    // The seven finished shards were not run again.
    for (const [k, mtime] of before) assert.equal(statSync(join(anchor, 'slurm', 'done', String(k))).mtimeMs, mtime);
    assert.match(cli('status', anchor).out, /8 shards — 8 done, 0 running, 0 pending, 0 failed; merge done/);
    assertSameBench(local, out);
    const done = cli('resume', anchor, '--slurm');
    assert.equal(done.code, 1);
    assert.match(done.err, /is finished: every shard and the merge ran/);
  });

  test('a sharded study (checkpoint × chain) merges to what a local study writes', async (t) => {
    if (skip()) return t.skip(skip() as string);
    const study = ['study', 'influence', '--series', series, '--steps', '0,6', '--pairs', '3', '--sampling-size', '16', '--chains', '2', '--draws', '4', '--burn-in', '0', '--batch', '8', '--init-batches', '2', '--device', 'cpu'];
    const local = join(root, 'study-local');
    const l = cli(...study, '--out', local);
    assert.equal(l.code, 0, l.err);
    const out = join(root, 'study-slurm');
    const s = cli(...study, '--out', out, '--slurm', '--slurm-partition', cluster!.partition);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /submitted 4 shards/);
    const sub = planOf(out).submissions[0];
    await waitForJobs(cluster!, [sub.arrayJob, sub.mergeJob]);
    const [a, b] = [readJson(join(local, 'summary.json')), readJson(join(out, 'summary.json'))];
    assert.equal(b.finished, true, readFileSync(join(out, 'slurm', 'logs', readdirSync(join(out, 'slurm', 'logs')).find((f) => f.startsWith('merge'))!), 'utf8'));
    assert.deepEqual(b.rows, a.rows);
    for (const f of ['llc.png', 'influence-claim.png', join('step-6', 'bif.safetensors')]) assert.ok(existsSync(join(out, f)), f);
  });

  test('a sharded emergence study (a shard per checkpoint) merges to what a local study writes; warm starts are not split', async (t) => {
    if (skip()) return t.skip(skip() as string);
    const study = ['study', 'emergence', '--series', series, '--steps', '0,6', '--hook', 'blocks.0.hook_resid_post', '--pairs', '12', '--latents', '16', '--batch', '8', '--sae-steps', '10', '--splice-samples', '4', '--device', 'cpu'];
    const local = join(root, 'emergence-local');
    const l = cli(...study, '--out', local);
    assert.equal(l.code, 0, l.err);
    const out = join(root, 'emergence-slurm');
    const s = cli(...study, '--out', out, '--slurm', '--slurm-partition', cluster!.partition);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /submitted 2 shards/);
    const sub = planOf(out).submissions[0];
    await waitForJobs(cluster!, [sub.arrayJob, sub.mergeJob]);
    const [a, b] = [readJson(join(local, 'summary.json')), readJson(join(out, 'summary.json'))];
    assert.equal(b.finished, true);
    assert.deepEqual(b.rows, a.rows);
    assert.deepEqual(b.matched, a.matched);
    const warm = cli(...study, '--warm-start', '--out', join(root, 'emergence-warm'), '--slurm', '--slurm-partition', cluster!.partition);
    assert.equal(warm.code, 1);
    assert.match(warm.err, /--warm-start: warm-started SAEs are trained one checkpoint after another/);
  });

  test('a sharded trace experiment (length × hops) merges to what a local one writes', async (t) => {
    if (skip()) return t.skip(skip() as string);
    const trace = ['trace-experiment', '--model', model, '--lens', '4', '--hops', '1,2', '--n', '2', '--include-heuristic', '--include-wrong', '--device', 'cpu'];
    const local = join(root, 'trace-local');
    const l = cli(...trace, '--out', local);
    assert.equal(l.code, 0, l.err);
    const out = join(root, 'trace-slurm');
    const s = cli(...trace, '--out', out, '--slurm');
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /submitted 2 shards/);
    const sub = planOf(out).submissions[0];
    await waitForJobs(cluster!, [sub.arrayJob, sub.mergeJob]);
    for (const f of ['patch_results.json', 'intervention_results.json']) assert.deepEqual(readJson(join(out, f)), readJson(join(local, f)), f);
  });

  test('a partition the cluster does not have is a clear error', (t) => {
    if (skip()) return t.skip(skip() as string);
    const r = cli(...BENCH, '--models', 'oracle', '--out', join(root, 'bad'), '--slurm', '--slurm-partition', 'nosuch');
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: --slurm: sbatch refused the job: .*invalid partition specified: nosuch/m);
  });
});
