/**
 * Answer parsers tolerant of how real models answer: a bare value, "The answer is 7.", "x = 7",
 * "**7**", `\boxed{7}`, chain of thought ending in a final answer, `<think>…</think>` blocks.
 * Each returns null when no answer can be found.
 */
import { IntrospectError, nearest } from '../errors';
import type { Answer } from './types';

export interface ParseContext {
  /** The variable the question asks about (a binding query), when known. */
  variable?: string;
}

export type Parser = (text: string, context?: ParseContext) => Answer | null;

/** Drops reasoning blocks and markdown emphasis; keeps the text the answer is in. */
export function cleanResponse(text: string): string {
  let t = text.replace(/<think>[\s\S]*?<\/think>/gi, ' ');
  // A stray closing tag means everything before it was thinking; an unclosed <think> means the
  // generation stopped mid-thought, before any answer.
  const close = t.toLowerCase().lastIndexOf('</think>');
  if (close >= 0) t = t.slice(close + '</think>'.length);
  const open = t.toLowerCase().indexOf('<think>');
  if (open >= 0) t = t.slice(0, open);
  return t
    .replace(/\*\*|__|`+/g, '')
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .trim();
}

const INT = String.raw`([-−]?\d+)`;
/** Phrases that introduce a final answer, strongest first; the last occurrence wins. */
const FINAL_MARKERS = [
  String.raw`\\boxed\{\s*`,
  String.raw`(?:final\s+)?answer\s*(?:is|:|=)\s*:?\s*`,
  String.raw`(?:final\s+)?(?:value|result|output)(?:\s+of\s+\S+?)?\s*(?:is|=|:)\s*:?\s*`,
];

function toInt(s: string): number {
  return Number(s.replace('−', '-'));
}

function lastMatch(text: string, re: RegExp): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(re)) last = m as RegExpExecArray;
  return last;
}

function markedInt(t: string): number | null {
  for (const marker of FINAL_MARKERS) {
    const m = lastMatch(t, new RegExp(marker + INT, 'gi'));
    if (m) return toInt(m[1]);
  }
  return null;
}

/**
 * An integer: a marked final answer, else a leading integer (not one that starts arithmetic),
 * else the first `= N`, else the first integer.
 */
export function parseInteger(text: string): number | null {
  const t = cleanResponse(text);
  const marked = markedInt(t);
  if (marked !== null) return marked;
  // A leading number is the answer unless it starts arithmetic ("3 + 4 = 7").
  const lead = new RegExp(String.raw`^[\s:=(\[]*` + INT + String.raw`(?![\w.]\d)(?!\s*[-+*/×%]\s*\d)`).exec(t);
  if (lead) return toInt(lead[1]);
  const assigned = new RegExp(String.raw`=\s*` + INT + String.raw`\b`).exec(t);
  if (assigned) return toInt(assigned[1]);
  const any = new RegExp(INT).exec(t);
  return any ? toInt(any[1]) : null;
}

const TRUE_WORDS = ['true', 'yes'];
const BOOL = String.raw`(true|false|yes|no|1|0)\b`;

function toBool(word: string): boolean {
  const w = word.toLowerCase();
  return TRUE_WORDS.includes(w) || w === '1';
}

/**
 * A boolean: a marked final answer ("answer is False"), else a leading True/False/yes/no/1/0,
 * else the last True/False word in the text.
 */
export function parseBoolean(text: string): boolean | null {
  const t = cleanResponse(text);
  for (const marker of FINAL_MARKERS) {
    const m = lastMatch(t, new RegExp(marker + BOOL, 'gi'));
    if (m) return toBool(m[1]);
  }
  const lead = new RegExp(String.raw`^[\s:=(\[]*` + BOOL, 'i').exec(t);
  if (lead) return toBool(lead[1]);
  const last = lastMatch(t, /\b(true|false)\b/gi);
  return last ? toBool(last[1]) : null;
}

/**
 * The value a model gives for a binding query (`#q:` → "7"). Binding prompts end right before the
 * answer, so a leading digit is the answer, as is "q = 7" for the queried q. Binding programs assign
 * single digits only, so a model that keeps emitting digits ("777", as a small model trained without
 * an end token does) answered with the first. A model that instead continues the program
 * ("\nb = 3\n…") has given none, so unlike parseInteger this does not fall back to later numbers.
 */
export function parseBindingAnswer(text: string, context: ParseContext = {}): number | null {
  const t = cleanResponse(text);
  const marked = markedInt(t);
  if (marked !== null) return marked;
  const named = /^([A-Za-z_]\w*)\s*(?:=|:|is)\s*/.exec(t);
  const rest = named && (context.variable === undefined || named[1] === context.variable) ? t.slice(named[0].length) : t;
  const lead = /^\d/.exec(rest);
  return lead ? Number(lead[0]) : null;
}

export const PARSERS = {
  integer: parseInteger,
  boolean: parseBoolean,
  binding: parseBindingAnswer,
} satisfies Record<string, Parser>;

export type ParserName = keyof typeof PARSERS;
export const PARSER_NAMES = Object.keys(PARSERS) as ParserName[];

export function getParser(name: string, field = 'parser'): Parser {
  const p = PARSERS[name as ParserName];
  if (!p) throw new IntrospectError(`unknown parser "${name}" (did you mean "${nearest(name, PARSER_NAMES)}"?)`, field);
  return p;
}
