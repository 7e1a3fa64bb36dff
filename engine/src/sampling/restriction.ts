/**
 * Weight restrictions: which coordinates of a model's flat parameter vector a sampler moves; the
 * rest stay exactly at θ*. Named as devinterp names components — `full`, `l0` (a layer), `l0.attn`,
 * `l0.mlp`, `l0.h1` (one attention head), `embed`, `unembed` — and joined with `+`.
 *
 * A restriction is stated on the canonical graph weights (`blocks.0.attn.q.weight`, [d_model,
 * heads·d_head]) and mapped to flat Hugging Face offsets through the graph's weight sources, so a
 * head's slices come out right for every family: GPT-2's concatenated `c_attn`, GPT-NeoX's
 * interleaved `query_key_value`, and grouped-query attention (a query head's key/value slices are
 * those of the key-value head it reads).
 */
import { weightSources } from '../autodiff/lossGraph';
import type { ParameterLayout } from '../autodiff/parameters';
import type { ModelSpec } from '../arch/spec';
import { IntrospectError } from '../errors';

export interface Restriction {
  /** As written, e.g. `l0.h1+l1.mlp`. */
  name: string;
  /** Sorted, disjoint flat ranges [start, end), flattened: start0, end0, start1, end1, … */
  ranges: Int32Array;
  /** Coordinates sampled. */
  count: number;
  /** Hugging Face parameters holding sampled coordinates (the ones to differentiate). */
  params: string[];
}

/** The whole model. */
export function fullRestriction(layout: ParameterLayout): Restriction {
  return { name: 'full', ranges: Int32Array.of(0, layout.size), count: layout.size, params: layout.slots.map((s) => s.name) };
}

const SYNTAX = 'full, embed, unembed, l<L>, l<L>.attn, l<L>.mlp or l<L>.h<H>, joined with +';

export function parseRestriction(text: string, layout: ParameterLayout): Restriction {
  const parts = text.split('+').map((p) => p.trim());
  if (parts.includes('full')) return { ...fullRestriction(layout), name: text };
  const spec = layout.spec;
  const sources = weightSources(layout);
  const offsets: Int32Array[] = [];
  const weight = (name: string) => {
    const s = sources.get(name);
    if (!s) throw new IntrospectError(`the graph has no weight ${name}`, 'restriction');
    return s;
  };
  const whole = (prefix: string) => {
    for (const [name, s] of sources) if (name === prefix || name.startsWith(`${prefix}.`)) offsets.push(s);
  };
  for (const part of parts) {
    const m = /^l(\d+)(?:\.(attn|mlp|h(\d+)))?$/.exec(part);
    if (part === 'embed') {
      whole('embed');
      whole('pos_embed');
    } else if (part === 'unembed') whole('unembed');
    else if (m) {
      const layer = Number(m[1]);
      if (layer >= spec.nLayers) throw new IntrospectError(`layer ${layer} out of range: the model has ${spec.nLayers} layers`, part);
      const block = `blocks.${layer}`;
      if (!m[2]) whole(block);
      else if (m[2] === 'attn') whole(`${block}.attn`);
      else if (m[2] === 'mlp') for (const w of ['up', 'gate', 'down']) whole(`${block}.mlp.${w}`);
      else offsets.push(...headOffsets(spec, block, Number(m[3]), part, weight, (n) => sources.get(n)));
    } else throw new IntrospectError(`unknown component "${part}" (${SYNTAX})`, 'restriction');
  }
  return fromOffsets(text, offsets, layout);
}

/** A head's query, key and value columns (and biases) and its rows of the output projection. */
function headOffsets(
  spec: ModelSpec,
  block: string,
  head: number,
  part: string,
  weight: (name: string) => Int32Array,
  optional: (name: string) => Int32Array | undefined,
): Int32Array[] {
  if (head >= spec.nHeads) throw new IntrospectError(`head ${head} out of range: the model has ${spec.nHeads} heads per layer`, part);
  const { dModel: d, dHead: dh } = spec;
  const kvHead = Math.floor(head / (spec.nHeads / spec.nKvHeads));
  const out: Int32Array[] = [];
  const cols = (name: string, h: number, heads: number, rows: number) => {
    const src = weight(name);
    const sel = new Int32Array(rows * dh);
    for (let r = 0; r < rows; r++) for (let c = 0; c < dh; c++) sel[r * dh + c] = src[r * heads * dh + h * dh + c];
    out.push(sel);
  };
  for (const [p, h, heads] of [['q', head, spec.nHeads], ['k', kvHead, spec.nKvHeads], ['v', kvHead, spec.nKvHeads]] as const) {
    cols(`${block}.attn.${p}.weight`, h, heads, d);
    if (optional(`${block}.attn.${p}.bias`)) cols(`${block}.attn.${p}.bias`, h, heads, 1);
  }
  out.push(weight(`${block}.attn.o.weight`).subarray(head * dh * d, (head + 1) * dh * d));
  return out;
}

function fromOffsets(name: string, parts: Int32Array[], layout: ParameterLayout): Restriction {
  const all = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    all.set(p, k);
    k += p.length;
  }
  all.sort();
  const ranges: number[] = [];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    if (i > 0 && all[i] === all[i - 1]) continue; // a tied weight, or parts that overlap
    count++;
    if (ranges.length && ranges[ranges.length - 1] === all[i]) ranges[ranges.length - 1]++;
    else ranges.push(all[i], all[i] + 1);
  }
  if (count === 0) throw new IntrospectError('selects no weights of this model', name);
  const params = layout.slots.filter((s) => overlaps(ranges, s.offset, s.offset + s.size)).map((s) => s.name);
  return { name, ranges: Int32Array.from(ranges), count, params };
}

function overlaps(ranges: number[], start: number, end: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i] < end && ranges[i + 1] > start) return true;
  return false;
}

/** Component kinds a susceptibility study expands per layer and head. */
export const COMPONENT_KINDS = ['heads', 'attn', 'mlp', 'layers', 'embed', 'unembed'] as const;

/**
 * A comma-separated component list as restrictions: `heads` → every `l<L>.h<H>`, `attn` → every
 * `l<L>.attn`, `mlp` → every `l<L>.mlp`, `layers` → every `l<L>`; anything else (`embed`, `l0.h1`,
 * `l1.mlp+l2.mlp`) is a restriction as written. Duplicates are dropped; `full` is not a component.
 */
export function expandComponents(list: string, spec: Pick<ModelSpec, 'nLayers' | 'nHeads'>): string[] {
  const layers = Array.from({ length: spec.nLayers }, (_, l) => l);
  const out = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => {
      if (p === 'heads') return layers.flatMap((l) => Array.from({ length: spec.nHeads }, (_, h) => `l${l}.h${h}`));
      if (p === 'attn' || p === 'mlp') return layers.map((l) => `l${l}.${p}`);
      if (p === 'layers') return layers.map((l) => `l${l}`);
      if (p === 'full') throw new IntrospectError('the whole model is the reference run, not a component', 'components');
      return [p];
    });
  if (!out.length) throw new IntrospectError(`names no component (${COMPONENT_KINDS.join(', ')}, or restrictions such as l0.h1)`, 'components');
  return [...new Set(out)];
}
