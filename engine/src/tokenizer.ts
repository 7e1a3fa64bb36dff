/**
 * Tokenization for checkpoint folders: the `@huggingface/tokenizers` implementation of tokenizer.json,
 * plus what it does not give: each token's character span in the source text, and the special ids.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { TokenSpan } from './api/types';
import { readJsonFile } from './checkpoint/folder';
import { IntrospectError } from './errors';

export interface EncodeOptions {
  /** Let the post-processor add its special tokens (a BOS, say). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

type Json = Record<string, any>;

/** Tokens decoded together when measuring one token: enough context for decoders' local rules. */
const DECODE_WINDOW = 4;
const REPLACEMENT = '\uFFFD';
/** How many following tokens an unmatched token looks through for one that matches the text. */
const LOOKAHEAD_GROUPS = 32;
/** Names of special tokens, used when no config names them. */
const EOS_NAMES = ['<eos>', '</s>', '<|endoftext|>', '<|end_of_text|>', '<|eot_id|>', '<|im_end|>'];
const PAD_NAMES = ['<pad>', '[PAD]', '<|pad|>'];

export class Tokenizer {
  readonly vocabSize: number;
  /** Ids that end generation: tokenizer_config's eos_token and generation_config's eos_token_id. */
  readonly eosTokenIds: number[];
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
  /** Whether decoding drops a leading space of the first token (SentencePiece-style). */
  private readonly stripsLeadingSpace: boolean;
  /** Whether spaces in decoded text belong to tokens (not just put between them by the decoder). */
  private readonly spacesInTokens: boolean;

  private constructor(
    private readonly hf: HfTokenizer,
    json: Json,
    config: Json,
    generationConfig: Json,
  ) {
    this.vocabSize = vocabSizeOf(json);
    const idOf = (token: unknown): number | undefined => {
      const content = tokenContent(token);
      return content === undefined ? undefined : this.hf.token_to_id(content);
    };
    const valid = (id: unknown): id is number => Number.isInteger(id) && (id as number) >= 0 && (id as number) < this.vocabSize;
    const specials = (json.added_tokens as Json[]).filter((t) => t.special);
    const named = (names: string[]) => specials.filter((t) => names.includes(t.content)).map((t) => t.id as number);
    const eos = [idOf(config.eos_token), ...[generationConfig.eos_token_id].flat()].filter(valid);
    this.eosTokenIds = [...new Set(eos.length > 0 ? eos : named(EOS_NAMES).filter(valid))];
    const bos = idOf(config.bos_token) ?? templateBos(json.post_processor, (c) => this.hf.token_to_id(c));
    this.bosTokenId = valid(bos) ? bos : undefined;
    const pad = idOf(config.pad_token) ?? named(PAD_NAMES)[0];
    this.padTokenId = valid(pad) ? pad : undefined;
    this.stripsLeadingSpace = decoderStripsLeadingSpace(json.decoder);
    // Without a decoder tokens are joined with spaces; the WordPiece decoder does the same.
    this.spacesInTokens = isObject(json.decoder) && json.decoder.type !== 'WordPiece';
  }

  /** Reads tokenizer.json, and tokenizer_config.json / generation_config.json when present. */
  static async fromDir(dir: string): Promise<Tokenizer> {
    const path = join(dir, 'tokenizer.json');
    const optional = (name: string): Json | undefined => (existsSync(join(dir, name)) ? readJsonFile(join(dir, name)) : undefined);
    return Tokenizer.fromJson(readJsonFile(path), optional('tokenizer_config.json'), optional('generation_config.json'), path);
  }

