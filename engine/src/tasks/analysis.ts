/**
 * Reading results: accuracy summaries, error analysis, robust-seed search and the cross-model
 * comparison table over every run folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from './config';
import { writeFileAtomic } from '../atomicWrite';
import { listRunDirs, readResults, readRunConfig, SUMMARY_FILE, type ResultRow } from './results';

export interface Accuracy {
  n: number;
  correct: number;
  accuracy: number;
  /** Samples whose answer could not be parsed. */
  unparsed: number;
}

export interface SummaryCell extends Accuracy {
  model: string;
  seqLen: number;
  hops: number | null;
}

export interface Summary {
  experiment: string;
  overall: Accuracy;
  byModel: Record<string, Accuracy>;
  byLength: Record<string, Accuracy>;
  byHops: Record<string, Accuracy>;
  /** Accuracy by model × length (the accuracy plot's points). */
  byModelLength: (Accuracy & { model: string; length: number })[];
  /** Accuracy by model × length × hops (hops null for non-binding tasks). */
  cells: SummaryCell[];
  /** Binding tasks: accuracy on programs the line-1/line-2 heuristic can and cannot solve. */
  byHeuristic?: { reachable: Accuracy; unreachable: Accuracy };
}

function accuracy(rows: ResultRow[]): Accuracy {
  const correct = rows.filter((r) => r.correct).length;
  return { n: rows.length, correct, accuracy: rows.length ? correct / rows.length : 0, unparsed: rows.filter((r) => r.predicted === null).length };
}

