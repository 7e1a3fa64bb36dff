"""reference.json and index.json of a reference folder, written atomically (no torch needed)."""

import json
import os
import tempfile

from ref_errors import UsageError

HOOKS_DOC = {
    "act.blocks.{l}.hook_resid_pre": "input of decoder block l, [2, T, d] (row 0 clean, row 1 counterfactual)",
    "act.blocks.{l}.hook_resid_post": "output of decoder block l",
    "act.blocks.{l}.attn.hook_z": "input of the attention output projection, heads concatenated, [2, T, H*d_head]",
    "act.blocks.{l}.hook_attn_out": "output of the attention module (after the output projection)",
    "act.blocks.{l}.hook_mlp_out": "output of the MLP module",
}
PATCHING_DOC = {
    "patch.resid_pre.last_logits": "[L, T, V]: clean run with hook_resid_pre of layer l at position p taken from the counterfactual run; logits at the last position",
    "patch.mlp_out.last_logits": "[L, T, V]: same for the MLP output",
    "patch.z.last_logits": "[L, H, T, V]: same for one head's slice of hook_z at one position",
}
LOSS_DOC = "loss.per_row [2]: mean next-token cross-entropy per row; grad.<param>: gradient of the mean of both rows' losses"

# Patch sweeps: tensor name → (hook kind patched, per head).
SWEEPS = {
    "patch.resid_pre.last_logits": ("hook_resid_pre", False),
    "patch.mlp_out.last_logits": ("hook_mlp_out", False),
    "patch.z.last_logits": ("attn.hook_z", True),
}


def atomic_write_text(path, text):
    """Write to a temporary file beside `path`, then rename over it (readers never see half a file)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def reference_doc(*, model_type, clean, counterfactual, tokens, versions, generator, patched, grads):
    """reference.json: the fixtures' fields (in their order), then how this folder was made."""
    doc = {
        "model_type": model_type,
        "clean": clean,
        "counterfactual": counterfactual,
        "tokens": tokens,
        "transformers": versions["transformers"],
        "torch": versions["torch"],
        "attn_implementation": "eager",
        "hooks": HOOKS_DOC,
    }
    if patched:
        doc["patching"] = PATCHING_DOC
    if grads:
        doc["loss"] = LOSS_DOC
    doc["generator"] = generator
    return doc


def update_index(index_path, name, entry):
    """Adds or replaces one model's entry ({T, L, H}) in a set's index.json, keeping the others."""
    index = {}
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            try:
                index = json.load(f)
            except json.JSONDecodeError as e:
                raise UsageError(f"{index_path}: not JSON ({e}); fix or delete it") from e
        if not isinstance(index, dict):
            raise UsageError(f"{index_path}: expected an object of model entries")
    index[name] = entry
    atomic_write_text(index_path, json.dumps(index, indent=1))
    return index
