/**
 * Training checkpoints: `step-<N>/` folders that are ordinary Hugging Face checkpoints
 * (config.json, model.safetensors, tokenizer.json) plus `trainer_state.json`; the newest also holds
 * `optimizer.safetensors` (AdamW moments), removed from older ones to keep them small. A folder is
 * written beside its final name and renamed, so a killed run leaves complete checkpoints only.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFolderAtomic } from '../atomicWrite';
import type { ParameterLayout } from '../autodiff/parameters';
import type { ModelDomain } from '../api/types';
import { readJsonFile } from '../checkpoint/folder';
import { writeModelDomain } from '../checkpoint/domain';
import { openSafetensors, type StoredFloatDType, type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import type { AdamWState } from './adamw';

export const STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  /** Free-form: the recipe's settings, so a resumed run can check it is the same run. */
  run: Record<string, unknown>;
}

/** Where a run keeps its compact developmental series (`series/step-<N>/`), beside the checkpoints. */
export const SERIES_DIR = 'series';

export const stepDir = (outDir: string, step: number) => join(outDir, `step-${step}`);

export interface ModelFolder {
  layout: ParameterLayout;
  flat: Float32Array;
  config: Record<string, unknown>;
  tokenizerJson: string;
  dtype: StoredFloatDType;
  /** The program kinds of the training data, declared in introspect.json. */
  domain?: ModelDomain;
}

/** Writes config.json, model.safetensors and tokenizer.json into `dir` (which must exist). */
async function writeModelFiles(dir: string, m: ModelFolder): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const s of m.layout.slots) tensors[s.name] = { dtype: m.dtype, shape: s.shape, data: m.flat.subarray(s.offset, s.offset + s.size) };
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  // transformers 5 writes `dtype`, older versions `torch_dtype`: keep whichever the config uses.
  const dtypeKey = 'dtype' in m.config ? 'dtype' : 'torch_dtype';
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...m.config, [dtypeKey]: m.dtype }, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), m.tokenizerJson);
  if (m.domain) writeModelDomain(dir, m.domain);
}

/** A Hugging Face checkpoint folder of the parameters (e.g. a float16 export of a trained model). */
export async function writeModelFolder(dir: string, m: ModelFolder): Promise<void> {
  await writeFolderAtomic(dir, (tmp) => writeModelFiles(tmp, m));
}

export async function saveCheckpoint(outDir: string, c: ModelFolder & { state: TrainerState; optimizer?: AdamWState }): Promise<string> {
  const dir = stepDir(outDir, c.state.step);
  await writeFolderAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, c);
    if (c.optimizer) {
      const { m, v, t } = c.optimizer;
      await writeSafetensors(
        join(tmp, OPTIMIZER_FILE),
        { m: { dtype: 'float32', shape: [m.length], data: m }, v: { dtype: 'float32', shape: [v.length], data: v } },
        { t: String(t) },
      );
    }
    writeFileSync(join(tmp, STATE_FILE), JSON.stringify(c.state, null, 2));
  });
  for (const older of checkpointSteps(outDir)) if (older < c.state.step) rmSync(join(stepDir(outDir, older), OPTIMIZER_FILE), { force: true });
  return dir;
}

/** Removes half-written checkpoint folders a killed run left behind. */
export function removePartialCheckpoints(outDir: string): void {
  if (!existsSync(outDir)) return;
  for (const f of readdirSync(outDir)) if (/^step-\d+\.tmp-\d+$/.test(f)) rmSync(join(outDir, f), { recursive: true, force: true });
}

/** Steps of the complete checkpoints under `outDir`, ascending. */
export function checkpointSteps(outDir: string): number[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir)
    .map((f) => /^step-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(outDir, m[0], STATE_FILE)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The newest checkpoint that can be resumed from (has optimizer state), if any. */
export async function loadResumable(
  outDir: string,
  layout: ParameterLayout,
): Promise<{ flat: Float32Array; state: TrainerState; optimizer: AdamWState } | undefined> {
  const step = checkpointSteps(outDir)
    .reverse()
    .find((s) => existsSync(join(stepDir(outDir, s), OPTIMIZER_FILE)));
  if (step === undefined) return undefined;
  const dir = stepDir(outDir, step);
  const state = readJsonFile(join(dir, STATE_FILE)) as TrainerState;
  const model = await openSafetensors(join(dir, 'model.safetensors'));
  const opt = await openSafetensors(join(dir, OPTIMIZER_FILE));
  try {
    const flat = new Float32Array(layout.size);
    for (const s of layout.slots) flat.set((await model.readFloat(s.name)).data, s.offset);
    const m = (await opt.readFloat('m')).data;
    const v = (await opt.readFloat('v')).data;
    if (m.length !== layout.size || v.length !== layout.size)
      throw new IntrospectError(`optimizer state has ${m.length} values for ${layout.size} parameters`, join(dir, OPTIMIZER_FILE));
    const t = Number(opt.header.metadata.t);
    return { flat, state, optimizer: { m, v, t } };
  } finally {
    await model.close();
    await opt.close();
  }
}
