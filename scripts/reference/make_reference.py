#!/usr/bin/env python3
"""Builds a tiny randomly initialised transformers checkpoint of any architecture and writes the
reference numbers the engine's parity tests compare against (the layout of
test/fixtures/reference-models): logits, every hook activation, patched last-position logits,
per-row losses and weight gradients, computed with torch forward hooks on eager attention.

    python3 scripts/reference/make_reference.py --family llama --out refs/llama
    python3 scripts/reference/make_reference.py --config my/config.json --layers 4 --out refs/mine

Needs torch, transformers (5.x), safetensors and tokenizers; `--help` and the pure-Python modules
beside it need none of them. See docs/reference.md.
"""

import argparse
import json
import os
import sys
import time

import ref_config
import ref_output
import ref_vocab
from ref_errors import UsageError

CLEAN = "a = 3\nb = a\nc = 7\nd = b\ne = c\nf = d\n#f:"
COUNTERFACTUAL = "a = 5\nb = a\nc = 7\nd = b\ne = c\nf = d\n#f:"
DTYPES = ("float32", "float64", "bfloat16", "float16")


def unescape(text):
    """`\\n` and `\\t` typed on a command line are newlines and tabs."""
    return text.replace("\\n", "\n").replace("\\t", "\t")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--family", choices=sorted(ref_config.PRESETS), help="a preset of the fixtures' shapes")
    src.add_argument("--config", metavar="CONFIG_JSON", help="a config.json (any model_type transformers knows)")
    p.add_argument("--out", required=True, metavar="DIR", help="the model folder to write; index.json goes in its parent")
    p.add_argument("--name", help="the entry's name in index.json (default: the folder's name)")
    shape = p.add_argument_group("shape (override the preset or config)")
    shape.add_argument("--layers", type=int)
    shape.add_argument("--d-model", type=int)
    shape.add_argument("--heads", type=int)
    shape.add_argument("--kv-heads", type=int)
    shape.add_argument("--head-dim", type=int)
    shape.add_argument("--d-mlp", type=int)
    shape.add_argument("--vocab-size", type=int, help="default: the tokenizer's size (96 for the word-level one), whatever the config says")
    shape.add_argument("--max-positions", type=int)
    shape.add_argument("--rope-theta", type=float)
    shape.add_argument("--tie-embeddings", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--tokenizer", metavar="TOKENIZER_JSON", help="default: a WordLevel tokenizer over the 96-token code vocabulary")
    p.add_argument("--clean", default=CLEAN, help="clean program (\\n = newline); default: the fixtures' program")
    p.add_argument("--cf", default=COUNTERFACTUAL, help="counterfactual program, same token count as --clean")
    p.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="compute dtype (the checkpoint is float32 regardless)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", type=float, default=1.0, help="scale of the weight perturbation (0: plain initialisation)")
    p.add_argument("--patch-batch", type=int, default=64, help="patched runs per forward pass")
    p.add_argument("--skip-grads", action="store_true")
    p.add_argument("--skip-patch", action="store_true")
    args = p.parse_args(argv)
    args.clean = unescape(args.clean)
    args.cf = unescape(args.cf)
    if args.patch_batch < 1:
        p.error("--patch-batch must be at least 1")
    return args


def overrides_of(args):
    return {opt: getattr(args, opt) for opt in ref_config.OVERRIDE_KEYS}


def model_config(args, tokenizer_vocab):
    """The config dict: preset or file, shape overrides, and a vocabulary of the tokenizer's size
    unless --vocab-size says otherwise (a config file's own vocab_size would not fit the tokenizer)."""
    if args.family:
        base, source = ref_config.preset(args.family), f"--family {args.family}"
    else:
        base, source = ref_config.load_config_file(args.config), args.config
    overrides = overrides_of(args)
    if overrides["vocab_size"] is None:
        overrides["vocab_size"] = tokenizer_vocab
    elif overrides["vocab_size"] < tokenizer_vocab:
        raise UsageError(f"--vocab-size {overrides['vocab_size']} is smaller than the tokenizer's {tokenizer_vocab}")
    return ref_config.apply_overrides(base, overrides, source)


