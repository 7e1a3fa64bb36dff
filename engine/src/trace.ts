/**
 * Causal tracing of one variable in one piece of code: build the counterfactual (the root literal
 * of the variable's binding chain changed), run an intervention grid patching the clean run from
 * it, and score every cell (tracing/metrics). What the extension, the RPC server and the CLI call.
 */
import type { Intervention, PatchGrid, TopToken, TraceTarget } from './api/types';
import { domainNotice } from './checkpoint/domain';
import { IntrospectError } from './errors';
import type { LoadedModel } from './model';
import { argmax } from './patching';
import { checkContext, topK, variablePrompt } from './predict';
import { Rng } from './tasks/rng';
import { type TraceProgram, traceProgram, UnassignedError } from './tracing/chain';
import { type Counterfactual, makeCounterfactual } from './tracing/counterfactual';
import { flowTargets, literalCounterfactual } from './tracing/literalFlow';
import { type AnswerIds, traceMetrics } from './tracing/metrics';
import { runIntervention } from './tracing/sweeps';
import { traceTargets } from './tracing/targets';

export interface TraceOptions {
  intervention: Intervention;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Patched runs per forward pass (default 64). */
  batchSize?: number;
  /** Layers of the grid (default all). */
  layers?: number[];
  /**
   * Token positions of the grid (default all). For `heads`, leaving this out patches each head at
   * every position at once (a layer × head grid); giving it makes a layer × head × token grid.
   */
  positions?: number[];
  /** Seed of the choice of counterfactual value (default 0). */
  seed?: number;
}

export interface PreparedTrace {
  /** The code followed by the query line. */
  prompt: string;
  cf: Counterfactual;
  targets: TraceTarget[];
}

/**
 * Builds the counterfactual and the token targets; throws an IntrospectError saying why not. Code
 * whose variable has a binding chain (`x = y`, `y = 5`) changes the chain's root and keeps the
 * referential-depth labels; any other program the interpreter runs changes the literal its value
 * depends on (tracing/literalFlow).
 */
export function prepareTrace(model: LoadedModel, code: string, variable: string, seed = 0): PreparedTrace {
  let program: TraceProgram | undefined;
  try {
    program = traceProgram(code, variable);
  } catch (e) {
    if (!(e instanceof IntrospectError) || e instanceof UnassignedError) throw e;
  }
  if (program) {
    const cf = makeCounterfactual(model.tokenizer, program, new Rng(seed));
    if (!cf.ok) throw new IntrospectError(cf.reason, 'counterfactual');
    checkContext(model, cf.clean.length, 'the prompt');
    return { prompt: program.prompt, cf, targets: traceTargets(program, cf.clean) };
  }
  const prompt = variablePrompt(code, variable);
  const cf = literalCounterfactual(model.tokenizer, prompt, variable, new Rng(seed));
  if (!cf.ok) throw new IntrospectError(cf.reason, 'counterfactual');
  checkContext(model, cf.clean.length, 'the prompt');
  return { prompt, cf, targets: flowTargets(prompt, cf, cf.clean) };
}

export async function traceVariable(model: LoadedModel, code: string, variable: string, opts: TraceOptions): Promise<PatchGrid> {
  return traceGrid(model, prepareTrace(model, code, variable, opts.seed), opts);
}

/** The intervention grid of a prepared trace. */
export async function traceGrid(model: LoadedModel, t: PreparedTrace, opts: Omit<TraceOptions, 'seed'>): Promise<PatchGrid> {
  const clean = t.cf.clean.map((s) => s.id);
  const cfIds = t.cf.counterfactual.map((s) => s.id);
  const watch = [...new Set(t.cf.answers.flatMap((a) => [a.clean, a.cf]))];
  const r = await runIntervention(model, clean, cfIds, {
    intervention: opts.intervention,
    layers: opts.layers,
    positions: opts.positions,
    watch,
    batchSize: opts.batchSize,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const answer = answerIds(t.cf, r.cleanLogits);
  const outOfDomain = domainNotice(model.info.name, model.domain, t.prompt);
  const col = (id: number) => Array.from({ length: r.top1.length }, (_, c) => r.watched[c * watch.length + watch.indexOf(id)]);
  const { ldClean, ldCf, metrics } = traceMetrics(r.cleanLogits, r.cfLogits, answer, {
    top1: r.top1,
    cleanAnswer: col(answer.clean),
    cfAnswer: col(answer.cf),
  });
  return {
    intervention: opts.intervention,
    axes: r.axes,
    shape: r.shape,
    tokens: t.cf.clean,
    cleanAnswer: tokenAt(model, r.cleanLogits, answer.clean),
    cfAnswer: tokenAt(model, r.cfLogits, answer.cf),
    cleanTop1: tokenAt(model, r.cleanLogits, argmax(r.cleanLogits)),
    cfTop1: tokenAt(model, r.cfLogits, argmax(r.cfLogits)),
    ldClean,
    ldCf,
    metrics,
    layers: r.layers,
    positions: r.positions,
    heads: r.heads,
    prompt: t.prompt,
    cfPrompt: t.cf.cfPrompt,
    targets: t.targets,
    ...(outOfDomain && { outOfDomain }),
  };
}

export interface PatchedTopKOptions {
  intervention: Intervention;
  /** The cell of the full grid traceVariable returns: one index per axis. */
  index: number[];
  topK: number;
  signal?: AbortSignal;
  seed?: number;
}

/** The patched run's next-token top-k at one cell of traceVariable's grid. */
export async function patchedTopK(model: LoadedModel, code: string, variable: string, o: PatchedTopKOptions): Promise<TopToken[]> {
  const t = prepareTrace(model, code, variable, o.seed);
  const { nLayers, nHeads } = model.spec;
  const T = t.cf.clean.length;
  const [layer, second] = o.index;
  const limit = o.intervention === 'heads' ? nHeads : T;
  if (o.index.length !== 2 || !(Number.isInteger(layer) && layer >= 0 && layer < nLayers) || !(Number.isInteger(second) && second >= 0 && second < limit))
    throw new IntrospectError(`${JSON.stringify(o.index)} is not a cell of the ${nLayers} × ${limit} grid`, 'index');
  if (o.signal?.aborted) throw new IntrospectError('cancelled');
  const r = await runIntervention(
    model,
    t.cf.clean.map((s) => s.id),
    t.cf.counterfactual.map((s) => s.id),
    {
      intervention: o.intervention,
      layers: [layer],
      ...(o.intervention === 'heads' ? { heads: [second] } : { positions: [second] }),
      watch: [],
      keepLogits: true,
      signal: o.signal,
    },
  );
  return topK(model, r.logits!, o.topK);
}

/**
 * The answer's first tokens in the form the model writes it: of the forms that tell the values
 * apart (`5` or ` 5` after the colon), the one whose clean answer token the clean run rates higher.
 */
function answerIds(cf: Counterfactual, cleanLogits: Float32Array): AnswerIds {
  const best = cf.answers.reduce((a, b) => (cleanLogits[b.clean] > cleanLogits[a.clean] ? b : a));
  return { clean: best.clean, cf: best.cf };
}

function tokenAt(model: LoadedModel, logits: Float32Array, id: number): TopToken {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return { id, text: model.tokenizer.tokenText(id), logit: logits[id], prob: Math.exp(logits[id] - max) / sum };
}
