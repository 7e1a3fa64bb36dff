/**
 * The feature-emergence timeline (seed 002, experiment 2): for each checkpoint of a series, cache one
 * hook point's activations over correct and incorrect samples, train an SAE on them, measure it
 * (L0, explained variance, dead latents, CE recovered by splicing), and find the latents — and the
 * raw-activation probes — that tell correct from incorrect, scored on held-out pairs. Across the
 * series, the final checkpoint's best correctness latent is followed back by decoder cosine, and
 * its "birth" is the first step where its held-out accuracy reaches a set level. Each checkpoint's
 * results are written as it finishes (`step-<N>/`), the summary and curves after each; a rerun with
 * the same settings resumes at the first unfinished checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmergenceSettings } from '../api/studies';
import type { Device } from '../api/types';
import { writeJsonAtomic } from '../atomicWrite';
import { openSafetensors, writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import type { BlockHookName } from '../hooks';
import { LoadedModel } from '../model';
import { type CorrectnessResult, correctnessDirections } from '../probes/correctness';
import { ActivationReader, cacheActivations } from '../sae/activations';
import { type ReconstructionMetrics, reconstructionMetrics, type SpliceMetrics, spliceMetrics } from '../sae/metrics';
import { Sae, SaeEncoder } from '../sae/sae';
import { type SaeLogEntry, trainSae } from '../sae/train';
import { studyData } from './data/index';
import type { StudySample } from './data/samples';
import { observedSamples } from './data/tokenize';
import { DATA_FILE, SETTINGS_FILE, stepFolder, type StudyHooks, SUMMARY_FILE } from './layout';
import { plotOverSteps } from './plots';
import { checkSameRun } from './sampleCheckpoint';
import { readSeries, seriesName } from './series';

export const RESULT_FILE = 'result.json';
export const SAE_FILE = 'sae.safetensors';
/** Per-latent arrays: train AUROC, held-out accuracy, tokens fired on. */
export const LATENTS_FILE = 'latents.safetensors';
/** The top-activating samples of the latents worth browsing. */
export const BROWSER_FILE = 'latent-browser.json';

export interface EmergenceRow {
  step: number;
  dir: string;
  sae: Omit<ReconstructionMetrics, 'firing'> & SpliceMetrics & { last: SaeLogEntry };
  correctness: Omit<CorrectnessResult, 'perLatent'>;
  /** The checkpoint's own accuracy on the task: the correct samples' claims predicted (argmax). */
  taskAccuracy: number;
}

export interface MatchedLatent {
  step: number;
  latent: number;
  /** Decoder cosine to the matched latent of the next checkpoint (1 at the reference). */
  cosine: number;
  heldOutAccuracy: number;
  trainAuroc: number;
}

export interface EmergenceSummary {
  study: 'emergence';
  series: string;
  settings: EmergenceSettings;
  rows: EmergenceRow[];
  planned: number[];
  /** The last finished checkpoint's best correctness latent, followed back through the series. */
  matched: MatchedLatent[];
  /** First step where the matched latent's held-out accuracy reaches `settings.birthAccuracy` (null: never). */
  birth: number | null;
  finished: boolean;
}

export interface BrowsedLatent {
  latent: number;
  why: 'correctness' | 'frequent';
  trainAuroc: number;
  heldOutAccuracy: number;
  /** Its strongest activations: sample, token position, value. */
  top: { sample: number; position: number; value: number }[];
}

export function readEmergenceRow(dir: string): EmergenceRow | undefined {
  const file = join(dir, RESULT_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EmergenceRow) : undefined;
}

export function prepareEmergenceStudy(s: EmergenceSettings, outDir: string) {
  const series = readSeries(s.series, s.steps);
  checkSameRun(join(outDir, SETTINGS_FILE), s);
  const data = studyData(s.data, s.pairs, s.dataSeed);
  const groups = new Set(data.samples.map((x) => x.group));
  if (!groups.has('correct') || !groups.has('incorrect')) throw new IntrospectError(`needs samples in groups "correct" and "incorrect" (has: ${[...groups].join(', ')})`, s.data);
  writeJsonAtomic(join(outDir, DATA_FILE), data);
  return { series, data };
}

