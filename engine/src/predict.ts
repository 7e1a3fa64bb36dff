/**
 * What the model thinks a variable holds: the next-token distribution after a query about it,
 * and greedy generation for answers longer than one token.
 */
import type { Prediction, TopToken } from './api/types';
import { IntrospectError } from './errors';
import type { LoadedModel } from './model';
import { argmax } from './patching';

/**
 * The query the model is asked: the code, then `#x:` on its own line — the format of the variable
 * binding programs (arXiv 2505.20896) the embedded model is trained on.
 */
export function variablePrompt(code: string, variable: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(variable)) throw new IntrospectError(`"${variable}" is not a variable name`, 'variable');
  const body = code.replace(/\s+$/, '');
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

export async function predictNext(model: LoadedModel, prompt: string, k = 5): Promise<Prediction> {
  const t0 = performance.now();
  const ids = model.tokenizer.encodeIds(prompt);
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

/** Greedy decoding of a batch of prompts; returns each continuation (without the prompt). */
export async function generate(model: LoadedModel, prompts: string[], opts: GenerateOptions): Promise<string[]> {
  const eos = new Set(model.tokenizer.eosTokenIds);
  const rows = prompts.map((p) => model.tokenizer.encodeIds(p));
  const added: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const V = model.spec.vocabSize;
  for (let step = 0; step < opts.maxNewTokens && done.includes(false); step++) {
    if (opts.signal?.aborted) throw new IntrospectError('cancelled');
    const active = rows.flatMap((_, i) => (done[i] ? [] : [i]));
    const out = await model.forward(
      active.map((i) => [...rows[i], ...added[i]]),
      { logits: 'last' },
    );
    active.forEach((i, r) => {
      const row = out.logits.data.subarray(r * V, (r + 1) * V);
      const best = argmax(row);
      if (eos.has(best)) {
        done[i] = true;
        return;
      }
      added[i].push(best);
      const text = model.tokenizer.decode(added[i]);
      if (opts.stop?.some((s) => text.includes(s))) done[i] = true;
    });
  }
  return added.map((ids) => {
    const text = model.tokenizer.decode(ids);
    const cut = Math.min(...(opts.stop ?? []).map((s) => text.indexOf(s)).filter((i) => i >= 0), text.length);
    return text.slice(0, cut);
  });
}
