/**
 * Counterfactual programs for causal tracing: the same prompt with only the root literal of the
 * queried variable's chain changed (the seed's recipe), accepted only when the two prompts line
 * up token by token, so that position p means the same thing in both runs.
 */
import type { TokenSpan } from '../api/types';
import type { Rng } from '../tasks/rng';
import type { Tokenizer } from '../tokenizer';
import type { TraceProgram } from './chain';

/**
 * The first token of the answer as the model would write it after the query, for the clean and
 * the counterfactual value. `form` is what precedes the value: nothing (`#x:5`) or a space (`#x: 5`).
 */
export interface AnswerPair {
  form: '' | ' ';
  clean: number;
  cf: number;
}

export interface Counterfactual {
  clean: TokenSpan[];
  counterfactual: TokenSpan[];
  cfPrompt: string;
  cleanValue: string;
  cfValue: string;
  /** Character range of the changed literal in the clean prompt (in the counterfactual it ends where its value does). */
  changed: { start: number; end: number };
  /** Token positions whose ids differ between the prompts (all inside the changed literal). */
  changedPositions: number[];
  /** Answer forms whose first tokens tell the two values apart (at least one). */
  answers: AnswerPair[];
}

export type CounterfactualResult = ({ ok: true } & Counterfactual) | { ok: false; reason: string };

/** How many other values of a multi-digit literal are tried before giving up. */
const MAX_CANDIDATES = 40;

/** A literal of the prompt that a counterfactual changes. */
export interface LiteralSite {
  /** Character range [start, end) in the prompt. */
  start: number;
  end: number;
  text: string;
}

/**
 * Replaces the root literal with another value of as many digits (all other digits for a single
 * digit, in `rng` order; random ones otherwise) until the prompts have the same length in tokens,
 * the same tokens outside the literal, and answers whose first tokens differ.
 */
export function makeCounterfactual(tokenizer: Tokenizer, program: TraceProgram, rng: Rng): CounterfactualResult {
  const root = program.chain[program.chain.length - 1];
  const site = { start: root.rhsStart, end: root.rhsEnd, text: root.rhs };
  const r = alignedCounterfactual(tokenizer, program.prompt, site, root.rhs, (value) => value, rng);
  if (r.ok) return r;
  const clean = tokenizer.encode(program.prompt).length;
  return { ok: false, reason: `no other value of ${root.variable} = ${root.rhs} (line ${root.line + 1}) lines up with the clean prompt's ${clean} tokens: ${r.rejected.join('; ')}` };
}

/**
 * The first other value of the literal at `site` (candidates in `rng` order) whose prompt lines up
 * with the clean one token by token and whose answer, `answerOf(value, cfPrompt)`, starts with
 * another token than `cleanValue` (undefined: that value leaves the answer as it was); else why
 * each candidate was rejected.
 */
export function alignedCounterfactual(
  tokenizer: Tokenizer,
  prompt: string,
  site: LiteralSite,
  cleanValue: string,
  answerOf: (value: string, cfPrompt: string) => string | undefined,
  rng: Rng,
): ({ ok: true } & Counterfactual) | { ok: false; rejected: string[] } {
  const clean = tokenizer.encode(prompt);
  const cleanIds = clean.map((t) => t.id);
  const rejected: string[] = [];
  for (const value of candidates(site.text, rng)) {
    const cfPrompt = prompt.slice(0, site.start) + value + prompt.slice(site.end);
    const cf = tokenizer.encode(cfPrompt);
    if (cf.length !== clean.length) {
      rejected.push(`${value}: ${cf.length} tokens, not ${clean.length}`);
      continue;
    }
    // Tokens after the literal move by the difference in length (True → False), as a whole.
    const shift = value.length - site.text.length;
    const moved = (t: TokenSpan) => (t.start >= site.end ? shift : 0);
    const changedPositions: number[] = [];
    let misaligned = false;
    clean.forEach((t, p) => {
      if (t.id === cf[p].id && t.start + moved(t) === cf[p].start && t.end + moved(t) === cf[p].end) return;
      changedPositions.push(p);
      if (!(t.start < site.end && t.end > site.start)) misaligned = true;
    });
    if (misaligned) {
      rejected.push(`${value}: tokens outside the literal change`);
      continue;
    }
    const cfValue = answerOf(value, cfPrompt);
    if (cfValue === undefined || cfValue === cleanValue) {
      rejected.push(`${value}: the value stays ${cleanValue}`);
      continue;
    }
    const answers: AnswerPair[] = [];
    for (const form of ['', ' '] as const) {
      const a = firstAnswerToken(tokenizer, prompt, cleanIds, form + cleanValue);
      const b = firstAnswerToken(tokenizer, cfPrompt, cf.map((t) => t.id), form + cfValue);
      if (a !== undefined && b !== undefined && a !== b) answers.push({ form, clean: a, cf: b });
    }
    if (answers.length === 0) {
      rejected.push(`${value}: the answer ${cfValue} starts with the same token as ${cleanValue}`);
      continue;
    }
    return { ok: true, clean, counterfactual: cf, cfPrompt, cleanValue, cfValue, changed: { start: site.start, end: site.end }, changedPositions, answers };
  }
  return { ok: false, rejected };
}

/** Other values of a literal: the other bool, other digits, or random numbers of as many digits. */
function candidates(value: string, rng: Rng): string[] {
  if (value === 'True' || value === 'False') return [value === 'True' ? 'False' : 'True'];
  if (value.length === 1) return rng.shuffle('0123456789'.split('').filter((d) => d !== value));
  const lo = 10 ** (value.length - 1);
  const seen = new Set([value]);
  const out: string[] = [];
  for (let tries = 0; out.length < MAX_CANDIDATES && tries < 20 * MAX_CANDIDATES; tries++) {
    const v = String(rng.int(lo, 10 * lo - 1));
    if (!seen.has(v)) out.push(v);
    seen.add(v);
  }
  return out;
}

/** The token the answer text starts with after `prompt`, when appending it leaves the prompt's tokens as they were. */
function firstAnswerToken(tokenizer: Tokenizer, prompt: string, promptIds: number[], answer: string): number | undefined {
  const ids = tokenizer.encodeIds(prompt + answer);
  if (ids.length <= promptIds.length || promptIds.some((id, i) => ids[i] !== id)) return undefined;
  return ids[promptIds.length];
}