export async function runEmergenceStudy(s: EmergenceSettings, outDir: string, hooks: StudyHooks = {}): Promise<EmergenceSummary> {
  const { series, data } = prepareEmergenceStudy(s, outDir);
  const perCheckpoint = s.sae.steps + 2;
  const total = series.length * perCheckpoint;
  const rows: EmergenceRow[] = [];
  let summary = await summarize(s, outDir, series.map((c) => c.step), rows, false);
  for (const [k, c] of series.entries()) {
    const dir = stepFolder(outDir, c.step);
    const where = `step ${c.step} (${k + 1}/${series.length})`;
    const previous = k > 0 && s.sae.warmStart ? join(stepFolder(outDir, series[k - 1].step), SAE_FILE) : undefined;
    const row =
      readEmergenceRow(dir) ??
      (await analyseCheckpoint(c.dir, c.step, data.samples, s, dir, {
        warmStart: previous,
        device: hooks.device,
        signal: hooks.signal,
        onProgress: (done, message) => hooks.onProgress?.(k * perCheckpoint + done, total, `${where}: ${message}`),
      }));
    rows.push(row);
    summary = await summarize(s, outDir, series.map((c) => c.step), rows, false);
    hooks.onProgress?.((k + 1) * perCheckpoint, total, `${where}: done, best latent held-out accuracy ${row.correctness.top[0]?.heldOutAccuracy.value.toFixed(3)}`);
  }
  return summarize(s, outDir, summary.planned, rows, true);
}

interface CheckpointHooks {
  warmStart?: string;
  device?: Device;
  signal?: AbortSignal;
  onProgress?: (done: number, message: string) => void;
}

/** One checkpoint: cache, SAE, metrics, correctness; `result.json` written last, as the finished mark. */
export async function analyseCheckpoint(modelDir: string, step: number, samples: StudySample[], s: EmergenceSettings, dir: string, hooks: CheckpointHooks = {}): Promise<EmergenceRow> {
  const model = await LoadedModel.load(modelDir, { device: hooks.device });
  const hook = s.hook as BlockHookName;
  try {
    const cacheDir = join(dir, 'activations');
    await cacheActivations(model, samples, cacheDir, { hook, positions: s.positions, signal: hooks.signal, onProgress: (d, t) => hooks.onProgress?.(0, `caching activations ${d}/${t}`) });
    const reader = ActivationReader.open(cacheDir);
    const warm = hooks.warmStart && existsSync(hooks.warmStart) ? await Sae.load(hooks.warmStart) : undefined;
    const { sae, log } = await trainSae(reader, {
      ...s.sae,
      warmStart: warm,
      device: hooks.device,
      signal: hooks.signal,
      // A report per 1 % of the steps: an SAE step can take well under a millisecond, and a report per step floods a client.
      onProgress: (done, steps, e) => (done % Math.max(1, Math.floor(steps / 100)) === 0 || done === steps) && hooks.onProgress?.(1 + done, `SAE step ${done}/${steps}, mse ${e.mse.toFixed(3)}, L0 ${e.l0.toFixed(1)}`),
    });
    await sae.save(join(dir, SAE_FILE), { step: String(step), model: modelDir });
    writeJsonAtomic(join(dir, 'sae-log.json'), log);
    const enc = await SaeEncoder.create(sae, hooks.device);
    try {
      hooks.onProgress?.(s.sae.steps + 1, 'measuring the SAE');
      const { firing, ...recon } = await reconstructionMetrics(reader, enc);
      const splice = await spliceMetrics(model, samples.filter((x) => x.group === 'correct').slice(0, s.spliceSamples), hook, s.positions, async (x) => (await enc.run(x)).xhat, { signal: hooks.signal });
      const vectors = await lastRowPerSample(reader, samples.length);
      const { f } = await enc.run(vectors);
      const { perLatent, ...correctness } = correctnessDirections(
        { vectors, d: reader.manifest.dIn, latents: f, m: sae.config.latents, positive: samples.map((x) => x.group === 'correct'), pair: samples.map((x) => x.pair) },
        { trainFraction: s.trainFraction, seed: s.dataSeed },
      );
      await writeSafetensors(join(dir, LATENTS_FILE), {
        train_auroc: { dtype: 'float32', shape: [perLatent.trainAuroc.length], data: perLatent.trainAuroc },
        heldout_accuracy: { dtype: 'float32', shape: [perLatent.heldOutAccuracy.length], data: perLatent.heldOutAccuracy },
        firing: { dtype: 'float32', shape: [firing.length], data: Float32Array.from(firing) },
      });
      const browse = [
        ...correctness.top.map((t) => ({ latent: t.latent, why: 'correctness' as const })),
        ...firing
          .map((n, i) => ({ n, i }))
          .sort((a, b) => b.n - a.n)
          .slice(0, 16)
          .map(({ i }) => ({ latent: i, why: 'frequent' as const })),
      ].filter((x, i, all) => all.findIndex((y) => y.latent === x.latent) === i);
      const tops = await topActivations(reader, enc, browse.map((b) => b.latent), 8);
      writeJsonAtomic(
        join(dir, BROWSER_FILE),
        browse.map((b, i): BrowsedLatent => ({ ...b, trainAuroc: perLatent.trainAuroc[b.latent], heldOutAccuracy: perLatent.heldOutAccuracy[b.latent], top: tops[i] })),
      );
      const row: EmergenceRow = { step, dir: modelDir, sae: { ...recon, ...splice, last: log[log.length - 1] }, correctness, taskAccuracy: await claimAccuracy(model, samples) };
      writeJsonAtomic(join(dir, RESULT_FILE), row);
      return row;
    } finally {
      await enc.release();
    }
  } finally {
    await model.dispose();
  }
}

