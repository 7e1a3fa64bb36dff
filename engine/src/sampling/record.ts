/**
 * A chain's record on disk: one safetensors file (float32 `step.<trace>` [steps], `draw.loss`
 * [draws], `obs.<name>` [draws, size]) whose metadata holds the chain number, the draws completed
 * and the error of a chain that stopped early. Written atomically, so a record that exists is whole.
 */
import { openSafetensors, type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors';
import { IntrospectError } from '../errors';
import { type ChainRecord, STEP_TRACES, type StepTrace } from './chain';

const META_KEY = 'introspect.chain';

interface RecordMeta {
  chain: number;
  completed: number;
  error?: string;
  draws: number;
  sizes: Record<string, number>;
}

export async function writeChainRecord(path: string, r: ChainRecord): Promise<void> {
  const draws = r.drawLoss.length;
  const f32 = (shape: number[], data: Float32Array): TensorToWrite => ({ dtype: 'float32', shape, data });
  const tensors: Record<string, TensorToWrite> = { 'draw.loss': f32([draws], r.drawLoss) };
  for (const k of STEP_TRACES) tensors[`step.${k}`] = f32([r.steps[k].length], r.steps[k]);
  const sizes: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.observables)) {
    sizes[k] = v.length / draws;
    tensors[`obs.${k}`] = f32([draws, sizes[k]], v);
  }
  const meta: RecordMeta = { chain: r.chain, completed: r.completed, ...(r.error ? { error: r.error } : {}), draws, sizes };
  await writeSafetensors(path, tensors, { [META_KEY]: JSON.stringify(meta) });
}

export async function readChainRecord(path: string): Promise<ChainRecord> {
  const file = await openSafetensors(path);
  try {
    const raw = file.header.metadata[META_KEY];
    if (!raw) throw new IntrospectError('not a chain record (no chain metadata)', path);
    const meta = JSON.parse(raw) as RecordMeta;
    const read = async (name: string) => (await file.readFloat(name)).data;
    const steps = {} as Record<StepTrace, Float32Array>;
    for (const k of STEP_TRACES) steps[k] = await read(`step.${k}`);
    const observables: Record<string, Float32Array> = {};
    for (const k of Object.keys(meta.sizes)) observables[k] = await read(`obs.${k}`);
    return { chain: meta.chain, steps, drawLoss: await read('draw.loss'), observables, completed: meta.completed, ...(meta.error ? { error: meta.error } : {}) };
  } finally {
    await file.close();
  }
}
