/**
 * tokenizer.json objects for the project's own small models and for tests: a word-level vocabulary
 * like the reference fixtures', and a character vocabulary for code programs (`a = 3`, `#q:`) in which
 * every character is one token.
 */
import { IntrospectError } from '../errors';

/** The characters of the paper's code programs, and of common variations of them. */
export const CODE_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'0123456789',
  ...' \n\t',
  ...'=#:+-*/%()[]{},.<>!_\'"?;&|^~',
];

/** Special tokens of the character vocabulary, at ids 0, 1, 2. */
export const CHAR_SPECIALS = { pad: '<pad>', eos: '<eos>', unk: '<unk>' } as const;

function addedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * A WordLevel tokenizer over `vocab` (id = index) with a Whitespace pre-tokenizer, as the reference
 * fixtures use. Without a decoder, decoding joins tokens with spaces (as Hugging Face tokenizers do);
 * newlines do not survive, which is inherent in a whitespace-splitting vocabulary.
 */
export function wordLevelTokenizerJson(vocab: string[], opts: { unkToken?: string; specialTokens?: string[] } = {}): object {
  const unk = opts.unkToken ?? '[UNK]';
  const ids = vocabIds(vocab, 'vocab');
  if (!ids.has(unk)) throw new IntrospectError(`the unknown token '${unk}' is not in the vocabulary`, 'vocab');
  const specials = (opts.specialTokens ?? []).map((t) => {
    const id = ids.get(t);
    if (id === undefined) throw new IntrospectError(`special token '${t}' is not in the vocabulary`, 'specialTokens');
    return addedToken(id, t);
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials,
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(ids), unk_token: unk },
  };
}

/**
 * One token per character: `<pad>` 0, `<eos>` 1, `<unk>` 2, then `chars` in order. A BPE model with
 * no merges never joins characters, and the Fuse decoder concatenates them back, so decoding is
 * lossless and every token's span is exactly its characters. Characters outside `chars` become `<unk>`.
 * `merges` (BPE merges, applied in order) join characters into longer tokens, appended to the vocabulary.
 */
export function charTokenizerJson(chars: readonly string[] = CODE_CHARS, merges: readonly [string, string][] = []): object {
  for (const c of chars) {
    if ([...c].length !== 1) throw new IntrospectError(`'${c}' is not a single character`, 'chars');
  }
  const specials = [CHAR_SPECIALS.pad, CHAR_SPECIALS.eos, CHAR_SPECIALS.unk];
  const ids = vocabIds([...specials, ...chars, ...merges.map(([a, b]) => a + b)], 'chars');
  merges.forEach(([a, b], i) => {
    for (const part of [a, b]) if (!ids.has(part)) throw new IntrospectError(`'${part}' is not in the vocabulary`, `merges[${i}]`);
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t, id) => addedToken(id, t)),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CHAR_SPECIALS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(ids),
      merges: merges.map(([a, b]) => [a, b]),
    },
  };
}

function vocabIds(tokens: readonly string[], field: string): Map<string, number> {
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (typeof t !== 'string' || t === '') throw new IntrospectError(`entry ${i} is not a non-empty string`, field);
    if (ids.has(t)) throw new IntrospectError(`'${t}' appears twice (ids ${ids.get(t)} and ${i})`, field);
    ids.set(t, i);
  });
  return ids;
}
