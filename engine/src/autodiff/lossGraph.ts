/**
 * One graph that computes a transformer's per-row losses (or a custom metric) and the gradients of
 * the objective with respect to chosen parameters and hook activations. Differentiated weights
 * become graph inputs (fed from the flat parameter vector every run, so an optimizer can change
 * them); the others stay constants.
 */
import { buildTransformer, type GraphVariant } from '../arch/transformer';
import { IntrospectError } from '../errors';
import { type BlockHookName, parseHookName } from '../hooks';
import { GraphBuilder, type Value } from '../onnx/builder';
import { gradients } from './gradients';
import { LOSS_OUTPUT, PER_ROW_LOSS_OUTPUT, PER_TOKEN_LOSS_OUTPUT, perRowCrossEntropy } from './loss';
import type { ParameterLayout } from './parameters';

export interface LossGraphOptions {
  /** Which Hugging Face parameters to differentiate (default: all; none with `[]`). */
  params?: string[] | ((name: string) => boolean);
  /** Hook activations to differentiate (for attribution patching: d metric / d activation). */
  hooks?: BlockHookName[];
  /**
   * A scalar objective built on the logits [B,T,V] (float32), instead of the mean per-row
   * cross-entropy. It may add its own graph inputs.
   */
  metric?: (b: GraphBuilder, logits: Value) => Value;
  /** Also output the logits [B,T,V]. */
  logits?: boolean;
  /** Differentiate nothing: a forward graph with the weights as inputs (for evaluation). */
  forwardOnly?: boolean;
  /** Also output every position's next-token loss `loss.per_token` [B,T] (unweighted). */
  perToken?: boolean;
}

export interface WeightInput {
  /** Graph input name (the builder's weight name, e.g. `blocks.0.attn.q.weight`). */
  name: string;
  dims: number[];
  /** Flat parameter offset of each element. */
  sources: Int32Array;
}

export interface LossGraph {
  builder: GraphBuilder;
  weightInputs: WeightInput[];
  /** Output holding d objective / d weight, by graph weight name. */
  weightGrads: Map<string, string>;
  /** Output holding d objective / d activation, by hook name. */
  hookGrads: Map<BlockHookName, string>;
  /** Output names: `loss.per_row` [B], `loss` (scalar objective), `logits` and `loss.per_token` when asked. */
  perRow?: string;
  perToken?: string;
  objective: string;
}

export const gradOutput = (name: string) => `grad.${name}`;

export function buildLossGraph(layout: ParameterLayout, flat: Float32Array, opts: LossGraphOptions = {}): LossGraph {
  const spec = layout.spec;
  const hooks = opts.hooks ?? [];
  for (const h of hooks) {
    const p = parseHookName(h);
    if (!p || p.layer >= spec.nLayers) throw new IntrospectError(`unknown hook (model has ${spec.nLayers} layers)`, h);
  }
  const variant: GraphVariant = { ...PLAIN_VARIANT, hooks: hooks.length > 0 };
  // Where graph weights come from is only needed for those that become inputs.
  const noParams = !opts.forwardOnly && Array.isArray(opts.params) && opts.params.length === 0;
  const sources = noParams ? new Map<string, Int32Array>() : weightSources(layout, variant);
  const b = new GraphBuilder('float32');
  buildTransformer(b, spec, layout.canonical(flat), variant);

  // Hook points are exposed as Identity outputs; differentiate their inputs, drop the outputs.
  const hookValues = new Map<BlockHookName, Value>();
  for (const h of hooks) {
    const node = b.nodes.find((n) => n.op === 'Identity' && n.outputs[0] === h);
    if (!node) throw new IntrospectError('hook point not found in the graph', h);
    hookValues.set(h, node.inputs[0]);
  }
  const keep = b.outputs.filter((o) => o.name === 'logits' && opts.logits);
  b.outputs.splice(0, b.outputs.length, ...keep);

  const selected = selector(layout, opts.params);
  const weightInputs: WeightInput[] = [];
  for (const init of [...b.initializers]) {
    if (!b.weightNames.has(init.name)) continue;
    const src = sources.get(init.name);
    if (!src || (!opts.forwardOnly && !src.some((o) => selected(o)))) continue;
    b.initializers.splice(b.initializers.indexOf(init), 1);
    b.input(init.name, 'float32', init.dims);
    weightInputs.push({ name: init.name, dims: init.dims, sources: src });
  }

  let objective: Value;
  let perRow: Value | undefined;
  let perToken: Value | undefined;
  if (opts.metric) objective = opts.metric(b, 'logits');
  else {
    const ce = perRowCrossEntropy(b, 'logits');
    objective = ce.mean;
    perRow = b.output(ce.perRow, PER_ROW_LOSS_OUTPUT, 'float32', ['batch']);
    if (opts.perToken) perToken = b.output(ce.perToken, PER_TOKEN_LOSS_OUTPUT, 'float32', ['batch', 'seq']);
  }
  b.output(objective, LOSS_OUTPUT, 'float32', []);

  const weightGrads = new Map<string, string>();
  const hookGrads = new Map<BlockHookName, string>();
  if (!opts.forwardOnly) {
    const grads = gradients(b, objective, [...weightInputs.map((w) => w.name), ...hookValues.values()]);
    for (const w of weightInputs) weightGrads.set(w.name, b.output(grads.get(w.name)!, gradOutput(w.name), 'float32', w.dims));
    for (const [h, v] of hookValues) {
      const d = h.endsWith('attn.hook_z') ? spec.nHeads * spec.dHead : spec.dModel;
      hookGrads.set(h, b.output(grads.get(v)!, gradOutput(h), 'float32', ['batch', 'seq', d]));
    }
  }
  return { builder: b, weightInputs, weightGrads, hookGrads, perRow, perToken, objective: LOSS_OUTPUT };
}

/** The transformer as a loss graph builds it (all logits, no hook outputs, no patching). */
const PLAIN_VARIANT: GraphVariant = { logits: 'all', hooks: false, patch: [], knockout: false };

/** Per layout and variant, computed once: a trainer builds a training and an evaluation graph. */
const sourceCache = new WeakMap<ParameterLayout, Map<string, Map<string, Int32Array>>>();

/** For each graph weight (canonical name, e.g. `blocks.0.attn.q.weight`), the flat offset of every element. */
export function weightSources(layout: ParameterLayout, variant: GraphVariant = PLAIN_VARIANT): Map<string, Int32Array> {
  let byVariant = sourceCache.get(layout);
  if (!byVariant) sourceCache.set(layout, (byVariant = new Map()));
  const key = JSON.stringify(variant);
  let s = byVariant.get(key);
  if (!s) byVariant.set(key, (s = layout.sources((b, w) => buildTransformer(b, layout.spec, w, variant))));
  return s;
}

/** Whether a flat offset belongs to a selected parameter. */
function selector(layout: ParameterLayout, params: LossGraphOptions['params']): (offset: number) => boolean {
  if (params === undefined) return () => true;
  const pick = typeof params === 'function' ? params : (n: string) => params.includes(n);
  if (Array.isArray(params)) for (const p of params) layout.slot(p);
  const ranges = layout.slots.filter((s) => pick(s.name)).map((s) => [s.offset, s.offset + s.size]);
  return (o) => ranges.some(([a, z]) => o >= a && o < z);
}
