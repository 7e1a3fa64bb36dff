/**
 * Study folders as the extension sees them: listed from a results folder, their summary and one
 * checkpoint's BIF matrix read back, an unfinished one resumed with its own recorded settings,
 * whichever study it is.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LatentBrowser, StudyMatrix, StudyRunInfo, StudyUmap } from '../api/protocol';
import { type StudyChoice, type StudySettings, StudyChoice as StudyChoiceSchema, studyIdOf } from '../api/studies';
import type { Device } from '../api/types';
import { writeJsonAtomic } from '../atomicWrite';
import { openSafetensors } from '../checkpoint/safetensors';
import { readJsonFile } from '../checkpoint/folder';
import { IntrospectError } from '../errors';
import { createRunDir, subfolders } from '../tasks/results';
import { Tokenizer } from '../tokenizer';
import type { StudyData } from './data/samples';
import { BROWSER_FILE, type BrowsedLatent, readEmergenceRow } from './emergence';
import { emptySummary, runStudy, runStudyShardOf, type StudyShard, type StudySummary } from './kinds';
import { DATA_FILE, SETTINGS_FILE, stepFolder, type StudyHooks, SUMMARY_FILE } from './layout';
import { readSeries } from './series';
import { studyUmap } from './umap';

export function isStudyDir(dir: string): boolean {
  return existsSync(join(dir, SETTINGS_FILE));
}

export function readStudySettings(dir: string): StudySettings {
  if (!isStudyDir(dir)) throw new IntrospectError(`not a study folder (no ${SETTINGS_FILE})`, dir);
  const settings = readJsonFile(join(dir, SETTINGS_FILE)) as StudySettings;
  const checked = StudyChoiceSchema.safeParse({ id: studyIdOf(settings), settings });
  if (!checked.success) throw new IntrospectError(`${SETTINGS_FILE} is not a study's settings (${checked.error.issues[0].path.slice(1).join('.')}: ${checked.error.issues[0].message})`, dir);
  return checked.data.settings;
}

/** The summary so far; before the first checkpoint finishes, an empty one. */
export function readStudySummary(dir: string): StudySummary {
  const settings = readStudySettings(dir);
  const file = join(dir, SUMMARY_FILE);
  return existsSync(file) ? (readJsonFile(file) as StudySummary) : emptySummary(settings);
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

/** An emergence study's latent browser at `step`, with the token spans of the samples it names (under that checkpoint's tokenizer). */
export async function readLatentBrowser(dir: string, step: number): Promise<LatentBrowser> {
  const file = join(stepFolder(dir, step), BROWSER_FILE);
  if (!existsSync(file)) throw new IntrospectError(`step ${step} has no latent browser yet`, dir);
  const latents = readJsonFile(file) as BrowsedLatent[];
  const data = readJsonFile(join(dir, DATA_FILE)) as StudyData;
  const row = readEmergenceRow(stepFolder(dir, step))!;
  const tokenizer = await Tokenizer.fromDir(row.dir);
  const named = [...new Set(latents.flatMap((l) => l.top.map((t) => t.sample)))].sort((a, b) => a - b);
  return {
    latents,
    samples: named.map((index) => {
      const { text, group } = data.samples[index];
      return { index, text, group, tokens: tokenizer.encode(text).map((t): [number, number] => [t.start, t.end]) };
    }),
  };
}

/** A susceptibility study's UMAP and PCA frames of its finished checkpoints, with the probe texts. */
export async function readStudyUmap(dir: string, signal?: AbortSignal): Promise<StudyUmap> {
  const frames = await studyUmap(dir, readStudySummary(dir), { signal });
  const data = readJsonFile(join(dir, DATA_FILE)) as StudyData;
  return { ...frames, samples: data.samples.map((x) => x.text) };
}

/** A new study folder under `resultsDir` holding its settings, once they are known to name a readable series. */
export function createStudy(resultsDir: string, { id, settings }: StudyChoice): string {
  readSeries(settings.series, settings.steps);
  const dir = createRunDir(resultsDir, id, new Date());
  writeJsonAtomic(join(dir, SETTINGS_FILE), settings);
  return dir;
}

/** Continues a study folder with the settings it was started with. */
export function resumeStudy(dir: string, hooks: StudyHooks = {}): Promise<StudySummary> {
  return runStudy(readStudySettings(dir), dir, hooks);
}

/**
 * One shard of a study folder (on Slurm): a checkpoint, or one chain of it, written into the
 * checkpoint's folder for the study's resume to read when every shard is there.
 */
export function runStudyShard(dir: string, shard: StudyShard, device?: Device): Promise<void> {
  return runStudyShardOf(readStudySettings(dir), dir, shard, device);
}
