/**
 * The training loop: one graph computes the per-row losses and every parameter's gradient; the
 * gradient is clipped and AdamW updates the flat parameter vector in place. Held-out loss and
 * accuracy are measured with a forward-only graph. Checkpoints are Hugging Face folders; a killed
 * run resumes from the newest one (data is a function of the step, so it replays exactly).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../api/types';
import { makeBatch, type TokenBatch } from '../autodiff/batch';
import { buildLossGraph } from '../autodiff/lossGraph';
import type { ParameterLayout } from '../autodiff/parameters';
import { LossRunner } from '../autodiff/runner';
import type { StoredFloatDType } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { AdamW, clipGradNorm } from './adamw';
import { loadResumable, removePartialCheckpoints, SERIES_DIR, saveCheckpoint, writeModelFolder } from './checkpoint';
import { plotTrainingCurves } from './curves';
import { learningRate, type ScheduleOptions } from './schedule';

/** Token rows, and per row the positions whose prediction is trained on / scored (default: all). */
export interface Examples {
  rows: number[][];
  targets?: number[][];
  /** Per row, per target, a label other than the row's own token there (see `BatchOptions.labels`). */
  labels?: number[][];
}

export interface TrainData {
  /** The batch of 0-based step `step`; must depend only on `step`, so a resumed run sees the same data. */
  batch(step: number): Examples;
  /** Fixed held-out examples: loss, and accuracy of the argmax prediction at every target position. */
  heldOut?: Examples;
  /** Named subsets of the held-out rows (indices) whose accuracy is logged too, e.g. by hop count. */
  heldOutGroups?: Record<string, number[]>;
}

/** Where training starts: parameters, and what a checkpoint folder needs besides them. */
export interface StartingPoint {
  layout: ParameterLayout;
  flat: Float32Array;
  config: Record<string, unknown>;
  tokenizerJson: string;
}

export interface TrainOptions {
  outDir: string;
  steps: number;
  lr: number;
  /** Default lr / 10. */
  minLr?: number;
  warmupSteps?: number;
  decay?: ScheduleOptions['decay'];
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Global gradient-norm clip; default 1. */
  clipNorm?: number;
  evalEvery?: number;
  evalBatchSize?: number;
  checkpointEvery?: number;
  /**
   * Steps (0 = the initial model) also written, evaluated, as compact model folders
   * `series/step-<N>/` in `seriesDtype` (default float16): a developmental series to keep.
   */
  seriesSteps?: number[];
  seriesDtype?: StoredFloatDType;
  /** Stored dtype of checkpoints (float32 keeps resuming exact). */
  dtype?: StoredFloatDType;
  device?: Device;
  /** The recipe's settings; a resumed run must have the same. */
  run?: Record<string, unknown>;
  onProgress?: (p: TrainRecord) => void;
}

/** One line of `train.jsonl`. */
export interface TrainRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Seconds since this process started training. */
  elapsed: number;
  stepsPerSecond: number;
  evalLoss?: number;
  /** Fraction of held-out rows with every target token predicted (argmax). */
  evalAccuracy?: number;
  /** Fraction of held-out target tokens predicted. */
  evalTokenAccuracy?: number;
  /** Row accuracy within each of `TrainData.heldOutGroups`. */
  evalGroups?: Record<string, number>;
}

export const LOG_FILE = 'train.jsonl';

