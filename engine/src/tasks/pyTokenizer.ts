/**
 * Splits a Python-subset program into logical lines of tokens with their indentation. One physical
 * line is one logical line: brackets do not continue a line, as the subset's programs never need it.
 */
import { IntrospectError } from '../errors';

export type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  /** A name or a keyword. */
  | { t: 'name'; v: string }
  | { t: 'op'; v: string };

export interface SrcLine {
  /** 1-based line number. */
  no: number;
  indent: number;
  tokens: Token[];
  /** The line's code without indentation, for error messages. */
  text: string;
}

export function syntaxError(line: number, msg: string): IntrospectError {
  return new IntrospectError(`line ${line}: ${msg}`, 'program');
}

/** Lines with code (blank and comment-only lines dropped). */
export function tokenizeProgram(source: string): SrcLine[] {
  return source.split('\n').flatMap((raw, i) => {
    const code = raw.trimEnd();
    if (/^\s*\t/.test(code)) throw syntaxError(i + 1, 'tabs are not supported');
    const tokens = tokenizeLine(code, i + 1);
    if (!tokens.length) return [];
    const indent = code.length - code.trimStart().length;
    return [{ no: i + 1, indent, tokens, text: code.trim() }];
  });
}

// Longest operators first so `//=` is not read as `//` then `=`.
const OPERATOR = /\/\/=|\/\/|==|!=|<=|>=|\+=|-=|\*=|%=|[-+*%()[\]<>,:=.]/y;
// Python operators outside the subset, named in the error instead of "cannot read".
const UNSUPPORTED_OPERATOR = /\*\*=?|\/(?!\/)=?|<<=?|>>=?|[&|^@]=?|~|:=|->/y;
const NAME = /[A-Za-z_]\w*/y;
const NUMBER = /\d\w*(?:\.\w*)?|\.\d\w*/y;
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

function tokenizeLine(code: string, line: number): Token[] {
  const out: Token[] = [];
  let at = 0;
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(code);
    if (m) at = re.lastIndex;
    return m?.[0];
  };
  while (at < code.length) {
    const c = code[at];
    if (c === ' ') {
      at++;
      continue;
    }
    if (c === '#') break;
    const start = at;
    let text: string | undefined;
    if ((text = match(NUMBER)) !== undefined) {
      if (!/^\d+$/.test(text)) throw syntaxError(line, `unsupported number literal "${text}" (only integers)`);
      out.push({ t: 'num', v: Number(text) });
    } else if ((text = match(NAME)) !== undefined) {
      if (/^[rbuf]{1,2}$/i.test(text) && (code[at] === '"' || code[at] === "'")) throw syntaxError(line, `string prefix "${text}" is not supported`);
      out.push({ t: 'name', v: text });
    } else if (c === '"' || c === "'") {
      const [value, end] = readString(code, at, line);
      out.push({ t: 'str', v: value });
      at = end;
    } else if ((text = match(UNSUPPORTED_OPERATOR)) !== undefined) {
      throw syntaxError(line, `unsupported operator "${text}"`);
    } else if ((text = match(OPERATOR)) !== undefined) {
      out.push({ t: 'op', v: text });
    } else {
      throw syntaxError(line, `cannot read ${JSON.stringify(code.slice(start))}`);
    }
  }
  return out;
}

/** A quoted literal starting at `at`; returns its value and the index after the closing quote. */
function readString(code: string, at: number, line: number): [string, number] {
  const quote = code[at];
  if (code.startsWith(quote.repeat(3), at)) throw syntaxError(line, 'triple-quoted strings are not supported');
  let value = '';
  for (let i = at + 1; i < code.length; i++) {
    const c = code[i];
    if (c === quote) return [value, i + 1];
    // Astral characters are two UTF-16 units in JavaScript but one in Python; excluding them keeps
    // len() and indexing equal to Python's.
    if (code.codePointAt(i)! > 0xffff) throw syntaxError(line, 'characters outside the Basic Multilingual Plane are not supported');
    if (c !== '\\') {
      value += c;
      continue;
    }
    const e = code[++i];
    if (e === undefined || !(e in SIMPLE_ESCAPES)) throw syntaxError(line, `unsupported escape "\\${e ?? ''}" in a string`);
    value += SIMPLE_ESCAPES[e];
  }
  throw syntaxError(line, 'unterminated string literal');
}
