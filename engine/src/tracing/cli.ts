/**
 * Command-line entries of causal tracing, for engine/src/cli.ts to dispatch to:
 *
 *   introspect trace --model DIR --file prog.py --var x [--intervention resid|heads|mlp|knockout]
 *                    [--out DIR] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--batch 64] [--seed 0]
 *                    [--attribution]
 *   introspect trace-experiment --model DIR --out DIR [--lens 16] [--hops 1,2,3] [--n 10] [--seed 0]
 *                    [--interventions resid,heads] [--positions targets|all] [--include-heuristic]
 *                    [--include-wrong] [--plots] [--attribution] [--batch 64] [--device ...] [--dtype ...]
 *
 * Both throw IntrospectError for bad input, which the CLI prints as one line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Device, DType, Intervention, PatchGrid } from '../api/types';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { IntrospectError } from '../errors';
import { LoadedModel } from '../model';
import { progressBar } from '../progress';
import { prepareTrace, traceVariable } from '../trace';
import { type AttributionGrid, attributionGrid, compareWithPatching } from './attribution';
import { DEFAULT_EXPERIMENT, INTERVENTION_RESULTS, PATCH_RESULTS, runTraceExperiment } from './experiment';
import { gridHeatmapPng, interventionTitle } from './heatmaps';

export const TRACE_USAGE =
  'introspect trace --model DIR --file prog.py --var x [--intervention resid|heads|mlp|knockout] [--out DIR] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--batch 64] [--seed 0] [--attribution]';
export const TRACE_EXPERIMENT_USAGE =
  'introspect trace-experiment --model DIR --out DIR [--lens 16] [--hops 1,2,3] [--n 10] [--seed 0] [--interventions resid,heads] [--positions targets|all] [--include-heuristic] [--include-wrong] [--plots] [--attribution] [--batch 64] [--device ...] [--dtype ...]';

const INTERVENTIONS: Intervention[] = ['resid', 'heads', 'mlp', 'knockout'];

const MODEL_FLAGS = {
  model: { type: 'string' },
  device: { type: 'string', default: 'auto' },
  dtype: { type: 'string', default: 'float32' },
  batch: { type: 'string', default: '64' },
  seed: { type: 'string', default: '0' },
} as const satisfies ParseArgsConfig['options'];

/** Traces one variable: writes `<out>/grid.json` and `<out>/heatmap_<intervention>.png`, prints a summary. */
export async function runTraceCommand(argv: string[]): Promise<void> {
  const v = parse(argv, {
    ...MODEL_FLAGS,
    file: { type: 'string' },
    var: { type: 'string' },
    intervention: { type: 'string', default: 'resid' },
    out: { type: 'string' },
    attribution: { type: 'boolean', default: false },
  });
  const intervention = oneOf(v.intervention!, INTERVENTIONS, '--intervention');
  const file = required(v.file, '--file');
  const variable = required(v.var, '--var');
  const code = readSource(file);
  const out = v.out ?? `trace_${variable}`;
  const model = await loadModel(v);
  try {
    const grid = await traceVariable(model, code, variable, {
      intervention,
      batchSize: positiveInt(v.batch, '--batch'),
      seed: integer(v.seed, '--seed'),
      onProgress: progressBar(`tracing ${variable} (${intervention})`),
    });
    let attribution: ({ r: number } & AttributionGrid) | undefined;
    if (v.attribution) {
      const est = await attributionGrid(model, prepareTrace(model, code, variable, integer(v.seed, '--seed')), intervention, {
        clean: grid.cleanAnswer.id,
        cf: grid.cfAnswer.id,
      });
      attribution = { ...est, r: compareWithPatching(est, grid).r };
    }
    writeJsonAtomic(join(out, 'grid.json'), { model: model.info, ...grid, attribution });
    const png = gridHeatmapPng(grid, 'normalized', `${interventionTitle(intervention)}: #${variable} (${model.info.name})`);
    writeFileAtomic(join(out, `heatmap_${intervention}.png`), png);
    console.log(traceSummary(grid));
    if (attribution) console.log(`attribution patching (one forward + backward): Pearson r = ${fmt(attribution.r)} with real patching`);
    console.log(`wrote ${join(out, 'grid.json')} and ${join(out, `heatmap_${intervention}.png`)}`);
  } finally {
    await model.dispose();
  }
}

