/**
 * `introspect` — every engine job, headless. Each subcommand parses its flags with node's
 * parseArgs; user errors print one clear line and exit 1, with no stack trace.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from './atomicWrite';
import { integer, loadModel, MODEL_FLAGS, modelOptions, parse, positiveInt, readSource, required } from './cliArgs';
import { runDemo } from './demo';
import { type TinyModelType, writeTinyCheckpoint } from './checkpoint/tiny';
import { IntrospectError } from './errors';
import { BLOCK_HOOK_KINDS, type BlockHookKind } from './hooks';
import { argmax, type PatchSource, patchSweep } from './patching';
import { predictVariable, variablePrompt } from './predict';
import { progressBar } from './progress';
import {
  BENCH_USAGE,
  COMPARE_USAGE,
  ERRORS_USAGE,
  RESUME_USAGE,
  runBenchCommand,
  runCompareCommand,
  runErrorsCommand,
  runResumeCommand,
} from './tasks/cli';
import { statusLines } from './slurm/cli';
import { runShard, runStatus } from './slurm/runs';
import { EMERGENCE_USAGE, LLC_USAGE, runLlcCommand, runSaeCommand, runStudyCommand, SAE_TRAIN_USAGE, STUDY_USAGE, SUSCEPTIBILITY_USAGE, UMAP_USAGE } from './studies/cli';
import { runTraceCommand, runTraceExperimentCommand, TRACE_EXPERIMENT_USAGE, TRACE_USAGE } from './tracing/cli';

interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'the main job on the embedded model: predict a variable in an example program, trace it, write heatmaps',
    usage: 'introspect demo [--out results/demo] [--model DIR] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--seed 3]',
    async run(argv) {
      const { values: v } = parse(argv, { ...MODEL_FLAGS, out: { type: 'string', default: join('results', 'demo') }, seed: { type: 'string', default: '3' } });
      await runDemo({ out: v.out!, model: v.model, ...modelOptions(v), seed: integer(v.seed, '--seed') });
    },
  },
  predict: {
    summary: "the model's top next-token values for a variable after the code",
    usage: 'introspect predict --model DIR --file prog.py --var x [--top 5] [--device auto|cpu|webgpu|cuda] [--dtype float32|float16] [--json]',
    async run(argv) {
      const { values: v } = parse(argv, { ...MODEL_FLAGS, file: { type: 'string' }, var: { type: 'string' }, top: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } });
      const model = await loadModel(v);
      const p = await predictVariable(model, readSource(required(v.file, '--file')), required(v.var, '--var'), positiveInt(v.top, '--top'));
      if (v.json) console.log(JSON.stringify(p, null, 2));
      else {
        console.log(`${p.model} on ${model.info.device}, ${p.latencyMs.toFixed(1)} ms — ${v.var} is probably:`);
        for (const t of p.top) console.log(`  ${JSON.stringify(t.text).padEnd(12)} ${(100 * t.prob).toFixed(2).padStart(6)}%`);
        if (p.value) console.log(`whole value, from the top token on: ${p.value.text} (${(100 * p.value.prob).toFixed(2)}%)`);
        if (p.outOfDomain) console.log(`note: ${p.outOfDomain}`);
      }
      await model.dispose();
    },
  },
  patch: {
    summary: 'a layer × token activation-patching grid, as JSON',
    usage:
      'introspect patch --model DIR --file prog.py --var x (--cf cf.py | --source zero|mean) [--hook hook_resid_pre|attn.hook_z|hook_attn_out|hook_mlp_out|hook_resid_post|knockout] [--per-head] [--batch 64] [--out grid.json]',
    async run(argv) {
      const { values: v } = parse(argv, {
        ...MODEL_FLAGS,
        file: { type: 'string' },
        var: { type: 'string' },
        cf: { type: 'string' },
        source: { type: 'string', default: 'counterfactual' },
        hook: { type: 'string', default: 'hook_resid_pre' },
        'per-head': { type: 'boolean', default: false },
        batch: { type: 'string', default: '64' },
        out: { type: 'string', default: 'patch_grid.json' },
      });
      const hook = v.hook as BlockHookKind | 'knockout';
      if (hook !== 'knockout' && !BLOCK_HOOK_KINDS.includes(hook))
        throw new IntrospectError(`unknown hook kind "${v.hook}" (${[...BLOCK_HOOK_KINDS, 'knockout'].join(', ')})`, '--hook');
      const source = v.source as PatchSource;
      if (!['counterfactual', 'zero', 'mean'].includes(source))
        throw new IntrospectError(`unknown source "${v.source}" (counterfactual, zero, mean)`, '--source');
      const variable = required(v.var, '--var');
      const model = await loadModel(v);
      const clean = model.tokenizer.encode(variablePrompt(readSource(required(v.file, '--file')), variable));
      let cf: number[] | undefined;
      if (source === 'counterfactual' && hook !== 'knockout')
        cf = model.tokenizer.encodeIds(variablePrompt(readSource(required(v.cf, '--cf (or --source zero|mean)')), variable));
      const bar = progressBar('patching');
      const res = await patchSweep(
        model,
        clean.map((t) => t.id),
        cf,
        { hook, source, perHead: v['per-head'], batchSize: positiveInt(v.batch, '--batch'), onProgress: bar, watch: (c, s) => (s ? [argmax(c), argmax(s)] : [argmax(c)]) },
      );
      const cleanTop = argmax(res.cleanLogits);
      const cfTop = res.sourceLogits ? argmax(res.sourceLogits) : undefined;
      const grid = {
        model: model.info,
        hook,
        source,
        axes: res.axes,
        shape: res.shape,
        tokens: clean,
        cleanTop1: { id: cleanTop, text: model.tokenizer.tokenText(cleanTop) },
        cfTop1: cfTop === undefined ? undefined : { id: cfTop, text: model.tokenizer.tokenText(cfTop) },
        /** Per cell, row-major over axes: the patched run's top-1 token id. */
        top1: Array.from(res.top1),
        /** Per cell: 1 where patching changed the top-1 token. */
        changed: Array.from(res.top1, (t) => (t === cleanTop ? 0 : 1)),
        /** Per cell: logit[cf top-1] − logit[clean top-1] of the patched run (with a counterfactual). */
        logitDiff: cfTop === undefined ? undefined : Array.from(res.top1, (_, c) => res.watched[2 * c + 1] - res.watched[2 * c]),
      };
      writeJsonAtomic(v.out!, grid);
      console.log(`wrote ${v.out} (${res.shape.join(' × ')} cells; ${grid.changed.filter(Boolean).length} change the top-1 token)`);
      await model.dispose();
    },
  },
  trace: {
    summary: 'causal tracing of a variable: counterfactual, patching grid, heatmap PNG',
    usage: TRACE_USAGE,
    run: runTraceCommand,
  },
  'trace-experiment': {
    summary: 'causal tracing over many generated binding programs (resumable), aggregated by ref depth × layer',
    usage: TRACE_EXPERIMENT_USAGE,
    run: runTraceExperimentCommand,
  },
  bench: { summary: 'run a benchmark suite over models; results, summary and accuracy plot under results/', usage: BENCH_USAGE, run: runBenchCommand },
  resume: { summary: 'continue a crashed or cancelled benchmark run or study', usage: RESUME_USAGE, run: runResumeCommand },
  errors: { summary: 'error analysis of a benchmark run', usage: ERRORS_USAGE, run: runErrorsCommand },
  compare: { summary: 'cross-model comparison table (CSV + Markdown) over all results', usage: COMPARE_USAGE, run: runCompareCommand },
  study: {
    summary:
      'a developmental study over a checkpoint series (influence: SGLD chains, LLC and BIF per checkpoint; emergence: SAEs and correctness directions per checkpoint; susceptibility: SGLD per component, χ per token and group; umap: pictures of a susceptibility study; resumable)',
    usage: [STUDY_USAGE, EMERGENCE_USAGE, SUSCEPTIBILITY_USAGE, UMAP_USAGE].join('\n      '),
    run: runStudyCommand,
  },
  status: {
    summary: "a Slurm run's shards: done, running, pending, failed (with the failed ones' logs)",
    usage: 'introspect status <run, trace or study folder>',
    async run(argv) {
      const { positionals } = parse(argv, {}, true);
      if (positionals.length !== 1) throw new IntrospectError('name the run folder', 'folder');
      for (const line of statusLines(runStatus(positionals[0]))) console.log(line);
    },
  },
  shard: {
    summary: 'one shard of a run split into Slurm jobs (what its job array runs)',
    usage: 'introspect shard <folder holding slurm/plan.json> <k|merge>',
    async run(argv) {
      const { positionals } = parse(argv, {}, true);
      if (positionals.length !== 2) throw new IntrospectError('name the run folder and the shard number', 'shard');
      await runShard(positionals[0], positionals[1] === 'merge' ? 'merge' : integer(positionals[1], 'shard'), (args: string[]) => {
        const cmd = COMMANDS[args[0]];
        if (!cmd) throw new IntrospectError(`the plan names an unknown command "${args[0]}"`, positionals[0]);
        return cmd.run(args.slice(1));
      });
    },
  },
  sae: { summary: "one checkpoint's sparse autoencoder: activation cache, SAE, its metrics and correctness latents", usage: SAE_TRAIN_USAGE, run: runSaeCommand },
  llc: { summary: "one checkpoint's local learning coefficient by SGLD, or a calibration sweep over ε and nβ", usage: LLC_USAGE, run: runLlcCommand },
  tiny: {
    summary: 'write a random-init tiny checkpoint folder (for tests and trying things out)',
    usage: 'introspect tiny --out DIR [--type llama|qwen2|qwen3|gpt2|gpt_neox] [--layers 2] [--d-model 64] [--heads 4] [--seed 0]',
    async run(argv) {
      const { values: v } = parse(argv, {
        out: { type: 'string' },
        type: { type: 'string', default: 'llama' },
        layers: { type: 'string', default: '2' },
        'd-model': { type: 'string', default: '64' },
        heads: { type: 'string', default: '4' },
        seed: { type: 'string', default: '0' },
      });
      const out = required(v.out, '--out');
      await writeTinyCheckpoint(out, {
        modelType: v.type as TinyModelType,
        nLayers: positiveInt(v.layers, '--layers'),
        dModel: positiveInt(v['d-model'], '--d-model'),
        nHeads: positiveInt(v.heads, '--heads'),
        seed: Number(v.seed),
      });
      console.log(`wrote ${out}`);
    },
  },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}\n      ${c.usage}`);
  return `usage: introspect <command> [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) throw new IntrospectError(`unknown command "${name}" (${Object.keys(COMMANDS).join(', ')})`);
    if (rest.includes('--help')) {
      console.log(cmd.usage);
      return 0;
    }
    await cmd.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof IntrospectError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`internal error: ${(e as Error).message}\n`);
    if (process.env.INTROSPECT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 2;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
