/** Every position's logits of a model folder through the inference path: what a model-changing operation must keep. */
import { LoadedModel } from '../../engine/src/model';

export async function folderLogits(dir: string, rows: number[][], cacheDir: string): Promise<Float32Array> {
  const m = await LoadedModel.load(dir, { device: 'cpu', cacheDir });
  try {
    return (await m.forward(rows, { logits: 'all' })).logits.data;
  } finally {
    await m.dispose();
  }
}