  static fromJson(tokenizerJson: object, tokenizerConfig: object = {}, generationConfig: object = {}, source = 'tokenizer.json'): Tokenizer {
    if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
      throw new IntrospectError('not a tokenizer.json: no "model" object', source);
    }
    const json: Json = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...tokenizerJson };
    const config: Json = { ...tokenizerConfig };
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      if (config[key] !== undefined) config[key] = tokenContent(config[key]);
    }
    // transformers no longer cleans up spaces around punctuation unless the config asks; the package still does.
    config.clean_up_tokenization_spaces ??= false;
    // The package reads a WordLevel model's unknown token from the config, not the model.
    if (json.model.type === 'WordLevel' && config.unk_token == null) config.unk_token = json.model.unk_token;
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer(json, config);
    } catch (e) {
      throw new IntrospectError(`cannot load tokenizer (${(e as Error).message})`, source);
    }
    return new Tokenizer(hf, json, config, isObject(generationConfig) ? generationConfig : {});
  }

  encodeIds(text: string, opts: EncodeOptions = {}): number[] {
    return this.encodeRaw(text, opts.addSpecialTokens ?? true).ids;
  }

  /** Ids and the model's token strings (for a word-level model, the words of the text). */
  private encodeRaw(text: string, addSpecialTokens: boolean): { ids: number[]; tokens: string[] } {
    // The package's declarations do not resolve under NodeNext, so its types are spelled out here.
    const encoding: { ids: number[]; tokens: string[] } = this.hf.encode(text, { add_special_tokens: addSpecialTokens });
    const missing = encoding.ids.findIndex((id) => id === undefined);
    if (missing >= 0) {
      throw new IntrospectError(`'${encoding.tokens[missing]}' is not in the vocabulary and the tokenizer has no unknown token`, 'text');
    }
    return encoding;
  }

  /** Tokens with their character spans: `text.slice(start, end)` is the source text of each token. */
  encode(text: string, opts: EncodeOptions = {}): TokenSpan[] {
    const plain = this.encodeRaw(text, false);
    const ids = opts.addSpecialTokens === false ? plain.ids : this.encodeIds(text);
    // Tokens the post-processor added around the text (BOS, EOS) cover no text.
    const at = findRun(ids, plain.ids);
    const spans = this.spansOf(plain, text);
    return ids.map((id, i) => {
      const inText = i >= at && i < at + plain.ids.length;
      const pos = i < at ? 0 : text.length;
      const { start, end } = inText ? spans[i - at] : { start: pos, end: pos };
      return { id, text: end > start ? text.slice(start, end) : this.tokenText(id), start, end };
    });
  }

  /** Decodes ids as transformers does (special tokens kept, the tokenizer's own space clean-up). */
  decode(ids: number[]): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || this.hf.id_to_token(id) === undefined) {
        throw new IntrospectError(`token id ${id} is not in the tokenizer's vocabulary (size ${this.vocabSize})`, 'ids');
      }
    }
    return ids.length === 0 ? '' : this.hf.decode(ids);
  }

  /**
   * The text of one token as it reads in the middle of a text (so " the" keeps its space), for axis
   * labels and top-k lists. Ids the tokenizer does not know (a model's padding rows) read `<id N>`.
   */
  tokenText(id: number): string {
    if (this.hf.id_to_token(id) === undefined) return `<id ${id}>`;
    if (!this.stripsLeadingSpace) return this.rawDecode([id]);
    return this.rawDecode([id, id]).slice(this.rawDecode([id]).length);
  }

  /** Decoding without clean-up, so lengths line up with the source. */
  private rawDecode(ids: number[]): string {
    return ids.length === 0 ? '' : this.hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  private spansOf({ ids, tokens }: { ids: number[]; tokens: string[] }, text: string): { start: number; end: number }[] {
    const pieces = this.decodedPieces(ids, tokens);
    const decoded = pieces.map((p) => p.text).join('');
    return decoded === text ? losslessSpans(pieces, text) : alignedSpans(pieces, text, this.spacesInTokens);
  }

  /**
   * What each token adds to the decoded text, measured as decode(window + token) − decode(window)
   * over a few preceding tokens. A token that ends inside a UTF-8 character adds only the complete
   * characters before it and is marked `partial`; the token that completes the character adds it.
   */
  private decodedPieces(ids: number[], tokens: string[]): Piece[] {
    const pieces: Piece[] = [];
    for (let i = 0; i < ids.length; i++) {
      // Start the window on a character boundary, so it does not open with a broken character.
      let k = Math.max(0, i - DECODE_WINDOW);
      while (k > 0 && pieces[k - 1].partial) k--;
      const before = stripReplacement(this.rawDecode(ids.slice(k, i)));
      const withToken = this.rawDecode(ids.slice(k, i + 1));
      const partial = withToken.endsWith(REPLACEMENT);
      pieces.push({ text: stripReplacement(withToken).slice(before.length), partial, raw: tokens[i] });
    }
    return pieces;
  }
}

