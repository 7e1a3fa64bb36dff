/**
 * What kind of token each token of a study sample is, for colouring pictures of per-token
 * quantities. Binding programs (`a = 5` lines and a `#q:` query): variable, digit, `=`, space,
 * newline, query (the `#q:` line) and claim (what follows the query). Other code, read as Python:
 * keyword, identifier, literal, punctuation, whitespace — by the token's own text, so a token
 * spanning several kinds takes the kind of its first non-blank character.
 */
export const BINDING_CLASSES = ['variable', 'digit', '=', 'space', 'newline', 'query', 'claim'] as const;
export const CODE_CLASSES = ['keyword', 'identifier', 'literal', 'punctuation', 'whitespace'] as const;

const BINDING_PROGRAM = /^(?:[a-z] = [a-z0-9]\n)+#[a-z]:/;
const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** The class of each token of `text`, given the tokens' character spans. */
export function tokenClasses(text: string, spans: readonly [number, number][]): string[] {
  const query = BINDING_PROGRAM.exec(text);
  return query ? spans.map(([s, e]) => bindingClass(text, s, e, query[0].length)) : spans.map(([s, e]) => codeClass(text.slice(s, e)));
}

function bindingClass(text: string, start: number, end: number, queryEnd: number): string {
  if (start >= queryEnd) return 'claim';
  if (start >= queryEnd - 3) return 'query';
  const c = text.slice(start, end).replace(/^ +/, '')[0];
  if (c === undefined) return 'space';
  if (c === '\n') return 'newline';
  if (c === '=') return '=';
  return /\d/.test(c) ? 'digit' : 'variable';
}

function codeClass(token: string): string {
  const t = token.trim();
  if (!t) return 'whitespace';
  if (KEYWORDS.has(t)) return 'keyword';
  if (/^[A-Za-z_]\w*$/.test(t)) return 'identifier';
  if (/^(\d|["'])/.test(t)) return 'literal';
  return /^[A-Za-z_]/.test(t) ? 'identifier' : 'punctuation';
}

/** Every class in one fixed order, so a class keeps its colour in every picture. */
export const TOKEN_CLASSES: readonly string[] = [...BINDING_CLASSES, ...CODE_CLASSES];
