/**
 * The studies by id: how each runs over a series, what its summary is before a checkpoint has
 * finished, and how it splits into Slurm shards. Study folders, `introspect resume`, the server and
 * Slurm go through here, so a study is added in one place.
 */
import type { EmergenceSettings, InfluenceSettings, StudyId, StudySettings, SusceptibilitySettings } from '../api/studies';
import { studyIdOf } from '../api/studies';
import type { Device } from '../api/types';
import { IntrospectError } from '../errors';
import { analyseCheckpoint, type EmergenceSummary, prepareEmergenceStudy, readEmergenceRow, runEmergenceStudy } from './emergence';
import { type InfluenceSummary, prepareInfluenceStudy, runInfluenceStudy } from './influence';
import { stepFolder, type StudyHooks } from './layout';
import { sampleChain } from './sampleCheckpoint';
import { type Checkpoint, seriesName } from './series';
import { prepareSusceptibilityStudy, runsOf, runSusceptibilityStudy, sampleRun, type SusceptibilitySummary } from './susceptibility';

export type StudySummary = InfluenceSummary | EmergenceSummary | SusceptibilitySummary;

/** One unit of a study's work that a shard runs (on Slurm, or in a worker process): a checkpoint, one chain of it, or one component's run of it. */
export interface StudyShard {
  step: number;
  chain?: number;
  component?: string;
}

/** The CLI's command line that runs one shard of the study in `dir` (what a Slurm job or a worker process runs). */
export function shardCommand(dir: string, { step, chain, component }: StudyShard): string[] {
  return ['resume', dir, '--shard-step', String(step), ...(chain !== undefined ? ['--shard-chain', String(chain)] : []), ...(component ? ['--shard-component', component] : [])];
}

interface StudyKind<S extends StudySettings> {
  run(settings: S, dir: string, hooks: StudyHooks): Promise<StudySummary>;
  /** The summary of a folder none of whose checkpoints has finished. */
  empty(settings: S): StudySummary;
  shards(settings: S, dir: string): StudyShard[];
  runShard(settings: S, dir: string, shard: StudyShard, device?: Device): Promise<void>;
}

function checkpointAt(series: Checkpoint[], step: number, dir: string): Checkpoint {
  const c = series.find((x) => x.step === step);
  if (!c) throw new IntrospectError(`has no checkpoint at step ${step} (steps: ${series.map((x) => x.step).join(', ')})`, dir);
  return c;
}

const influence: StudyKind<InfluenceSettings> = {
  run: runInfluenceStudy,
  empty: (s) => ({ study: 'influence', series: seriesName(s.series), settings: s, rows: [], planned: s.steps ?? [], events: [], finished: false }),
  shards: (s, dir) => prepareInfluenceStudy(s, dir).series.flatMap((c) => Array.from({ length: s.sampling.chains }, (_, chain) => ({ step: c.step, chain }))),
  async runShard(s, dir, { step, chain }, device) {
    if (chain === undefined) throw new IntrospectError('an influence shard names its chain', '--shard-chain');
    const { series, data, sampling } = prepareInfluenceStudy(s, dir);
    await sampleChain(checkpointAt(series, step, dir).dir, sampling, data.samples, s.sampling, stepFolder(dir, step), chain, { device });
  },
};

const emergence: StudyKind<EmergenceSettings> = {
  run: runEmergenceStudy,
  empty: (s) => ({ study: 'emergence', series: seriesName(s.series), settings: s, rows: [], planned: s.steps ?? [], matched: [], birth: null, finished: false }),
  shards(s, dir) {
    // A warm start chains the checkpoints, one after the other.
    if (s.sae.warmStart) throw new IntrospectError('warm-started SAEs are trained one checkpoint after another, so the study cannot be split into Slurm shards: run it without --warm-start, or here', '--warm-start');
    return prepareEmergenceStudy(s, dir).series.map((c) => ({ step: c.step }));
  },
  async runShard(s, dir, { step }, device) {
    const { series, data } = prepareEmergenceStudy(s, dir);
    const out = stepFolder(dir, step);
    if (readEmergenceRow(out)) return;
    await analyseCheckpoint(checkpointAt(series, step, dir).dir, step, data.samples, s, out, { device });
  },
};

const susceptibility: StudyKind<SusceptibilitySettings> = {
  run: runSusceptibilityStudy,
  empty: (s) => ({ study: 'susceptibility', series: seriesName(s.series), settings: s, rows: [], planned: s.steps ?? [], finished: false }),
  shards: (s, dir) => prepareSusceptibilityStudy(s, dir).series.flatMap((c) => runsOf(s, c.dir).map((component) => ({ step: c.step, component }))),
  async runShard(s, dir, { step, component }, device) {
    if (!component) throw new IntrospectError('a susceptibility shard names its component', '--shard-component');
    const study = prepareSusceptibilityStudy(s, dir);
    await sampleRun(checkpointAt(study.series, step, dir), s, study, dir, component, { device });
  },
};

const KINDS = { influence, emergence, susceptibility } satisfies Record<StudyId, unknown>;

function kindOf(settings: StudySettings): StudyKind<StudySettings> {
  return KINDS[studyIdOf(settings)] as StudyKind<StudySettings>;
}

export const runStudy = (settings: StudySettings, dir: string, hooks: StudyHooks = {}) => kindOf(settings).run(settings, dir, hooks);
export const emptySummary = (settings: StudySettings) => kindOf(settings).empty(settings);
export const studyShards = (settings: StudySettings, dir: string) => kindOf(settings).shards(settings, dir);
export const runStudyShardOf = (settings: StudySettings, dir: string, shard: StudyShard, device?: Device) => kindOf(settings).runShard(settings, dir, shard, device);
