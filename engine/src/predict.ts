/**
 * What the model thinks a variable holds: the next-token distribution after a query about it,
 * and greedy generation for answers longer than one token.
 */
import type { Prediction, TopToken } from './api/types';
import { domainNotice } from './checkpoint/domain';
import { IntrospectError } from './errors';
import { type HostTensor, LayeredRunner } from './layered';
import type { LoadedModel } from './model';
import { argmax } from './patching';

/**
 * The query the model is asked: the code, then `#x:` on its own line — the format of the variable
 * binding programs (arXiv 2505.20896) the embedded model is trained on.
 */
export function variablePrompt(code: string, variable: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(variable)) throw new IntrospectError(`"${variable}" is not a variable name`, 'variable');
  // A program that already ends with a query line (`#q:`, as binding programs do) gets this one instead.
  const body = code.replace(/\s+$/, '').replace(/(^|\n)#[A-Za-z_$][\w$]*:[ \t]*$/, '').replace(/\s+$/, '');
  if (!body) throw new IntrospectError('empty program: there is no code to query', 'code');
  return `${body}\n#${variable}:`;
}

/** Softmax over a logit row, then the k most likely tokens. */
export function topK(model: LoadedModel, logits: Float32Array, k: number): TopToken[] {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const order = Array.from(logits.keys())
    .sort((a, b) => logits[b] - logits[a])
    .slice(0, k);
  return order.map((id) => ({
    id,
    text: model.tokenizer.tokenText(id),
    logit: logits[id],
    prob: Math.exp(logits[id] - max) / sum,
  }));
}

/** The model's context in tokens: a longer prompt reaches positions it was never trained on. */
export function checkContext(model: LoadedModel, tokens: number, what: string): void {
  const max = model.spec.maxPositions;
  if (tokens > max) throw new IntrospectError(`is ${tokens} tokens; ${model.info.name}'s context is ${max} tokens`, what);
}

/** Characters a token covers at most, for cutting a long text before tokenizing it (a longer token only means more is cut). */
const MAX_CHARS_PER_TOKEN = 64;

/**
 * The prompt for `variable` after `code`, fitted to the model's context: `refuse` (an explicit
 * request) makes a too-long prompt an error giving both lengths; `trim` (a hover) keeps the last
 * lines of the code that fit — those nearest the variable — and counts the lines left out.
 */
export function fittedPrompt(model: LoadedModel, code: string, variable: string, fit: 'refuse' | 'trim'): { prompt: string; ids: number[]; omittedLines: number } {
  const whole = variablePrompt(code, variable);
  const max = model.spec.maxPositions;
  if (fit === 'refuse' || whole.length <= max * MAX_CHARS_PER_TOKEN) {
    const ids = model.tokenizer.encodeIds(whole);
    if (ids.length <= max) return { prompt: whole, ids, omittedLines: 0 };
    if (fit === 'refuse') checkContext(model, ids.length, 'the prompt');
  }
  const lines = code.replace(/\s+$/, '').split('\n');
  // The first line kept: at least the one the character budget allows, then as early as still fits.
  let chars = 0;
  let lo = lines.length - 1;
  while (lo > 0 && chars + lines[lo - 1].length + 1 <= max * MAX_CHARS_PER_TOKEN) chars += lines[--lo].length + 1;
  const attempt = (from: number) => {
    const prompt = variablePrompt(lines.slice(from).join('\n'), variable);
    return { prompt, ids: model.tokenizer.encodeIds(prompt) };
  };
  let hi = lines.length - 1;
  if (attempt(hi).ids.length > max) throw new IntrospectError(`even its last line makes a prompt longer than ${model.info.name}'s context of ${max} tokens`, 'the code');
  // Binary search for the earliest first line whose prompt fits.
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (attempt(mid).ids.length <= max) hi = mid;
    else lo = mid + 1;
  }
  return { ...attempt(lo), omittedLines: lo };
}

/** The model's top-k values for `variable` after `code`, the prompt fitted to its context (see fittedPrompt). */
export async function predictVariable(model: LoadedModel, code: string, variable: string, k: number, fit: 'refuse' | 'trim' = 'refuse'): Promise<Prediction> {
  const f = fittedPrompt(model, code, variable, fit);
  const t0 = performance.now();
  const p = await predictIds(model, f.prompt, f.ids, k);
  const value = await wholeNumber(model, f.ids, p.top[0]);
  const outOfDomain = domainNotice(model.info.name, model.domain, code);
  return {
    ...p,
    ...(value && { value, latencyMs: performance.now() - t0 }),
    ...(f.omittedLines && { omittedLines: f.omittedLines, contextTokens: model.spec.maxPositions }),
    ...(outOfDomain && { outOfDomain }),
  };
}

/** Digits of a number, after an optional minus or space: what a value's first token may be. */
const NUMBER_START = /^\s?-?\d*$/;
const DIGITS = /^\d+$/;
/** Tokens a number may take at most (a char-level model writes one digit per token). */
const MAX_NUMBER_TOKENS = 8;

/**
 * The whole number the model writes when the top token starts one and more digits follow: greedy
 * decoding while each next token is digits, until one is not. Undefined for a value of one token,
 * for no number, and when the digits run on past MAX_NUMBER_TOKENS (a model never taught where a
 * value ends: its digits are no value).
 */
