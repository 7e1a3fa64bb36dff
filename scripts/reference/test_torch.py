"""The whole generator on each fixture family, where torch, transformers, safetensors and tokenizers
are installed (the GPU machine; skipped elsewhere). Checks the folder against the fixtures' layout,
and its numbers against transformers computed another way: its own loss, a reloaded model's
logits, the residual-stream identities, and single-cell patches made by hand.

    python3 -m unittest discover -s scripts/reference -p 'test_*.py'
"""

import importlib.util
import json
import tempfile
import unittest
from pathlib import Path

HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "transformers", "safetensors", "tokenizers"))
if HAVE_TORCH:
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    import make_reference
    import ref_sites

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference-models"
FAMILIES = list(json.loads((FIXTURES / "index.json").read_text()))
TOL = 1e-5


def header(path):
    """name → (dtype, shape) of a safetensors file, from its JSON header."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return {k: (v["dtype"], v["shape"]) for k, v in json.loads(raw[8 : 8 + n]).items() if k != "__metadata__"}


def max_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


@unittest.skipUnless(HAVE_TORCH, "needs torch, transformers, safetensors and tokenizers (see docs/reference.md)")
class Generated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        for family in FAMILIES:
            make_reference.main(["--family", family, "--out", str(cls.root / family), "--device", "cpu", "--patch-batch", "7"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def load(self, family):
        folder = self.root / family
        model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32).eval()
        return model, load_file(folder / "reference.safetensors")

    def test_layout_is_the_fixtures(self):
        index = json.loads((self.root / "index.json").read_text())
        self.assertEqual(index, json.loads((FIXTURES / "index.json").read_text()))
        for family in FAMILIES:
            with self.subTest(family):
                ours, theirs = self.root / family, FIXTURES / family
                self.assertEqual(header(ours / "reference.safetensors"), header(theirs / "reference.safetensors"))
                self.assertEqual(header(ours / "model.safetensors"), header(theirs / "model.safetensors"))
                self.assertEqual((ours / "tokenizer.json").read_text(), (theirs / "tokenizer.json").read_text())
                config, fixture = (json.loads((d / "config.json").read_text()) for d in (ours, theirs))
                fixture.pop("transformers_version")
                self.assertEqual({k: config.get(k) for k in fixture}, fixture)
                ref_json, fixture_json = (json.loads((d / "reference.json").read_text()) for d in (ours, theirs))
                for key in ("model_type", "clean", "counterfactual", "tokens", "hooks", "patching", "loss"):
                    self.assertEqual(ref_json[key], fixture_json[key], key)
                ids = load_file(ours / "reference.safetensors")["input_ids"]
                self.assertTrue(torch.equal(ids, load_file(theirs / "reference.safetensors")["input_ids"]))

    def test_logits_and_the_residual_stream(self):
        for family in FAMILIES:
            with self.subTest(family):
                model, ref = self.load(family)
                with torch.no_grad():
                    logits = model(input_ids=ref["input_ids"], use_cache=False).logits
                self.assertLess(max_diff(logits, ref["logits"]), TOL)
                sites = ref_sites.find_sites(model, model.config.num_hidden_layers)
                for l in range(model.config.num_hidden_layers):
                    act = lambda kind: ref[f"act.blocks.{l}.{kind}"]  # noqa: E731
                    # Sequential and parallel blocks alike add both outputs to the residual stream.
                    total = act("hook_resid_pre") + act("hook_attn_out") + act("hook_mlp_out")
                    self.assertLess(max_diff(total, act("hook_resid_post")), TOL, l)
                    with torch.no_grad():
                        projected = sites.out_proj(l)(act("attn.hook_z"))
                    self.assertLess(max_diff(projected, act("hook_attn_out")), TOL, l)
                    if l > 0:
                        self.assertTrue(torch.equal(ref[f"act.blocks.{l - 1}.hook_resid_post"], act("hook_resid_pre")))

    def test_losses_and_gradients_against_transformers_own_loss(self):
        for family in FAMILIES:
            with self.subTest(family):
                model, ref = self.load(family)
                # Both rows have T tokens, so the mean over all next-token predictions is the mean of rows.
                loss = model(input_ids=ref["input_ids"], labels=ref["input_ids"], use_cache=False).loss
                self.assertLess(abs(loss.item() - ref["loss.per_row"].mean().item()), TOL)
                loss.backward()
                for name, p in model.named_parameters():
                    scale = p.grad.abs().max().item()
                    self.assertLess(max_diff(p.grad, ref[f"grad.{name}"]), 1e-4 * scale + 1e-9, name)

    def test_patched_logits_equal_single_cell_patches_made_by_hand(self):
        for family in FAMILIES:
            with self.subTest(family):
                model, ref = self.load(family)
                sites = ref_sites.find_sites(model, model.config.num_hidden_layers)
                clean = ref["input_ids"][:1]
                T = clean.shape[1]
                H = model.config.num_attention_heads
                cells = [(0, 0), (0, 2), (1, 2), (1, T - 1)]

                def run(kind, module, side, l, p, head=None):
                    """Last clean logits with (l, p[, head]) of `kind` from the counterfactual row, by hand."""
                    src = ref[f"act.blocks.{l}.{kind}"][1, p]

                    def put(x):
                        x = x.clone()
                        if head is None:
                            x[0, p] = src
                        else:
                            w = x.shape[-1] // H
                            x[0, p, head * w : (head + 1) * w] = src[head * w : (head + 1) * w]
                        return x

                    def pre(_m, args, kwargs):
                        if args:
                            return (put(args[0]), *args[1:]), kwargs
                        return args, {**kwargs, "hidden_states": put(kwargs["hidden_states"])}

                    def post(_m, _args, out):
                        return (put(out[0]), *out[1:]) if isinstance(out, tuple) else put(out)

                    if side == "input":
                        handle = module.register_forward_pre_hook(pre, with_kwargs=True)
                    else:
                        handle = module.register_forward_hook(post)
                    try:
                        with torch.no_grad():
                            return model(input_ids=clean, use_cache=False).logits[0, -1]
                    finally:
                        handle.remove()

                for kind, key, module_of, side in (
                    ("hook_resid_pre", "patch.resid_pre.last_logits", lambda l: sites.blocks[l], "input"),
                    ("hook_mlp_out", "patch.mlp_out.last_logits", sites.mlp, "output"),
                ):
                    for l, p in cells:
                        self.assertLess(max_diff(run(kind, module_of(l), side, l, p), ref[key][l, p]), TOL, (kind, l, p))
                for l, p in cells:
                    for head in (0, H - 1):
                        got = run("attn.hook_z", sites.out_proj(l), "input", l, p, head)
                        self.assertLess(max_diff(got, ref["patch.z.last_logits"][l, head, p]), TOL, (l, head, p))
                # Before the first token where the programs differ, a patch changes nothing.
                first = int((ref["input_ids"][0] != ref["input_ids"][1]).nonzero()[0])
                clean_last = ref["logits"][0, -1]
                for key in ("patch.resid_pre.last_logits", "patch.mlp_out.last_logits"):
                    self.assertLess(max_diff(ref[key][:, :first], clean_last.expand(ref[key].shape[0], first, -1)), TOL, key)


if __name__ == "__main__":
    unittest.main()
