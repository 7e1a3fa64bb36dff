"""The word-level vocabulary of the reference models and its tokenizer.json (no torch needed)."""

import json
import string

from ref_errors import UsageError

UNK = "[UNK]"
# The symbols small code-tracing programs use; the rest of the vocabulary is filler (`tok49`...).
SYMBOLS = list(string.ascii_lowercase) + list(string.digits) + list("=#:+-*(),.[]")
MIN_VOCAB = 1 + len(SYMBOLS)
DEFAULT_VOCAB = 96


def vocabulary(size=DEFAULT_VOCAB):
    """Token → id: [UNK], a–z, 0–9, the symbols, then `tok{id}` up to size − 1."""
    if size < MIN_VOCAB:
        raise UsageError(f"--vocab-size {size}: the word-level vocabulary needs at least {MIN_VOCAB} tokens")
    tokens = [UNK] + SYMBOLS + [f"tok{i}" for i in range(MIN_VOCAB, size)]
    return {t: i for i, t in enumerate(tokens)}


def tokenizer_json(size=DEFAULT_VOCAB):
    """tokenizer.json text of a WordLevel model with a Whitespace pre-tokenizer, laid out as the
    `tokenizers` library saves it (so it is byte-identical to the fixtures' files)."""
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocabulary(size), "unk_token": UNK},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
