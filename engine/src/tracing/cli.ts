/**
 * Command-line entries of causal tracing, for engine/src/cli.ts to dispatch to:
 *
 *   introspect trace --model DIR --file prog.py --var x [--intervention resid|heads|mlp|knockout]
 *                    [--out DIR] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--batch 64] [--seed 0]
 *                    [--attribution]
 *   introspect trace-experiment --model DIR --out DIR [--lens 16] [--hops 1,2,3] [--n 10] [--seed 0]
 *                    [--interventions resid,heads] [--positions targets|all] [--include-heuristic]
 *                    [--include-wrong] [--plots] [--attribution] [--batch 64] [--device ...] [--dtype ...] [--slurm …]
 *
 * Both throw IntrospectError for bad input, which the CLI prints as one line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Intervention, PatchGrid } from '../api/types';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { MODEL_FLAGS as COMMON_MODEL_FLAGS, integer, intList, loadModel, oneOf, parse, positiveInt, readSource, required } from '../cliArgs';
import { progressBar } from '../progress';
import { printSubmitted, SLURM_FLAGS, SLURM_USAGE, slurmOptions, withoutSlurmFlags } from '../slurm/cli';
import { planAndSubmit } from '../slurm/runs';
import { prepareTrace, traceVariable } from '../trace';
import { type AttributionGrid, attributionGrid, compareWithPatching } from './attribution';
import { DEFAULT_EXPERIMENT, INTERVENTION_RESULTS, PATCH_RESULTS, runTraceExperiment } from './experiment';
import { gridHeatmapPng, interventionTitle } from './heatmaps';

export const TRACE_USAGE =
  'introspect trace --model DIR --file prog.py --var x [--intervention resid|heads|mlp|knockout] [--out DIR] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--batch 64] [--seed 0] [--attribution]';
export const TRACE_EXPERIMENT_USAGE = `introspect trace-experiment --model DIR --out DIR [--lens 16] [--hops 1,2,3] [--n 10] [--seed 0] [--interventions resid,heads] [--positions targets|all] [--include-heuristic] [--include-wrong] [--plots] [--attribution] [--batch 64] [--device ...] [--dtype ...] ${SLURM_USAGE}`;

const INTERVENTIONS: Intervention[] = ['resid', 'heads', 'mlp', 'knockout'];

const MODEL_FLAGS = {
  ...COMMON_MODEL_FLAGS,
  batch: { type: 'string', default: '64' },
  seed: { type: 'string', default: '0' },
} as const;

/** Traces one variable: writes `<out>/grid.json` and `<out>/heatmap_<intervention>.png`, prints a summary. */
export async function runTraceCommand(argv: string[]): Promise<void> {
  const { values: v } = parse(argv, {
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
  const { values: v } = parse(argv, {
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
    ...SLURM_FLAGS,
    // One shard of a run split across Slurm jobs: its name, and the block of programs it traces.
    shard: { type: 'string' },
    'shard-lens': { type: 'string' },
    'shard-hops': { type: 'string' },
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
  const slurm = slurmOptions(v);
  if (slurm) {
    // A shard per (length, hops) block; the merge job is this command again, which finds every program traced.
    const again = ['trace-experiment', ...withoutSlurmFlags(argv)];
    const shards = config.seqLens.flatMap((len) =>
      config.hops.map((hops) => ({ name: `shard-${len}-${hops}`, what: `length ${len}, ${hops} hops`, args: [...again, '--shard', `shard-${len}-${hops}`, '--shard-lens', String(len), '--shard-hops', String(hops)] })),
    );
    mkdirSync(out, { recursive: true });
    return printSubmitted(planAndSubmit(out, 'trace', shards, again, slurm));
  }
  const shard = v.shard === undefined ? undefined : { name: v.shard, seqLens: intList(required(v['shard-lens'], '--shard-lens'), '--shard-lens'), hops: intList(required(v['shard-hops'], '--shard-hops'), '--shard-hops') };
  const model = await loadModel(v);
  try {
    const s = await runTraceExperiment(model, out, config, {
      onProgress: progressBar('programs'),
      log: (m) => process.stderr.write(`${m}\n`),
      shard,
    });
    if (shard) {
      console.log(`${shard.name}: ${s.counts.done} programs traced, ${s.counts.skipped} skipped`);
      return;
    }
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