function groupBy<K extends string>(rows: ResultRow[], key: (r: ResultRow) => K): Map<K, ResultRow[]> {
  const m = new Map<K, ResultRow[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

function table(rows: ResultRow[], key: (r: ResultRow) => string): Record<string, Accuracy> {
  return Object.fromEntries([...groupBy(rows, key)].map(([k, rs]) => [k, accuracy(rs)]));
}

function heuristicReachable(r: ResultRow): boolean | undefined {
  const h = r.metadata.heuristic as { reachable?: boolean } | undefined;
  return h?.reachable;
}

export function summarize(rows: ResultRow[], experiment: string): Summary {
  const cells = [...groupBy(rows, (r) => `${r.model}\u0000${r.seqLen}\u0000${r.hops}`).values()]
    .map((rs) => ({ model: rs[0].model, seqLen: rs[0].seqLen, hops: rs[0].hops, ...accuracy(rs) }))
    .sort((a, b) => a.model.localeCompare(b.model) || a.seqLen - b.seqLen || (a.hops ?? 0) - (b.hops ?? 0));
  const summary: Summary = {
    experiment,
    overall: accuracy(rows),
    byModel: table(rows, (r) => r.model),
    byLength: table(rows, (r) => String(r.seqLen)),
    byHops: table(rows, (r) => String(r.hops)),
    byModelLength: [...groupBy(rows, (r) => `${r.model}\u0000${r.seqLen}`).values()]
      .map((rs) => ({ model: rs[0].model, length: rs[0].seqLen, ...accuracy(rs) }))
      .sort((a, b) => a.model.localeCompare(b.model) || a.length - b.length),
    cells,
  };
  const flagged = rows.filter((r) => heuristicReachable(r) !== undefined);
  if (flagged.length) {
    summary.byHeuristic = {
      reachable: accuracy(flagged.filter((r) => heuristicReachable(r))),
      unreachable: accuracy(flagged.filter((r) => !heuristicReachable(r))),
    };
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface ErrorFilter {
  model?: string;
  minLen?: number;
  maxLen?: number;
  hops?: number;
}

function matches(r: ResultRow, f: ErrorFilter): boolean {
  return (
    (f.model === undefined || r.model === f.model) &&
    (f.minLen === undefined || r.seqLen >= f.minLen) &&
    (f.maxLen === undefined || r.seqLen <= f.maxLen) &&
    (f.hops === undefined || r.hops === f.hops)
  );
}

/** The incorrect rows matching the filter. */
export function errorRows(rows: ResultRow[], f: ErrorFilter = {}): ResultRow[] {
  return rows.filter((r) => !r.correct && matches(r, f));
}

/** A readable report of errors: counts per model and length, then up to `limit` examples. */
export function formatErrors(rows: ResultRow[], f: ErrorFilter & { limit?: number; showPrograms?: boolean } = {}): string {
  const errors = errorRows(rows, f);
  const considered = rows.filter((r) => matches(r, f));
  const out = [`${errors.length} errors in ${considered.length} samples`];
  for (const [model, rs] of groupBy(errors, (r) => r.model)) {
    const byLen = [...groupBy(rs, (r) => String(r.seqLen))].map(([len, e]) => `len ${len}: ${e.length}`);
    out.push(`  ${model}: ${rs.length} (${byLen.join(', ')})`);
  }
  for (const r of errors.slice(0, f.limit ?? 5)) {
    out.push('', `--- ${r.model} len ${r.seqLen} sample ${r.sample} (seed ${r.seed})${r.hops !== null ? ` hops ${r.hops}` : ''}`);
    if (f.showPrograms ?? true) out.push(r.program);
    out.push(`expected ${String(r.answer)}, parsed ${String(r.predicted)}, raw ${JSON.stringify(r.raw)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Robust seeds

export interface RobustSeeds {
  /** The experiment whose generator settings regenerate the programs. */
  experiment: string;
  hops: number | null;
  seqLen: number;
  /** Sample seeds whose program every model answered correctly (regenerate with `new Rng(seed)`). */
  seeds: number[];
  /** The program of the first robust seed. */
  example?: { seed: number; program: string; answer: ResultRow['answer'] };
}

/** Per experiment × hops × length, the programs every one of `models` (default: all in the rows) got right. */
export function robustSeeds(rows: ResultRow[], models?: string[]): RobustSeeds[] {
  const all = models ?? [...new Set(rows.map((r) => r.model))];
  const out: RobustSeeds[] = [];
  for (const rs of groupBy(rows, (r) => `${r.experiment}\u0000${r.hops}\u0000${r.seqLen}`).values()) {
    const robust = [...groupBy(rs, (r) => String(r.seed)).values()]
      .filter((sample) => all.every((m) => sample.some((r) => r.model === m && r.correct)))
      .map((sample) => sample[0])
      .sort((a, b) => a.seed - b.seed);
    const first = robust[0];
    out.push({
      experiment: rs[0].experiment,
      hops: rs[0].hops,
      seqLen: rs[0].seqLen,
      seeds: robust.map((r) => r.seed),
      ...(first && { example: { seed: first.seed, program: first.program, answer: first.answer } }),
    });
  }
  return out.sort((a, b) => a.experiment.localeCompare(b.experiment) || (a.hops ?? 0) - (b.hops ?? 0) || a.seqLen - b.seqLen);
}

// ---------------------------------------------------------------------------------------------
// Cross-run comparison

export interface RunInfo {
  dir: string;
  config: ExperimentConfig;
  rows: ResultRow[];
  summary?: Summary;
}

export function loadRun(dir: string): RunInfo {
  const summaryPath = join(dir, SUMMARY_FILE);
  return {
    dir,
    config: readRunConfig(dir),
    rows: readResults(dir),
    ...(existsSync(summaryPath) && { summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary }),
  };
}

export interface ComparisonRow {
  model: string;
  experiment: string;
  n: number;
  accuracy: number;
}

export interface Comparison {
  /** One row per model × experiment, best accuracy first within an experiment. */
  rows: ComparisonRow[];
  /** Accuracy over every sample of each model, best first. */
  overall: ComparisonRow[];
  csv: string;
  markdown: string;
}

/** Accuracy of every model in every run folder under `root` (same experiment name pooled). */
export function compareModels(root: string): Comparison {
  const all = listRunDirs(root).flatMap((d) => loadRun(d).rows);
  const rows: ComparisonRow[] = [...groupBy(all, (r) => `${r.experiment}\u0000${r.model}`).values()]
    .map((rs) => ({ model: rs[0].model, experiment: rs[0].experiment, n: rs.length, accuracy: accuracy(rs).accuracy }))
    .sort((a, b) => a.experiment.localeCompare(b.experiment) || b.accuracy - a.accuracy || a.model.localeCompare(b.model));
  const overall = [...groupBy(all, (r) => r.model).values()]
    .map((rs) => ({ model: rs[0].model, experiment: '*', n: rs.length, accuracy: accuracy(rs).accuracy }))
    .sort((a, b) => b.accuracy - a.accuracy || a.model.localeCompare(b.model));
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [...rows, ...overall].map((r) => [r.model, r.experiment, String(r.n), r.accuracy.toFixed(4)].map(csvCell).join(','));
  const md = (s: string) => s.replace(/\|/g, '\\|');
  return {
    rows,
    overall,
    csv: ['model,experiment,n,accuracy', ...lines].join('\n') + '\n',
    markdown:
      [
        '| model | experiment | n | accuracy |',
        '|---|---|---:|---:|',
        ...[...rows, ...overall].map((r) => `| ${md(r.model)} | ${md(r.experiment)} | ${r.n} | ${(r.accuracy * 100).toFixed(1)}% |`),
      ].join('\n') + '\n',
  };
}

/** Writes `comparison.csv` and `comparison.md` into `root` (atomically); returns the comparison. */
export function writeComparison(root: string): Comparison {
  const c = compareModels(root);
  writeFileAtomic(join(root, 'comparison.csv'), c.csv);
  writeFileAtomic(join(root, 'comparison.md'), c.markdown);
  return c;
}