async function wholeNumber(model: LoadedModel, ids: number[], first: TopToken | undefined): Promise<Prediction['value']> {
  if (!first || !NUMBER_START.test(first.text) || !/\S/.test(first.text)) return undefined;
  const row = [...ids, first.id];
  let text = first.text;
  let prob = first.prob;
  while (row.length < model.spec.maxPositions) {
    const out = await model.forward([row], { logits: 'last' });
    const [next] = topK(model, out.logits.data, 1);
    if (!DIGITS.test(next.text)) return row.length - ids.length > 1 && /\d/.test(text) ? { text: text.trim(), prob } : undefined;
    if (row.length - ids.length === MAX_NUMBER_TOKENS) return undefined;
    row.push(next.id);
    text += next.text;
    prob *= next.prob;
  }
  return undefined;
}

export async function predictNext(model: LoadedModel, prompt: string, k = 5): Promise<Prediction> {
  return predictIds(model, prompt, model.tokenizer.encodeIds(prompt), k);
}

async function predictIds(model: LoadedModel, prompt: string, ids: number[], k: number): Promise<Prediction> {
  const t0 = performance.now();
  if (ids.length === 0) throw new IntrospectError('empty prompt', 'prompt');
  const out = await model.forward([ids], { logits: 'last' });
  return { model: model.info.name, prompt, top: topK(model, out.logits.data, k), latencyMs: performance.now() - t0 };
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Stop a row once its continuation contains one of these strings. */
  stop?: string[];
  signal?: AbortSignal;
}

/**
 * Greedy decoding of a batch of prompts with a KV cache (prompts left-padded to one length; each
 * step runs only the new token through every layer); returns each continuation without its prompt.
 */
export async function generate(model: LoadedModel, prompts: string[], opts: GenerateOptions): Promise<string[]> {
  const { vocabSize: V } = model.spec;
  const eos = new Set(model.tokenizer.eosTokenIds);
  const pad = model.tokenizer.padTokenId ?? 0;
  const rows = prompts.map((p) => model.tokenizer.encodeIds(p));
  if (rows.some((r) => r.length === 0)) throw new IntrospectError('empty prompt', 'prompt');
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length));
  const runner = await LayeredRunner.create(model);

  // Prefill: the prompts, left-padded; positions count real tokens only.
  const ids = new BigInt64Array(B * T).fill(BigInt(pad));
  let keyMask = new BigInt64Array(B * T);
  const positions = new BigInt64Array(B * T);
  const next = new BigInt64Array(B);
  rows.forEach((r, b) => {
    const off = T - r.length;
    r.forEach((id, t) => {
      ids[b * T + off + t] = BigInt(id);
      keyMask[b * T + off + t] = 1n;
      positions[b * T + off + t] = BigInt(t);
    });
    next[b] = BigInt(r.length);
  });
  let { logits, cache } = await runStep(runner, model, ids, { data: positions, shape: [B, T] }, { data: keyMask, shape: [B, T] }, emptyCache(model, B));

  const added: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  for (let step = 0; step < opts.maxNewTokens; step++) {
    if (opts.signal?.aborted) throw new IntrospectError('cancelled');
    const tokens = new BigInt64Array(B).fill(BigInt(pad));
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      const best = argmax(logits.data.subarray(b * V, (b + 1) * V));
      if (eos.has(best)) {
        done[b] = true;
        continue;
      }
      added[b].push(best);
      tokens[b] = BigInt(best);
      if (opts.stop?.some((s) => model.tokenizer.decode(added[b]).includes(s))) done[b] = true;
    }
    if (!done.includes(false) || step === opts.maxNewTokens - 1) break;
    const width = keyMask.length / B;
    const grown = new BigInt64Array(B * (width + 1));
    for (let b = 0; b < B; b++) {
      grown.set(keyMask.subarray(b * width, (b + 1) * width), b * (width + 1));
      grown[b * (width + 1) + width] = 1n;
    }
    keyMask = grown;
    ({ logits, cache } = await runStep(runner, model, tokens, { data: next.slice(), shape: [B, 1] }, { data: keyMask, shape: [B, width + 1] }, cache));
    for (let b = 0; b < B; b++) next[b] += 1n;
  }
  return added.map((ids) => {
    const text = model.tokenizer.decode(ids);
    const cut = Math.min(...(opts.stop ?? []).map((s) => text.indexOf(s)).filter((i) => i >= 0), text.length);
    return text.slice(0, cut);
  });
}

interface KvCache {
  k: HostTensor[];
  v: HostTensor[];
}

function emptyCache(model: LoadedModel, B: number): KvCache {
  const { nLayers, nKvHeads, dHead } = model.spec;
  const empty = () => ({ data: new Float32Array(0), shape: [B, nKvHeads, 0, dHead] });
  return { k: Array.from({ length: nLayers }, empty), v: Array.from({ length: nLayers }, empty) };
}

/** Runs new tokens [B,Tn] through every stage after the cached ones: last-position logits and the grown cache. */
async function runStep(
  runner: LayeredRunner,
  model: LoadedModel,
  ids: BigInt64Array,
  positions: { data: BigInt64Array; shape: number[] },
  keyMask: { data: BigInt64Array; shape: number[] },
  cache: KvCache,
): Promise<{ logits: HostTensor; cache: KvCache }> {
  let x = await runner.embed(ids, positions.shape, positions);
  const nextCache: KvCache = { k: [], v: [] };
  for (let l = 0; l < model.spec.nLayers; l++) {
    const r = await runner.block(l, { x, positions, keyMask, pastK: cache.k[l], pastV: cache.v[l], fetch: ['out', 'present_k', 'present_v'] });
    nextCache.k.push(r.present_k);
    nextCache.v.push(r.present_v);
    x = r.out;
  }
  return { logits: await runner.head(x), cache: nextCache };
}
