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
  /** Character range of the root literal, the same in both prompts. */
  changed: { start: number; end: number };
  /** Token positions whose ids differ between the prompts (all inside the changed literal). */
  changedPositions: number[];
  /** Answer forms whose first tokens tell the two values apart (at least one). */
  answers: AnswerPair[];
}

export type CounterfactualResult = ({ ok: true } & Counterfactual) | { ok: false; reason: string };

/** How many other values of a multi-digit literal are tried before giving up. */
const MAX_CANDIDATES = 40;

/**
 * Replaces the root literal with another value of as many digits (all other digits for a single
 * digit, in `rng` order; random ones otherwise) until the prompts have the same length in tokens,
 * the same tokens outside the literal, and answers whose first tokens differ.
 */
export function makeCounterfactual(tokenizer: Tokenizer, program: TraceProgram, rng: Rng): CounterfactualResult {
  const root = program.chain[program.chain.length - 1];
  const { prompt } = program;
  const clean = tokenizer.encode(prompt);
  const cleanIds = clean.map((t) => t.id);
  const rejected: string[] = [];
  for (const value of candidates(root.rhs, rng)) {
    const cfPrompt = prompt.slice(0, root.rhsStart) + value + prompt.slice(root.rhsEnd);
    const cf = tokenizer.encode(cfPrompt);
    if (cf.length !== clean.length) {
      rejected.push(`${value}: ${cf.length} tokens, not ${clean.length}`);
      continue;
    }
    const changedPositions: number[] = [];
    let misaligned = false;
    clean.forEach((t, p) => {
      if (t.id === cf[p].id && t.start === cf[p].start && t.end === cf[p].end) return;
      changedPositions.push(p);
      if (!(t.start < root.rhsEnd && t.end > root.rhsStart)) misaligned = true;
    });
    if (misaligned) {
      rejected.push(`${value}: tokens outside the literal change`);
      continue;
    }
    const answers: AnswerPair[] = [];
    for (const form of ['', ' '] as const) {
      const a = firstAnswerToken(tokenizer, prompt, cleanIds, form + root.rhs);
      const b = firstAnswerToken(tokenizer, cfPrompt, cf.map((t) => t.id), form + value);
      if (a !== undefined && b !== undefined && a !== b) answers.push({ form, clean: a, cf: b });
    }
    if (answers.length === 0) {
      rejected.push(`${value}: its answer starts with the same token as ${root.rhs}'s`);
      continue;
    }
    return {
      ok: true,
      clean,
      counterfactual: cf,
      cfPrompt,
      cleanValue: root.rhs,
      cfValue: value,
      changed: { start: root.rhsStart, end: root.rhsEnd },
      changedPositions,
      answers,
    };
  }
  return {
    ok: false,
    reason: `no other value of ${root.variable} = ${root.rhs} (line ${root.line + 1}) lines up with the clean prompt's ${clean.length} tokens: ${rejected.join('; ')}`,
  };
}

function candidates(value: string, rng: Rng): string[] {
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
