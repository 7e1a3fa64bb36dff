/**
 * Study folders as the extension sees them: listed from a results folder, their summary and one
 * checkpoint's BIF matrix read back, an unfinished one resumed with its own recorded settings.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyMatrix, StudyRunInfo } from '../api/protocol';
import type { InfluenceSettings } from '../api/studies';
import type { Device } from '../api/types';
import { writeJsonAtomic } from '../atomicWrite';
import { openSafetensors } from '../checkpoint/safetensors';
import { readJsonFile } from '../checkpoint/folder';
import { IntrospectError } from '../errors';
import { createRunDir, subfolders } from '../tasks/results';
import type { StudyData } from './data/samples';
import { DATA_FILE, type InfluenceSummary, prepareInfluenceStudy, runInfluenceStudy, SETTINGS_FILE, stepFolder, type StudyHooks, SUMMARY_FILE } from './influence';
import { sampleChain } from './sampleCheckpoint';
import { readSeries, seriesName } from './series';

export function isStudyDir(dir: string): boolean {
  return existsSync(join(dir, SETTINGS_FILE));
}

export function readStudySettings(dir: string): InfluenceSettings {
  if (!isStudyDir(dir)) throw new IntrospectError(`not a study folder (no ${SETTINGS_FILE})`, dir);
  return readJsonFile(join(dir, SETTINGS_FILE)) as InfluenceSettings;
}

/** The summary so far; before the first checkpoint finishes, an empty one. */
export function readStudySummary(dir: string): InfluenceSummary {
  const settings = readStudySettings(dir);
  const file = join(dir, SUMMARY_FILE);
  if (existsSync(file)) return readJsonFile(file) as InfluenceSummary;
  return { study: 'influence', series: seriesName(settings.series), settings, rows: [], planned: settings.steps ?? [], events: [], finished: false };
}

/** Study folders directly under `root`, newest first. */
export function listStudies(root: string): StudyRunInfo[] {
  return subfolders(root)
    .filter(isStudyDir)
    .map((dir) => {
      const s = readStudySummary(dir);
      return {
        dir,
        study: s.study,
        series: s.series,
        startedAt: statSync(join(dir, SETTINGS_FILE)).mtime.toISOString(),
        finished: s.finished,
        planned: s.planned,
        done: s.rows.map((r) => r.step),
      };
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export async function readStudyMatrix(dir: string, step: number, observable: string): Promise<StudyMatrix> {
  const file = join(stepFolder(dir, step), 'bif.safetensors');
  if (!existsSync(file)) throw new IntrospectError(`step ${step} has no BIF matrix yet`, dir);
  const data = JSON.parse(readFileSync(join(dir, DATA_FILE), 'utf8')) as StudyData;
  const st = await openSafetensors(file);
  try {
    const name = `bif.${observable}`;
    if (!st.header.tensors.has(name)) throw new IntrospectError(`no ${observable} matrix (has: ${[...st.header.tensors.keys()].join(', ')})`, file);
    return { bif: Array.from((await st.readFloat(name)).data), samples: data.samples.map((s) => ({ group: s.group, pair: s.pair, text: s.text })) };
  } finally {
    await st.close();
  }
}

/** A new study folder under `resultsDir` holding its settings, once they are known to name a readable series. */
export function createStudy(resultsDir: string, id: string, settings: InfluenceSettings): string {
  readSeries(settings.series, settings.steps);
  const dir = createRunDir(resultsDir, id, new Date());
  writeJsonAtomic(join(dir, SETTINGS_FILE), settings);
  return dir;
}

/** Continues a study folder with the settings it was started with. */
export function resumeStudy(dir: string, hooks: StudyHooks = {}): Promise<InfluenceSummary> {
  return runInfluenceStudy(readStudySettings(dir), dir, hooks);
}

/**
 * One chain of one checkpoint of a study folder (a Slurm shard): recorded into the checkpoint's
 * folder, for the study's resume to read when every chain is there.
 */
export async function runStudyShard(dir: string, step: number, chain: number, device?: Device): Promise<void> {
  const settings = readStudySettings(dir);
  const { series, data, sampling } = prepareInfluenceStudy(settings, dir);
  const checkpoint = series.find((c) => c.step === step);
  if (!checkpoint) throw new IntrospectError(`has no checkpoint at step ${step} (steps: ${series.map((c) => c.step).join(', ')})`, dir);
  await sampleChain(checkpoint.dir, sampling, data.samples, settings.sampling, stepFolder(dir, step), chain, { device });
}
