"""Model configs for reference checkpoints: one preset per family (the fixtures' shapes), or a
config.json, with command-line overrides of the shape. Plain dicts in each family's own key names,
so this module needs neither torch nor transformers."""

import copy
import json

from ref_errors import UsageError

# The shapes of test/fixtures/reference-models: 2 layers, d_model 64, 4 heads, 96 tokens.
_ROPE_1E4 = {"rope_type": "default", "rope_theta": 10000.0}
_ROPE_1E6 = {"rope_type": "default", "rope_theta": 1000000.0}
PRESETS = {
    "llama": {
        "model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 96,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_parameters": _ROPE_1E4,
        "tie_word_embeddings": False,
    },
    "qwen2": {
        "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 96,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_parameters": _ROPE_1E6,
        "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": None,
    },
    "qwen3": {
        "model_type": "qwen3", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 32, "vocab_size": 96,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_parameters": _ROPE_1E6,
        "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": None,
    },
    "mistral": {
        "model_type": "mistral", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 96,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_parameters": _ROPE_1E4,
        "tie_word_embeddings": False, "sliding_window": None,
    },
    "gpt2": {
        "model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_inner": None,
        "vocab_size": 96, "n_positions": 128, "activation_function": "gelu_new",
        "tie_word_embeddings": True,
    },
    "gpt_neox": {
        "model_type": "gpt_neox", "hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
        "num_attention_heads": 4, "vocab_size": 96, "max_position_embeddings": 128,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25},
        "use_parallel_residual": True, "hidden_act": "gelu", "attention_bias": True,
        "tie_word_embeddings": False,
    },
}

# Command-line option → the config key most families use; `_NATIVE_KEYS` renames it where a family
# spells it differently (transformers' attribute_map does the same at run time).
OVERRIDE_KEYS = {
    "layers": "num_hidden_layers",
    "d_model": "hidden_size",
    "heads": "num_attention_heads",
    "kv_heads": "num_key_value_heads",
    "head_dim": "head_dim",
    "d_mlp": "intermediate_size",
    "vocab_size": "vocab_size",
    "max_positions": "max_position_embeddings",
    "rope_theta": "rope_theta",
    "tie_embeddings": "tie_word_embeddings",
}
_NATIVE_KEYS = {
    "gpt2": {
        "num_hidden_layers": "n_layer", "hidden_size": "n_embd", "num_attention_heads": "n_head",
        "intermediate_size": "n_inner", "max_position_embeddings": "n_positions",
    },
}
# Options a family's architecture has no place for.
_UNSUPPORTED = {
    "gpt2": {"kv_heads", "head_dim", "rope_theta"},
    "gpt_neox": {"kv_heads", "head_dim"},
}



def load_config_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: cannot read a JSON config ({e})") from e
    if not isinstance(cfg, dict) or not isinstance(cfg.get("model_type"), str):
        raise UsageError(f"{path}: needs a string field model_type")
    # What transformers wrote about the saving run, not part of the architecture.
    for key in ("architectures", "transformers_version", "dtype", "torch_dtype", "_name_or_path"):
        cfg.pop(key, None)
    return cfg


def preset(family):
    if family not in PRESETS:
        raise UsageError(f"--family {family}: unknown; one of {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[family])


def apply_overrides(cfg, overrides, source="config"):
    """A copy of `cfg` with the given shape options (keys of OVERRIDE_KEYS; None = not given)."""
    cfg = copy.deepcopy(cfg)
    model_type = cfg["model_type"]
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - set(OVERRIDE_KEYS)
    if unknown:
        raise UsageError(f"unknown override(s): {', '.join(sorted(unknown))}")
    bad = set(given) & _UNSUPPORTED.get(model_type, set())
    if bad:
        flags = ", ".join("--" + k.replace("_", "-") for k in sorted(bad))
        raise UsageError(f"{source}: model_type {model_type} has no {flags}")
    native = _NATIVE_KEYS.get(model_type, {})
    for opt, value in given.items():
        if opt == "rope_theta":
            rope = dict(cfg.get("rope_parameters") or {"rope_type": "default"})
            rope["rope_theta"] = float(value)
            cfg["rope_parameters"] = rope
            cfg.pop("rope_theta", None)
            continue
        key = OVERRIDE_KEYS[opt]
        cfg[native.get(key, key)] = value
    # A head width carried over from the base config would no longer fit a new d_model or head count.
    if ("d_model" in given or "heads" in given) and "head_dim" not in given and "head_dim" in cfg:
        _, d_model, heads = shape_of(cfg)
        if d_model % heads:
            raise UsageError(f"{source}: d_model {d_model} is not a multiple of {heads} heads; give --head-dim")
        cfg["head_dim"] = d_model // heads
    return cfg


def shape_of(cfg):
    """(layers, d_model, heads) whatever the family calls them."""
    native = _NATIVE_KEYS.get(cfg["model_type"], {})
    get = lambda key: cfg[native.get(key, key)]  # noqa: E731
    return get("num_hidden_layers"), get("hidden_size"), get("num_attention_heads")