/** One row per sample: its last cached position (for `claim` and `last`, the one position). */
async function lastRowPerSample(reader: ActivationReader, samples: number): Promise<Float32Array> {
  const d = reader.manifest.dIn;
  const out = new Float32Array(samples * d);
  const seen = new Uint8Array(samples);
  for await (const c of reader.chunks())
    for (let r = 0; r < c.sample.length; r++) {
      out.set(c.acts.subarray(r * d, (r + 1) * d), c.sample[r] * d);
      seen[c.sample[r]] = 1;
    }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new IntrospectError(`sample ${missing} has no cached activation`, reader.dir);
  return out;
}

/** For each latent in `latents`, its `k` largest activations over the cache. */
async function topActivations(reader: ActivationReader, enc: SaeEncoder, latents: number[], k: number): Promise<BrowsedLatent['top'][]> {
  const m = enc.sae.config.latents;
  const tops: BrowsedLatent['top'][] = latents.map(() => []);
  for await (const c of reader.chunks()) {
    const { f } = await enc.run(c.acts);
    for (let r = 0; r < c.sample.length; r++)
      latents.forEach((j, t) => {
        const value = f[r * m + j];
        const top = tops[t];
        if (value <= 0 || (top.length === k && value <= top[k - 1].value)) return;
        top.push({ sample: c.sample[r], position: c.position[r], value });
        top.sort((a, b) => b.value - a.value);
        if (top.length > k) top.pop();
      });
  }
  return tops;
}

/** Share of the `correct` samples whose claimed tokens are each the model's top prediction. */
async function claimAccuracy(model: LoadedModel, samples: StudySample[]): Promise<number> {
  const correct = samples.filter((x) => x.group === 'correct' && x.claim);
  if (!correct.length) return NaN;
  const observed = observedSamples(model.tokenizer, correct);
  const V = model.spec.vocabSize;
  let right = 0;
  for (let i = 0; i < observed.length; i += 32) {
    const part = observed.slice(i, i + 32);
    const r = await model.forward(
      part.map((o) => o.ids),
      { logits: 'all' },
    );
    const T = r.logits.shape[1];
    part.forEach((o, b) => {
      const ok = o.claim!.every((p) => {
        const at = (b * T + r.padding[b] + p - 1) * V;
        let best = 0;
        for (let v = 1; v < V; v++) if (r.logits.data[at + v] > r.logits.data[at + best]) best = v;
        return best === o.ids[p];
      });
      if (ok) right++;
    });
  }
  return right / observed.length;
}

