/**
 * The influence-dynamics study (seed 002, experiment 1; Lee et al. 2510.12071): for each checkpoint
 * of a series, SGMCMC chains around it record every study sample's loss at every draw; from the
 * records, the LLC and the BIF matrix between samples, aggregated by group (correct→correct,
 * correct→incorrect, incorrect→incorrect). Per checkpoint results are written as they finish
 * (`step-<N>/`), the summary and the curves after each; a rerun with the same settings resumes.
 */
import { join } from 'node:path';
import type { InfluenceSettings } from '../api/studies';
import { writeJsonAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import { chainSteps } from '../sampling/chain';
import type { BifBlock } from '../slt/bif';
import { bindingData } from './data/binding';
import { studyData } from './data/index';
import type { StudySample } from './data/samples';
import { DATA_FILE, SETTINGS_FILE, stepFolder, type StudyHooks, SUMMARY_FILE } from './layout';
import { plotOverSteps } from './plots';
import { type CheckpointResult, checkSameRun, finishedResult, sampleCheckpoint } from './sampleCheckpoint';
import { readSeries, seriesName } from './series';

export interface InfluenceRow {
  step: number;
  result: CheckpointResult;
}

/** A curve event: where a block's BIF changes sign, or has its largest magnitude. */
export interface CurveEvent {
  observable: string;
  block: string;
  step: number;
  kind: 'sign flip' | 'peak';
  value: number;
}

export interface InfluenceSummary {
  study: 'influence';
  series: string;
  settings: InfluenceSettings;
  /** Checkpoints finished so far, by step. */
  rows: InfluenceRow[];
  /** Checkpoints in the plan. */
  planned: number[];
  events: CurveEvent[];
  finished: boolean;
}

/** A study's series and data, its settings recorded in (or checked against) its folder. */
export function prepareInfluenceStudy(s: InfluenceSettings, outDir: string) {
  const series = readSeries(s.series, s.steps);
  checkSameRun(join(outDir, SETTINGS_FILE), s);
  const data = studyData(s.data, s.pairs, s.dataSeed);
  const sampling = samplingSamples(s, data.samples);
  writeJsonAtomic(join(outDir, DATA_FILE), data);
  return { series, data, sampling };
}

export async function runInfluenceStudy(s: InfluenceSettings, outDir: string, hooks: StudyHooks = {}): Promise<InfluenceSummary> {
  const { series, data, sampling } = prepareInfluenceStudy(s, outDir);
  const perChain = chainSteps(s.sampling);
  const total = series.length * s.sampling.chains * perChain;
  const rows: InfluenceRow[] = [];
  const summary = (finished: boolean): InfluenceSummary => ({
    study: 'influence',
    series: seriesName(s.series),
    settings: s,
    rows,
    planned: series.map((c) => c.step),
    events: curveEvents(rows),
    finished,
  });
  for (const [k, c] of series.entries()) {
    const dir = stepFolder(outDir, c.step);
    const where = `step ${c.step} (${k + 1}/${series.length})`;
    const result =
      finishedResult(dir) ??
      (await sampleCheckpoint(c.dir, sampling, data.samples, s.sampling, dir, {
        signal: hooks.signal,
        device: hooks.device,
        onChain: (chain, done) =>
          hooks.onProgress?.((k * s.sampling.chains + chain) * perChain + done, total, `${where}: chain ${chain + 1}/${s.sampling.chains}, ${done}/${perChain} steps`),
      }));
    rows.push({ step: c.step, result });
    writeJsonAtomic(join(outDir, SUMMARY_FILE), summary(false));
    plotInfluence(outDir, rows);
    hooks.onProgress?.((k + 1) * s.sampling.chains * perChain, total, `${where}: done, LLC ${result.llc.mean.toFixed(2)}`);
  }
  const done = summary(true);
  writeJsonAtomic(join(outDir, SUMMARY_FILE), done);
  return done;
}

/** What a study's chains sample on: `binding` programs, the study's own samples (`study`, `study:<group>`), or a data set or file. */
export function samplingSamples(s: Pick<InfluenceSettings, 'samplingData' | 'samplingSize' | 'dataSeed'>, study: StudySample[]): StudySample[] {
  if (s.samplingData === 'binding') return bindingData(s.samplingSize, s.dataSeed + 1).samples;
  if (s.samplingData === 'study') return study;
  if (s.samplingData.startsWith('study:')) {
    const group = s.samplingData.slice('study:'.length);
    const picked = study.filter((x) => x.group === group);
    if (!picked.length) throw new IntrospectError(`no study samples in group "${group}" (groups: ${[...new Set(study.map((x) => x.group))].join(', ')})`, '--sampling-data');
    return picked;
  }
  return studyData(s.samplingData, s.samplingSize, s.dataSeed + 1).samples;
}

const blockName = (b: Pick<BifBlock, 'from' | 'to'>) => `${b.from}→${b.to}`;

/** Sign flips between consecutive checkpoints, and each block's largest |BIF|. */
export function curveEvents(rows: InfluenceRow[]): CurveEvent[] {
  const events: CurveEvent[] = [];
  const observables = Object.keys(rows[0]?.result.bif ?? {});
  for (const obs of observables) {
    const names = rows[0].result.bif![obs].blocks.map(blockName);
    for (const name of names) {
      const curve = rows.map((r) => ({ step: r.step, value: r.result.bif![obs].blocks.find((b) => blockName(b) === name)!.bif }));
      for (let i = 1; i < curve.length; i++)
        if (Math.sign(curve[i].value) !== Math.sign(curve[i - 1].value) && curve[i].value !== 0)
          events.push({ observable: obs, block: name, step: curve[i].step, kind: 'sign flip', value: curve[i].value });
      const peak = curve.reduce((a, b) => (Math.abs(b.value) > Math.abs(a.value) ? b : a));
      events.push({ observable: obs, block: name, step: peak.step, kind: 'peak', value: peak.value });
    }
  }
  return events;
}

function plotInfluence(outDir: string, rows: InfluenceRow[]): void {
  const steps = rows.map((r) => r.step);
  const llc = rows.map((r) => r.result.llc);
  plotOverSteps(
    join(outDir, 'llc.png'),
    [{ name: 'LLC (mean ± std over chains)', xs: steps, ys: llc.map((l) => l.mean), lo: llc.map((l) => l.mean - l.std), hi: llc.map((l) => l.mean + l.std) }],
    'Local learning coefficient over training',
    'λ̂',
  );
  const events = curveEvents(rows);
  for (const obs of Object.keys(rows[0].result.bif ?? {})) {
    const names = rows[0].result.bif![obs].blocks.map(blockName);
    const curves = names.map((name) => {
      const blocks = rows.map((r) => r.result.bif![obs].blocks.find((b) => blockName(b) === name)!);
      const ys = blocks.map((b) => b.bif);
      const sd = blocks.map((b) => (Number.isNaN(b.bifChainStd) ? 0 : b.bifChainStd));
      return { name: `BIF ${name}`, xs: steps, ys, lo: ys.map((y, i) => y - sd[i]), hi: ys.map((y, i) => y + sd[i]) };
    });
    const marks = (kind: CurveEvent['kind']) => {
      const hits = events.filter((e) => e.observable === obs && e.kind === kind);
      return { name: kind === 'peak' ? 'largest |BIF| of a curve' : 'sign flip', xs: hits.map((e) => e.step), ys: hits.map((e) => e.value), points: true };
    };
    const series = [...curves, marks('sign flip'), marks('peak')].filter((c) => c.xs.length);
    plotOverSteps(join(outDir, `influence-${obs}.png`), series, `Mean BIF between groups (${obs} losses; band: ± std over chains)`, 'BIF = −Cov');
  }
}