/** Runs (or resumes) the batch experiment into `--out`. */
export async function runTraceExperimentCommand(argv: string[]): Promise<void> {
  const v = parse(argv, {
    ...MODEL_FLAGS,
    out: { type: 'string' },
    lens: { type: 'string', default: DEFAULT_EXPERIMENT.seqLens.join(',') },
    hops: { type: 'string', default: DEFAULT_EXPERIMENT.hops.join(',') },
    n: { type: 'string', default: String(DEFAULT_EXPERIMENT.programs) },
    interventions: { type: 'string', default: DEFAULT_EXPERIMENT.interventions.join(',') },
    positions: { type: 'string', default: DEFAULT_EXPERIMENT.positions },
    'include-heuristic': { type: 'boolean', default: false },
    'include-wrong': { type: 'boolean', default: false },
    plots: { type: 'boolean', default: false },
    attribution: { type: 'boolean', default: false },
  });
  const out = required(v.out, '--out');
  const config = {
    seqLens: intList(v.lens!, '--lens'),
    hops: intList(v.hops!, '--hops'),
    programs: positiveInt(v.n, '--n'),
    seed: integer(v.seed, '--seed'),
    interventions: v.interventions!.split(',').map((s) => oneOf(s.trim(), INTERVENTIONS, '--interventions')),
    positions: oneOf(v.positions!, ['targets', 'all'] as const, '--positions'),
    filter: { excludeHeuristic: !v['include-heuristic'], requireCorrect: !v['include-wrong'] },
    batchSize: positiveInt(v.batch, '--batch'),
    programPlots: v.plots!,
    attribution: v.attribution!,
  };
  const model = await loadModel(v);
  try {
    const s = await runTraceExperiment(model, out, config, {
      onProgress: progressBar('programs'),
      log: (m) => process.stderr.write(`${m}\n`),
    });
    const c = s.counts;
    console.log(`${c.done} of ${c.planned} programs traced, ${c.skipped} skipped; ${c.heuristic} answerable by the line-1/line-2 heuristic`);
    for (const a of s.aggregates) {
      const r = s.attribution?.[a.intervention];
      console.log(
        `${interventionTitle(a.intervention)}: ${a.n} programs counted (${c.wrong[a.intervention] ?? 0} answered wrong)` +
          (r ? `; attribution patching mean r = ${fmt(r.meanR)} over ${r.n}` : ''),
      );
      for (const [label, cells] of Object.entries(a.byTarget ?? {})) {
        const best = cells.reduce((b, m, l) => (m.normalized > cells[b].normalized ? l : b), 0);
        console.log(`  ${label.padEnd(16)} peak normalized ${fmt(cells[best].normalized)} at layer ${a.layers[best]}, success ${fmt(cells[best].success)}`);
      }
    }
    if (s.aggregates.some((a) => a.n === 0))
      console.log('no program counted for some interventions (so no heatmap for them): more programs (--n), --include-heuristic or --include-wrong count more');
    console.log(`wrote ${join(out, INTERVENTION_RESULTS)}, ${join(out, PATCH_RESULTS)} and heatmaps`);
  } finally {
    await model.dispose();
  }
}

/** A few lines: the answers, the counterfactual's effect, the strongest cells and each target's peak. */
export function traceSummary(g: PatchGrid): string {
  const lines = [
    `clean answer ${JSON.stringify(g.cleanAnswer.text)} (p=${fmt(g.cleanAnswer.prob)}; model's top-1 ${JSON.stringify(g.cleanTop1?.text)}), ` +
      `counterfactual ${JSON.stringify(g.cfAnswer.text)} (p=${fmt(g.cfAnswer.prob)}; top-1 ${JSON.stringify(g.cfTop1?.text)})`,
    `LD = logit[cf] − logit[clean]: ${fmt(g.ldClean)} clean, ${fmt(g.ldCf)} counterfactual`,
  ];
  const strides = g.shape.map((_, k) => g.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const describe = (flat: number) =>
    g.axes
      .map((axis, k) => {
        const i = Math.floor(flat / strides[k]) % g.shape[k];
        if (axis === 'layer') return `layer ${g.layers?.[i] ?? i}`;
        if (axis === 'head') return `head ${g.heads?.[i] ?? i}`;
        const pos = g.positions?.[i] ?? i;
        return `token ${pos} ${JSON.stringify(g.tokens[pos]?.text)}`;
      })
      .join(', ');
  const order = g.metrics.normalized.map((_, i) => i).sort((a, b) => g.metrics.normalized[b] - g.metrics.normalized[a]);
  lines.push('strongest cells (normalized effect, success):');
  for (const c of order.slice(0, 5)) lines.push(`  ${describe(c)}: ${fmt(g.metrics.normalized[c])}, ${g.metrics.success[c]}`);
  return lines.join('\n');
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new IntrospectError((e as Error).message.replace(/^TypeError \[\w+\]: /, ''), 'arguments');
  }
}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new IntrospectError('is required', flag);
  return v;
}

function integer(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new IntrospectError(`must be an integer, got "${v}"`, flag);
  return n;
}

function positiveInt(v: string | undefined, flag: string): number {
  const n = integer(v, flag);
  if (n <= 0) throw new IntrospectError(`must be a positive integer, got "${v}"`, flag);
  return n;
}

function intList(v: string, flag: string): number[] {
  return v.split(',').map((s) => positiveInt(s.trim(), flag));
}

function oneOf<T extends string>(v: string, options: readonly T[], flag: string): T {
  if (!options.includes(v as T)) throw new IntrospectError(`must be one of ${options.join(', ')}, got "${v}"`, flag);
  return v as T;
}

function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new IntrospectError(`cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, path);
  }
}

function loadModel(v: { model?: string; device?: string; dtype?: string }): Promise<LoadedModel> {
  return LoadedModel.load(required(v.model, '--model'), {
    device: oneOf(v.device ?? 'auto', ['auto', 'cpu', 'webgpu', 'cuda'] as const, '--device') as Device,
    dtype: oneOf(v.dtype ?? 'float32', ['float32', 'float16'] as const, '--dtype') as DType,
    log: (m) => process.stderr.write(`[engine] ${m}\n`),
  });
}