interface Piece {
  /** What the token adds to the decoded text. */
  text: string;
  partial: boolean;
  /** The model's token string: vocabulary entry, or the unknown word itself for a word-level model. */
  raw: string;
}

/** Spans when the decoded pieces concatenate to the text exactly (byte-level BPE, our char tokenizer). */
function losslessSpans(pieces: Piece[], text: string): { start: number; end: number }[] {
  let pos = 0;
  return pieces.map(({ text: t, partial }) => {
    const start = pos;
    pos += t.length;
    // A token holding part of a character covers that whole character.
    const end = partial && pos < text.length ? pos + String.fromCodePoint(text.codePointAt(pos)!).length : pos;
    return { start, end };
  });
}

/**
 * Spans when decoding is not lossless (whitespace dropped by a pre-tokenizer, normalization, unknown
 * tokens). Each group of tokens that decodes to whole characters is matched at a cursor moving
 * through the text: with its spaces when they are the token's own and found as such; else, past
 * whitespace, as its model token string (a word-level model's token is the word itself, even when
 * unknown) or as its decoded text. Groups that match nowhere take the text before the next group
 * that does.
 */
function alignedSpans(pieces: Piece[], text: string, spacesInTokens: boolean): { start: number; end: number }[] {
  const groups: Group[] = [];
  let first = 0;
  pieces.forEach((p, i) => {
    if (p.partial && i < pieces.length - 1) return;
    const part = pieces.slice(first, i + 1);
    const decoded = part.map((q) => q.text).join('');
    groups.push({ first, last: i, text: decoded, core: decoded.trim(), raw: part.map((q) => q.raw).join('').trim() });
    first = i + 1;
  });

  const spans: { start: number; end: number }[] = new Array(pieces.length);
  const assign = (g: Group, start: number, end: number) => {
    for (let i = g.first; i <= g.last; i++) spans[i] = { start, end };
  };
  let cursor = 0;
  let g = 0;
  while (g < groups.length) {
    const group = groups[g];
    if (group.core === '') {
      // A whitespace token (or one that decodes to nothing) claims the whitespace at the cursor.
      const ws = /^\s*/.exec(text.slice(cursor))![0].slice(0, group.text.length);
      assign(group, cursor, cursor + ws.length);
      cursor += ws.length;
      g++;
      continue;
    }
    if (spacesInTokens && text.startsWith(group.text, cursor)) {
      assign(group, cursor, cursor + group.text.length);
      cursor += group.text.length;
      g++;
      continue;
    }
    const at = skipSpace(text, cursor);
    const len = matchAt(text, at, group.raw) ?? matchAt(text, at, group.core);
    if (len !== undefined) {
      assign(group, at, at + len);
      cursor = at + len;
      g++;
      continue;
    }
    // Unmatched: find the next group that does match, and give the text before it to the run.
    let next = g + 1;
    let found: number | undefined;
    for (; next < groups.length && next - g <= LOOKAHEAD_GROUPS; next++) {
      const candidate = groups[next];
      if (candidate.core === '') {
        // A whitespace token ends the run at the next whitespace.
        const ws = text.slice(at + 1).search(/\s/);
        found = ws < 0 ? undefined : at + 1 + ws;
        break;
      }
      found = findAhead(text, at + 1, candidate.raw) ?? findAhead(text, at + 1, candidate.core);
      if (found !== undefined) break;
    }
    if (found === undefined && next < groups.length) {
      // Nothing nearby matches: give this group the word at the cursor and go on.
      const word = /^\S*/.exec(text.slice(at))![0];
      assign(group, at, at + word.length);
      cursor = at + word.length;
      g++;
      continue;
    }
    const stop = found ?? text.length;
    const run = groups.slice(g, next);
    const region = text.slice(at, stop);
    // Split the region among the run by words, else by characters, else share it.
    const words = [...region.matchAll(/\S+/g)];
    const chars = [...region.trimEnd().matchAll(/[^]/gu)];
    const parts = words.length === run.length ? words : chars.length === run.length ? chars : undefined;
    if (parts) {
      run.forEach((r, j) => assign(r, at + parts[j].index!, at + parts[j].index! + parts[j][0].length));
    } else {
      const end = at + region.trimEnd().length;
      run.forEach((r) => assign(r, at, Math.max(at, end)));
    }
    cursor = stop;
    g = next;
  }
  return spans;
}