/** The summary of the rows so far (with the matched latent followed back), written with its curves. */
async function summarize(s: EmergenceSettings, outDir: string, planned: number[], rows: EmergenceRow[], finished: boolean): Promise<EmergenceSummary> {
  const matched = await matchBack(outDir, rows);
  const born = matched.filter((m) => m.heldOutAccuracy >= s.birthAccuracy).map((m) => m.step);
  const summary: EmergenceSummary = { study: 'emergence', series: seriesName(s.series), settings: s, rows, planned, matched, birth: born.length ? Math.min(...born) : null, finished };
  writeJsonAtomic(join(outDir, SUMMARY_FILE), summary);
  if (rows.length) plotEmergence(outDir, summary);
  return summary;
}

/** From the last row's best latent back to the first row: at each step, the latent whose decoder is closest to the one matched after it. */
async function matchBack(outDir: string, rows: EmergenceRow[]): Promise<MatchedLatent[]> {
  const last = rows[rows.length - 1];
  if (!last?.correctness.top.length) return [];
  const out: MatchedLatent[] = [];
  let target: Float32Array | undefined;
  let latent = last.correctness.top[0].latent;
  for (let i = rows.length - 1; i >= 0; i--) {
    const dir = stepFolder(outDir, rows[i].step);
    const sae = await Sae.load(join(dir, SAE_FILE));
    let cosine = 1;
    if (target) {
      cosine = -Infinity;
      for (let j = 0; j < sae.config.latents; j++) {
        const u = sae.direction(j);
        let c = 0;
        for (let t = 0; t < u.length; t++) c += u[t] * target[t];
        if (c > cosine) [cosine, latent] = [c, j];
      }
    }
    target = sae.direction(latent);
    const st = await openSafetensors(join(dir, LATENTS_FILE));
    try {
      const acc = (await st.readFloat('heldout_accuracy')).data[latent];
      const auc = (await st.readFloat('train_auroc')).data[latent];
      out.unshift({ step: rows[i].step, latent, cosine, heldOutAccuracy: acc, trainAuroc: auc });
    } finally {
      await st.close();
    }
  }
  return out;
}

function plotEmergence(outDir: string, s: EmergenceSummary): void {
  const steps = s.rows.map((r) => r.step);
  const band = (name: string, get: (r: EmergenceRow) => { value: number; lo: number; hi: number } | undefined) => {
    const v = s.rows.map(get);
    return { name, xs: steps, ys: v.map((x) => x?.value ?? NaN), lo: v.map((x) => x?.lo ?? NaN), hi: v.map((x) => x?.hi ?? NaN) };
  };
  plotOverSteps(
    join(outDir, 'emergence.png'),
    [
      band('best SAE latent (chosen on train)', (r) => r.correctness.top[0]?.heldOutAccuracy),
      { name: 'matched latent (followed back from the last)', xs: s.matched.map((m) => m.step), ys: s.matched.map((m) => m.heldOutAccuracy) },
      band('logistic-regression probe', (r) => r.correctness.logistic.heldOutAccuracy),
      band('difference of means', (r) => r.correctness.differenceOfMeans.heldOutAccuracy),
      { name: "model's task accuracy", xs: steps, ys: s.rows.map((r) => r.taskAccuracy) },
    ],
    `Correct vs incorrect, held-out accuracy at ${s.settings.hook} (${s.settings.positions}; band: 95% bootstrap)`,
    'accuracy',
  );
  plotOverSteps(
    join(outDir, 'sae-quality.png'),
    [
      { name: 'explained variance', xs: steps, ys: s.rows.map((r) => r.sae.explainedVariance) },
      { name: 'CE loss recovered', xs: steps, ys: s.rows.map((r) => r.sae.ceLossRecovered) },
      { name: 'dead fraction', xs: steps, ys: s.rows.map((r) => r.sae.deadFraction) },
      { name: s.settings.sae.kind === 'topk' ? 'L0 / k' : 'L0 / latents', xs: steps, ys: s.rows.map((r) => r.sae.l0 / (s.settings.sae.kind === 'topk' ? s.settings.sae.k : s.settings.sae.latents)) },
    ],
    `SAE quality per checkpoint (${s.settings.sae.kind}, ${s.settings.sae.latents} latents)`,
    'fraction',
  );
}
