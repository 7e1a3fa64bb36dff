"""Where the hook points live in a transformers model: the decoder blocks, and in each its attention
module, the attention output projection and the MLP. Found by module names, which every family
spells from a short list, so a new architecture needs at most a new name here."""

import dataclasses

import torch.nn as nn

from ref_errors import UsageError

# Candidate child names, in order of preference.
ATTENTION_NAMES = ("self_attn", "attn", "attention", "self_attention")
OUT_PROJ_NAMES = ("o_proj", "c_proj", "dense", "out_proj")
MLP_NAMES = ("mlp", "feed_forward")



@dataclasses.dataclass
class Sites:
    blocks_path: str  # e.g. "model.layers"
    attn_name: str  # e.g. "self_attn"
    out_proj_name: str  # e.g. "o_proj"
    mlp_name: str  # e.g. "mlp"
    blocks: list  # the decoder block modules, in order

    def attn(self, layer):
        return getattr(self.blocks[layer], self.attn_name)

    def out_proj(self, layer):
        return getattr(self.attn(layer), self.out_proj_name)

    def mlp(self, layer):
        return getattr(self.blocks[layer], self.mlp_name)

    def describe(self):
        """Module paths per hook point, `{l}` standing for the layer (recorded in reference.json)."""
        block = f"{self.blocks_path}.{{l}}"
        return {
            "hook_resid_pre": f"{block} (input)",
            "hook_resid_post": f"{block} (output)",
            "attn.hook_z": f"{block}.{self.attn_name}.{self.out_proj_name} (input)",
            "hook_attn_out": f"{block}.{self.attn_name} (output)",
            "hook_mlp_out": f"{block}.{self.mlp_name} (output)",
        }


def _child(module, names, what, where):
    for name in names:
        if hasattr(module, name):
            return name
    children = ", ".join(n for n, _ in module.named_children())
    raise UsageError(f"{where}: no {what} module (looked for {', '.join(names)}; it has {children})")


def find_sites(model, n_layers):
    """The one ModuleList of `n_layers` blocks (preferring a name ending in `layers` or `h` if several)."""
    lists = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.ModuleList) and len(m) == n_layers]
    if len(lists) > 1:
        lists = [(n, m) for n, m in lists if n.split(".")[-1] in ("layers", "h")]
    if len(lists) != 1:
        raise UsageError(f"{type(model).__name__}: cannot tell which ModuleList of {n_layers} modules holds the decoder blocks")
    path, blocks = lists[0]
    first = blocks[0]
    attn_name = _child(first, ATTENTION_NAMES, "attention", f"{path}.0")
    out_proj_name = _child(getattr(first, attn_name), OUT_PROJ_NAMES, "output projection", f"{path}.0.{attn_name}")
    mlp_name = _child(first, MLP_NAMES, "MLP", f"{path}.0")
    return Sites(path, attn_name, out_proj_name, mlp_name, list(blocks))