def config_and_tokenizer(args, tokenizer_size):
    """(config dict, tokenizer.json text): --tokenizer's file, or the word-level one sized by --vocab-size."""
    if args.tokenizer:
        with open(args.tokenizer, encoding="utf-8") as f:
            text = f.read()
        return model_config(args, tokenizer_size(text)), text
    cfg = model_config(args, args.vocab_size or ref_vocab.DEFAULT_VOCAB)
    return cfg, ref_vocab.tokenizer_json(cfg["vocab_size"])


def compute(model, sites, ids, args, log):
    """Every reference tensor, by its name in reference.safetensors."""
    import torch

    import ref_capture

    input_ids = torch.tensor(ids, dtype=torch.long, device=next(model.parameters()).device)
    logits, cache = ref_capture.run_with_cache(model, sites, input_ids)
    tensors = {"input_ids": input_ids.cpu(), "logits": logits.float().cpu()}
    tensors.update({f"act.{name}": act.float().cpu() for name, act in cache.items()})
    log("logits and activations")
    if not args.skip_patch:
        source = {name: act[1] for name, act in cache.items()}  # the counterfactual row
        n_heads = model.config.num_attention_heads
        for key, (kind, per_head) in ref_output.SWEEPS.items():
            tensors[key] = ref_capture.patch_sweep(
                model, sites, kind, input_ids[0], source, n_heads if per_head else None, args.patch_batch
            )
            log(f"{key} {list(tensors[key].shape)}")
    if not args.skip_grads:
        per_row, grads = ref_capture.loss_and_grads(model, input_ids)
        tensors["loss.per_row"] = per_row
        tensors.update({f"grad.{name}": g for name, g in grads.items()})
        log(f"loss.per_row {[round(x, 6) for x in per_row.tolist()]}, {len(grads)} gradients")
    return tensors


def main(argv=None):
    args = parse_args(argv)
    # torch, transformers and tokenizers only from here on, so --help and the unit tests need none.
    import safetensors.torch
    import torch
    import transformers

    import ref_model
    import ref_sites

    t0 = time.time()
    log = lambda msg: print(f"[{time.time() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    cfg, tokenizer_text = config_and_tokenizer(args, ref_model.tokenizer_size)
    tokenizer_path = os.path.join(out, "tokenizer.json")
    ref_output.atomic_write_text(tokenizer_path, tokenizer_text)
    ids, tokens = ref_model.tokenize(tokenizer_path, args.clean, args.cf)

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_float32_matmul_precision("highest")  # no TF32: the references must be true float32
    config = ref_model.build_and_save(cfg, out, args.seed, args.noise)
    model = ref_model.load(out, args.dtype, device)
    L, H, T = config.num_hidden_layers, config.num_attention_heads, len(ids[0])
    if T > getattr(config, "max_position_embeddings", T):
        raise UsageError(f"the programs have {T} tokens, more than max_position_embeddings {config.max_position_embeddings}")
    sites = ref_sites.find_sites(model, L)
    log(f"{cfg['model_type']}: L={L} H={H} d={config.hidden_size} V={config.vocab_size} T={T} on {device} ({args.dtype})")

    tensors = compute(model, sites, ids, args, log)
    ref_path = os.path.join(out, "reference.safetensors")
    safetensors.torch.save_file({k: v.contiguous() for k, v in tensors.items()}, ref_path + ".tmp")
    os.replace(ref_path + ".tmp", ref_path)
    doc = ref_output.reference_doc(
        model_type=cfg["model_type"],
        clean=args.clean,
        counterfactual=args.cf,
        tokens=tokens,
        versions={"transformers": transformers.__version__, "torch": torch.__version__},
        generator={
            "script": "scripts/reference/make_reference.py",
            "argv": sys.argv[1:] if argv is None else list(argv),
            "device": device,
            "dtype": args.dtype,
            "seed": args.seed,
            "noise": args.noise,
            "sites": sites.describe(),
        },
        patched=not args.skip_patch,
        grads=not args.skip_grads,
    )
    ref_output.atomic_write_text(os.path.join(out, "reference.json"), json.dumps(doc, indent=1))
    name = args.name or os.path.basename(out)
    ref_output.update_index(os.path.join(os.path.dirname(out), "index.json"), name, {"T": T, "L": L, "H": H})
    log(f"wrote {out} (index entry {name!r})")


if __name__ == "__main__":
    try:
        main()
    except UsageError as e:
        raise SystemExit(f"make_reference: {e}") from None
