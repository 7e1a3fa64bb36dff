/**
 * The main job on the embedded default model: predict what a variable holds in an example binding
 * program, then trace it (residual stream and attention heads), writing grids and heatmaps.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomicWrite';
import { embeddedModelDir } from './embedded';
import { LoadedModel } from './model';
import { predictNext, variablePrompt } from './predict';
import { progressBar } from './progress';
import { bindingProgram } from './tasks/binding';
import { Rng } from './tasks/rng';
import { traceVariable } from './trace';
import { gridHeatmapPng, interventionTitle } from './tracing/heatmaps';
import { traceSummary } from './tracing/cli';
import type { Device, DType } from './api/types';

export interface DemoOptions {
  out: string;
  model?: string;
  device?: Device;
  dtype?: DType;
  log?: (message: string) => void;
  seed?: number;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const model = await LoadedModel.load(o.model ?? embeddedModelDir(), { device: o.device, dtype: o.dtype, log: o.log });
  try {
    // A 17-line program in the paper's format whose query needs three hops.
    const p = bindingProgram(16, new Rng(o.seed ?? 3), { hops: 3 });
    const lines = p.program.trimEnd().split('\n');
    const variable = lines.at(-1)!.replace(/^#|:\s*$/g, '');
    const code = lines.slice(0, -1).join('\n') + '\n';
    writeFileAtomic(join(o.out, 'program.py'), code);
    console.log(`program (${join(o.out, 'program.py')}):\n${code}`);

    const pred = await predictNext(model, variablePrompt(code, variable), 5);
    console.log(`${model.info.name} on ${model.info.device}: ${variable} = ?  (true value ${p.answer}, ${pred.latencyMs.toFixed(1)} ms)`);
    for (const t of pred.top) console.log(`  ${JSON.stringify(t.text).padEnd(6)} ${(100 * t.prob).toFixed(2).padStart(6)}%`);
    writeJsonAtomic(join(o.out, 'prediction.json'), { ...pred, variable, answer: p.answer });

    for (const intervention of ['resid', 'heads'] as const) {
      const grid = await traceVariable(model, code, variable, { intervention, onProgress: progressBar(`tracing ${variable} (${intervention})`) });
      writeJsonAtomic(join(o.out, `grid_${intervention}.json`), { model: model.info, ...grid });
      const png = join(o.out, `heatmap_${intervention}.png`);
      writeFileAtomic(png, gridHeatmapPng(grid, 'normalized', `${interventionTitle(intervention)}: #${variable} (${model.info.name})`));
      console.log(`\n${traceSummary(grid)}\nwrote ${png}`);
    }
  } finally {
    await model.dispose();
  }
}
