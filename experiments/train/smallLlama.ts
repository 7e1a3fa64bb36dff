/**
 * What the training recipes share: the flags that size and drive a run, and the small Llama-style
 * model they train from scratch (MLP 4·d, 128 positions, weights drawn with std 0.02 unless told).
 */
import { type Flags, positiveInt, positiveNumber } from '../../engine/src/cliArgs';
import type { TinyOptions } from '../../engine/src/checkpoint/tiny';

/** parseArgs options for the shared flags, with a recipe's own output folder and step count. */
export const runFlags = (defaults: { out: string; steps: number }) =>
  ({
    out: { type: 'string', default: defaults.out },
    steps: { type: 'string', default: String(defaults.steps) },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    layers: { type: 'string', default: '4' },
    d: { type: 'string', default: '64' },
    heads: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
  }) as const satisfies Flags;

/** The shared flags, checked. */
export function runSettings(v: Partial<Record<keyof ReturnType<typeof runFlags>, string>>) {
  const int = (k: 'steps' | 'batch' | 'layers' | 'd' | 'heads' | 'seed') => positiveInt(v[k], `--${k}`);
  return {
    outDir: v.out!,
    steps: int('steps'),
    batch: int('batch'),
    lr: positiveNumber(v.lr, '--lr'),
    layers: int('layers'),
    dModel: int('d'),
    nHeads: int('heads'),
    seed: int('seed'),
  };
}

/**
 * The tracer recipes' schedule: warmup over 200 steps (a tenth of a shorter run), cosine decay,
 * weight decay 0.1, evaluated and checkpointed every `evalEvery` steps.
 */
export const tracerSchedule = (steps: number, lr: number, evalEvery: number) =>
  ({ steps, lr, warmupSteps: Math.min(200, Math.floor(steps / 10)), decay: 'cosine', weightDecay: 0.1, evalEvery, checkpointEvery: evalEvery }) as const;

/** A fresh small Llama of those settings over this tokenizer. */
export function smallLlama(
  s: { layers: number; dModel: number; nHeads: number; seed: number },
  tokenizerJson: object,
  vocabSize: number,
  initStd = 0.02,
): TinyOptions {
  return { modelType: 'llama', nLayers: s.layers, dModel: s.dModel, nHeads: s.nHeads, dMlp: 4 * s.dModel, maxPositions: 128, tokenizerJson, vocabSize, initStd, seed: s.seed };
}