interface Group {
  /** Token indices [first, last]. */
  first: number;
  last: number;
  /** Decoded text, and the same without surrounding whitespace. */
  text: string;
  core: string;
  /** Model token strings, joined and trimmed. */
  raw: string;
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length && /\s/.test(text[pos])) pos++;
  return pos;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** Length of the text at `pos` that reads as `core` (exactly, else after NFKC and lower-casing). */
function matchAt(text: string, pos: number, core: string): number | undefined {
  if (core === '') return undefined;
  if (text.startsWith(core, pos)) return core.length;
  const want = fold(core);
  const max = Math.min(text.length - pos, core.length * 4 + 4);
  for (let k = 1; k <= max; k++) if (fold(text.slice(pos, pos + k)) === want) return k;
  return undefined;
}

/** Where `core` next occurs from `from`. */
function findAhead(text: string, from: number, core: string): number | undefined {
  const p = core === '' ? -1 : text.indexOf(core, from);
  return p < 0 ? undefined : p;
}

function stripReplacement(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === REPLACEMENT) end--;
  return s.slice(0, end);
}

/** Index at which `run` occurs contiguously in `ids` (0 when it cannot be found). */
function findRun(ids: number[], run: number[]): number {
  if (ids.length === run.length) return 0;
  for (let at = 0; at + run.length <= ids.length; at++) {
    if (run.every((id, j) => ids[at + j] === id)) return at;
  }
  return 0;
}

function vocabSizeOf(json: Json): number {
  const model = json.model;
  let max = -1;
  if (Array.isArray(model.vocab)) max = model.vocab.length - 1;
  else if (isObject(model.vocab)) for (const id of Object.values(model.vocab)) if (typeof id === 'number' && id > max) max = id;
  for (const t of (json.added_tokens ?? []) as Json[]) if (typeof t.id === 'number' && t.id > max) max = t.id;
  return max + 1;
}

/** A special token's text, whether the config writes it as a string or as an AddedToken object. */
function tokenContent(token: unknown): string | undefined {
  if (typeof token === 'string') return token;
  if (isObject(token) && typeof token.content === 'string') return token.content;
  return undefined;
}

/** The special token a TemplateProcessing post-processor puts before a single sequence. */
function templateBos(processor: unknown, idOf: (content: string) => number | undefined): number | undefined {
  if (!isObject(processor)) return undefined;
  if (processor.type === 'Sequence' && Array.isArray(processor.processors)) {
    for (const p of processor.processors) {
      const id = templateBos(p, idOf);
      if (id !== undefined) return id;
    }
    return undefined;
  }
  if (processor.type !== 'TemplateProcessing' || !Array.isArray(processor.single)) return undefined;
  const head = processor.single[0];
  const name = head?.SpecialToken?.id;
  if (typeof name !== 'string') return undefined;
  const ids = processor.special_tokens?.[name]?.ids;
  return Array.isArray(ids) && typeof ids[0] === 'number' ? ids[0] : idOf(name);
}

/** SentencePiece-style decoders drop the leading space of the first token. */
function decoderStripsLeadingSpace(decoder: unknown): boolean {
  if (!isObject(decoder)) return false;
  if (decoder.type === 'Metaspace') return decoder.prepend_scheme !== 'never' && decoder.add_prefix_space !== false;
  if (decoder.type === 'Strip') return (decoder.start ?? 0) > 0;
  if (decoder.type === 'Sequence' && Array.isArray(decoder.decoders)) return decoder.decoders.some(decoderStripsLeadingSpace);
  return false;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