export async function train(start: StartingPoint, data: TrainData, o: TrainOptions): Promise<{ flat: Float32Array; last: TrainRecord }> {
  if (!(o.steps > 0)) throw new IntrospectError('must be a positive number of steps', 'steps');
  const { layout } = start;
  mkdirSync(o.outDir, { recursive: true });
  const run = o.run ?? {};
  removePartialCheckpoints(o.outDir);
  const resumed = await loadResumable(o.outDir, layout);
  if (resumed && JSON.stringify(resumed.state.run) !== JSON.stringify(run))
    throw new IntrospectError('holds a checkpoint of a different run; use another output folder', o.outDir);
  const flat = resumed?.flat ?? Float32Array.from(start.flat);
  const first = resumed?.state.step ?? 0;
  const logPath = join(o.outDir, LOG_FILE);
  const history = truncateLog(logPath, first);

  const decayRanges = layout.slots.map((s): [number, number, boolean] => [s.offset, s.offset + s.size, s.shape.length >= 2]);
  const adam = new AdamW(
    layout.size,
    { beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.95, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0.01 },
    decayRanges,
    resumed?.optimizer,
  );
  const schedule: ScheduleOptions = {
    lr: o.lr,
    minLr: o.minLr ?? o.lr / 10,
    warmupSteps: o.warmupSteps ?? 0,
    totalSteps: o.steps,
    decay: o.decay ?? 'cosine',
  };
  const save = (step: number) =>
    saveCheckpoint(o.outDir, {
      layout,
      flat,
      config: start.config,
      tokenizerJson: start.tokenizerJson,
      dtype: o.dtype ?? 'float32',
      state: { step, run },
      optimizer: adam.state,
    });

  const trainer = await LossRunner.create(buildLossGraph(layout, flat), layout.size, o.device ?? 'cpu');
  const evaluator = data.heldOut
    ? await LossRunner.create(buildLossGraph(layout, flat, { forwardOnly: true, logits: true }), layout.size, o.device ?? 'cpu')
    : undefined;
  const heldOut = data.heldOut ? chunks(data.heldOut, o.evalBatchSize ?? 64, layout.spec.vocabSize) : [];
  const groups = data.heldOutGroups ?? {};
  const series = new Set(o.seriesSteps ?? []);
  const keep = (step: number) =>
    writeModelFolder(join(o.outDir, SERIES_DIR, `step-${step}`), {
      layout,
      flat,
      config: start.config,
      tokenizerJson: start.tokenizerJson,
      dtype: o.seriesDtype ?? 'float16',
    });
  const grad = new Float32Array(layout.size);
  const t0 = Date.now();
  let last: TrainRecord | undefined = history[history.length - 1];
  try {
    if (first === 0 && series.has(0)) await keep(0);
    for (let step = first; step < o.steps; step++) {
      const ex = data.batch(step);
      const out = await trainer.run(flat, makeBatch(ex.rows, { targets: ex.targets, labels: ex.labels, vocabSize: layout.spec.vocabSize }), { into: grad });
      if (!Number.isFinite(out.loss)) throw new IntrospectError(`loss is ${out.loss} at step ${step + 1}; lower the learning rate`, 'training');
      const norm = clipGradNorm(grad, o.clipNorm ?? 1);
      const lr = learningRate(step, schedule);
      adam.step(flat, grad, lr);
      const elapsed = (Date.now() - t0) / 1000;
      const record: TrainRecord = {
        step: step + 1,
        loss: out.loss,
        lr,
        gradNorm: norm,
        elapsed,
        stepsPerSecond: (step + 1 - first) / Math.max(elapsed, 1e-9),
      };
      const isLast = step + 1 === o.steps;
      const inSeries = series.has(step + 1);
      if (evaluator && (isLast || inSeries || (o.evalEvery && (step + 1) % o.evalEvery === 0)))
        Object.assign(record, await evaluate(evaluator, flat, heldOut, groups));
      if (inSeries) await keep(step + 1);
      appendFileSync(logPath, `${JSON.stringify(record)}\n`);
      history.push(record);
      last = record;
      o.onProgress?.(record);
      if (isLast || (o.checkpointEvery && (step + 1) % o.checkpointEvery === 0)) {
        await save(step + 1);
        plotTrainingCurves(o.outDir, history);
      }
    }
  } finally {
    await trainer.release();
    await evaluator?.release();
  }
  return { flat, last: last! };
}

/** Keeps the log lines up to `step` (a killed run may have logged past its last checkpoint). */
function truncateLog(path: string, step: number): TrainRecord[] {
  if (!existsSync(path)) return [];
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TrainRecord)
    .filter((r) => r.step <= step);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  renameSync(tmp, path);
  return kept;
}

function chunks(ex: Examples, size: number, vocabSize: number): TokenBatch[] {
  const out: TokenBatch[] = [];
  for (let i = 0; i < ex.rows.length; i += size)
    out.push(makeBatch(ex.rows.slice(i, i + size), { targets: ex.targets?.slice(i, i + size), labels: ex.labels?.slice(i, i + size), vocabSize }));
  return out;
}

/** Held-out loss (mean of per-row losses) and argmax accuracy at the target positions, overall and by group. */
export async function evaluate(
  runner: LossRunner,
  flat: Float32Array,
  batches: TokenBatch[],
  groups: Record<string, number[]> = {},
): Promise<Pick<TrainRecord, 'evalLoss' | 'evalAccuracy' | 'evalTokenAccuracy' | 'evalGroups'>> {
  let lossSum = 0;
  let rows = 0;
  const rowRight: boolean[] = [];
  let tokens = 0;
  let tokensRight = 0;
  for (const batch of batches) {
    const out = await runner.run(flat, batch);
    const logits = out.logits!;
    const V = logits.length / (batch.B * batch.T);
    for (let r = 0; r < batch.B; r++) {
      lossSum += out.perRow![r];
      rows++;
      let allRight = true;
      for (let t = 0; t < batch.T; t++) {
        const i = r * batch.T + t;
        if (batch.weights[i] === 0) continue;
        const right = argmax(logits, i * V, V) === Number(batch.labels[i]);
        tokens++;
        if (right) tokensRight++;
        else allRight = false;
      }
      rowRight.push(allRight);
    }
  }
  const accuracy = (idx: number[]) => idx.filter((i) => rowRight[i]).length / Math.max(1, idx.length);
  const named = Object.entries(groups);
  return {
    evalLoss: lossSum / rows,
    evalAccuracy: accuracy(rowRight.map((_, i) => i)),
    evalTokenAccuracy: tokensRight / tokens,
    ...(named.length ? { evalGroups: Object.fromEntries(named.map(([name, idx]) => [name, accuracy(idx)])) } : {}),
  };
}

function argmax(a: Float32Array, start: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (a[start + k] > a[start + best]) best = k;
  return best;
}
