"""Building, perturbing, saving and reloading the reference checkpoint; tokenizing its programs."""

import math

import torch
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM

from ref_errors import UsageError

# Weight noise added after initialisation, so norms, biases and attention patterns are not trivial
# (initialisation alone gives unit norm gains and zero biases, which would hide mistakes in them):
# matrices get std 0.08 at d_model 64, scaled by sqrt(64/d_model) so wider models stay tame;
# vectors (norm gains, biases) std 0.05. At d_model 64 this matches the fixtures' statistics.
MATRIX_NOISE_AT_64 = 0.08
VECTOR_NOISE = 0.05



def tokenizer_size(text):
    """Vocabulary size of a tokenizer.json's text, added tokens included."""
    return Tokenizer.from_str(text).get_vocab_size(with_added_tokens=True)


def tokenize(tokenizer_path, clean, cf):
    """Token ids of both programs [2][T] (no special tokens added) and the clean program's tokens."""
    tok = Tokenizer.from_file(tokenizer_path)
    a = tok.encode(clean, add_special_tokens=False)
    b = tok.encode(cf, add_special_tokens=False)
    if len(a.ids) != len(b.ids):
        raise UsageError(f"--clean has {len(a.ids)} tokens and --cf {len(b.ids)}; patching needs the same count")
    if len(a.ids) < 2:
        raise UsageError("--clean needs at least 2 tokens (a next-token loss)")
    return [a.ids, b.ids], a.tokens


def perturb(model, d_model, scale):
    """Adds noise from torch's global generator (seeded before initialisation, so reproducible)."""
    matrix_std = MATRIX_NOISE_AT_64 * math.sqrt(64 / d_model) * scale
    with torch.no_grad():
        for _, p in model.named_parameters():  # a tied weight once
            std = matrix_std if p.dim() >= 2 else VECTOR_NOISE * scale
            p.add_(torch.randn(p.shape, dtype=torch.float32).to(p.device, p.dtype) * std)


def build_and_save(cfg, out, seed, noise):
    """Random initialisation (seeded), weight noise, save_pretrained: float32 safetensors."""
    kwargs = {k: v for k, v in cfg.items() if k != "model_type"}
    config = AutoConfig.for_model(cfg["model_type"], **kwargs)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").to(torch.float32)
    perturb(model, config.hidden_size, noise)
    model.save_pretrained(out)
    return config


def load(out, dtype, device):
    """The checkpoint as saved, so the numbers describe exactly what is on disk."""
    model = AutoModelForCausalLM.from_pretrained(out, attn_implementation="eager", dtype=getattr(torch, dtype))
    return model.to(device).eval()
