"""The generator's parts that need no torch, checked against the fixtures it must reproduce.

    python3 -m unittest discover -s scripts/reference -p 'test_*.py'
"""

import contextlib
import io
import json
import os
import tempfile
import unittest
from pathlib import Path

import make_reference
import ref_config
import ref_output
import ref_vocab
from ref_errors import UsageError

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference-models"
FAMILIES = list(json.loads((FIXTURES / "index.json").read_text()))


def fixture_config(family):
    return json.loads((FIXTURES / family / "config.json").read_text())


class TokenizerJson(unittest.TestCase):
    def test_byte_identical_to_the_fixtures(self):
        for family in FAMILIES:
            self.assertEqual(ref_vocab.tokenizer_json(), (FIXTURES / family / "tokenizer.json").read_text(), family)

    def test_vocabulary_grows_with_filler_tokens_and_has_a_floor(self):
        vocab = ref_vocab.vocabulary(200)
        self.assertEqual(len(vocab), 200)
        self.assertEqual(vocab["[UNK]"], 0)
        self.assertEqual(vocab["tok199"], 199)
        self.assertEqual(sorted(vocab.values()), list(range(200)))
        self.assertEqual(len(ref_vocab.vocabulary(ref_vocab.MIN_VOCAB)), ref_vocab.MIN_VOCAB)
        with self.assertRaisesRegex(UsageError, "at least 49"):
            ref_vocab.vocabulary(48)


class Presets(unittest.TestCase):
    def test_each_fixture_family_preset_agrees_with_its_config_json(self):
        for family in FAMILIES:
            saved = fixture_config(family)
            for key, value in ref_config.PRESETS[family].items():
                self.assertIn(key, saved, f"{family}.{key}")
                self.assertEqual(value, saved[key], f"{family}.{key}")

    def test_shape_of_reads_native_names(self):
        self.assertEqual(ref_config.shape_of(ref_config.preset("gpt2")), (2, 64, 4))
        self.assertEqual(ref_config.shape_of(ref_config.preset("qwen3")), (2, 64, 4))

    def test_unknown_family(self):
        with self.assertRaisesRegex(UsageError, "unknown"):
            ref_config.preset("bert")


class Overrides(unittest.TestCase):
    def test_gpt2_keys_are_renamed_to_its_own(self):
        cfg = ref_config.apply_overrides(ref_config.preset("gpt2"), {"layers": 3, "d_model": 96, "d_mlp": 384, "max_positions": 256})
        self.assertEqual((cfg["n_layer"], cfg["n_embd"], cfg["n_inner"], cfg["n_positions"]), (3, 96, 384, 256))
        self.assertNotIn("hidden_size", cfg)

    def test_head_dim_follows_a_new_width_unless_given(self):
        base = ref_config.preset("qwen3")  # head_dim 32 ≠ 64 / 4
        self.assertEqual(ref_config.apply_overrides(base, {"d_model": 128})["head_dim"], 32)
        self.assertEqual(ref_config.apply_overrides(base, {"d_model": 128, "head_dim": 48})["head_dim"], 48)
        self.assertEqual(ref_config.apply_overrides(base, {"layers": 4})["head_dim"], 32)
        with self.assertRaisesRegex(UsageError, "not a multiple"):
            ref_config.apply_overrides(base, {"d_model": 100, "heads": 3})

    def test_rope_theta_goes_into_rope_parameters(self):
        cfg = ref_config.apply_overrides(ref_config.preset("gpt_neox"), {"rope_theta": 5e5})
        self.assertEqual(cfg["rope_parameters"], {"rope_type": "default", "rope_theta": 5e5, "partial_rotary_factor": 0.25})
        legacy = {"model_type": "llama", "rope_theta": 1e4, "hidden_size": 64, "num_attention_heads": 4}
        cfg = ref_config.apply_overrides(legacy, {"rope_theta": 2e4})
        self.assertEqual(cfg["rope_parameters"], {"rope_type": "default", "rope_theta": 2e4})
        self.assertNotIn("rope_theta", cfg)

    def test_options_a_family_has_no_place_for(self):
        with self.assertRaisesRegex(UsageError, "gpt2 has no --head-dim, --kv-heads"):
            ref_config.apply_overrides(ref_config.preset("gpt2"), {"kv_heads": 2, "head_dim": 8})

    def test_none_means_not_given_and_the_base_is_not_changed(self):
        base = ref_config.preset("llama")
        self.assertEqual(ref_config.apply_overrides(base, {"layers": None, "tie_embeddings": None}), base)
        ref_config.apply_overrides(base, {"layers": 7})
        self.assertEqual(base["num_hidden_layers"], 2)


class ConfigFile(unittest.TestCase):
    def test_a_saved_config_loads_without_the_saving_runs_fields(self):
        cfg = ref_config.load_config_file(FIXTURES / "llama" / "config.json")
        self.assertEqual(cfg["model_type"], "llama")
        for key in ("architectures", "transformers_version", "dtype"):
            self.assertNotIn(key, cfg)

    def test_errors_name_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d) / "config.json"
            bad.write_text("{not json")
            with self.assertRaisesRegex(UsageError, "config.json: cannot read"):
                ref_config.load_config_file(bad)
            bad.write_text('{"hidden_size": 8}')
            with self.assertRaisesRegex(UsageError, "model_type"):
                ref_config.load_config_file(bad)


class CommandLine(unittest.TestCase):
    def test_defaults_are_the_fixtures_programs(self):
        args = make_reference.parse_args(["--family", "llama", "--out", "x"])
        fixture = json.loads((FIXTURES / "llama" / "reference.json").read_text())
        self.assertEqual((args.clean, args.cf), (fixture["clean"], fixture["counterfactual"]))
        self.assertEqual((args.dtype, args.seed, args.patch_batch, args.skip_grads, args.skip_patch), ("float32", 0, 64, False, False))

    def test_escaped_newlines_and_shape_flags(self):
        args = make_reference.parse_args(
            ["--config", "c.json", "--out", "x", "--clean", "a = 3\\nb = a\\n#b:", "--cf", "a = 5\\n#b:",
             "--layers", "4", "--d-model", "128", "--kv-heads", "1", "--no-tie-embeddings", "--skip-grads"]
        )
        self.assertEqual(args.clean, "a = 3\nb = a\n#b:")
        overrides = make_reference.overrides_of(args)
        self.assertEqual({k: v for k, v in overrides.items() if v is not None},
                         {"layers": 4, "d_model": 128, "kv_heads": 1, "tie_embeddings": False})
        self.assertTrue(args.skip_grads)

    def test_one_source_of_config_exactly(self):
        for argv in (["--out", "x"], ["--family", "llama", "--config", "c.json", "--out", "x"], ["--family", "llama"]):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                make_reference.parse_args(argv)

    def test_model_config_takes_the_tokenizers_size(self):
        args = make_reference.parse_args(["--config", str(FIXTURES / "gpt2" / "config.json"), "--out", "x", "--layers", "3"])
        cfg, text = make_reference.config_and_tokenizer(args, tokenizer_size=None)
        self.assertEqual((cfg["n_layer"], cfg["vocab_size"]), (3, 96))
        self.assertEqual(text, ref_vocab.tokenizer_json())
        args = make_reference.parse_args(["--family", "qwen2", "--out", "x", "--vocab-size", "128"])
        cfg, text = make_reference.config_and_tokenizer(args, tokenizer_size=None)
        self.assertEqual(len(json.loads(text)["model"]["vocab"]), 128)
        self.assertEqual(cfg["vocab_size"], 128)

    def test_a_given_tokenizer_sets_the_vocabulary(self):
        with tempfile.TemporaryDirectory() as d:
            tok = Path(d) / "tokenizer.json"
            tok.write_text(ref_vocab.tokenizer_json(300))
            # A WordLevel file's size is its vocabulary's length (on the GPU machine `tokenizers` answers).
            size_of = lambda text: len(json.loads(text)["model"]["vocab"])  # noqa: E731
            args = make_reference.parse_args(["--family", "llama", "--out", "x", "--tokenizer", str(tok)])
            cfg, text = make_reference.config_and_tokenizer(args, size_of)
            self.assertEqual((cfg["vocab_size"], text), (300, tok.read_text()))
            args = make_reference.parse_args(["--family", "llama", "--out", "x", "--tokenizer", str(tok), "--vocab-size", "200"])
            with self.assertRaisesRegex(UsageError, "smaller than the tokenizer's 300"):
                make_reference.config_and_tokenizer(args, size_of)


class Outputs(unittest.TestCase):
    def test_reference_json_has_the_fixtures_fields_then_the_generator(self):
        for family in FAMILIES:
            fixture = json.loads((FIXTURES / family / "reference.json").read_text())
            doc = ref_output.reference_doc(
                model_type=fixture["model_type"], clean=fixture["clean"], counterfactual=fixture["counterfactual"],
                tokens=fixture["tokens"], versions={"transformers": fixture["transformers"], "torch": fixture["torch"]},
                generator={"seed": 0}, patched=True, grads=True,
            )
            self.assertEqual(list(doc), list(fixture) + ["generator"], family)
            self.assertEqual({k: v for k, v in doc.items() if k != "generator"}, fixture, family)

    def test_skipped_parts_are_left_out(self):
        doc = ref_output.reference_doc(model_type="gpt2", clean="a", counterfactual="b", tokens=["a"],
                                       versions={"transformers": "5", "torch": "2"}, generator={}, patched=False, grads=False)
        self.assertNotIn("patching", doc)
        self.assertNotIn("loss", doc)

    def test_the_sweeps_are_the_documented_tensors(self):
        self.assertEqual(set(ref_output.SWEEPS), set(ref_output.PATCHING_DOC))

    def test_index_entries_are_added_and_replaced_atomically(self):
        with tempfile.TemporaryDirectory() as d:
            index = os.path.join(d, "index.json")
            ref_output.update_index(index, "llama", {"T": 21, "L": 2, "H": 4})
            ref_output.update_index(index, "big", {"T": 9, "L": 8, "H": 16})
            ref_output.update_index(index, "llama", {"T": 5, "L": 2, "H": 4})
            self.assertEqual(json.loads(Path(index).read_text()), {"llama": {"T": 5, "L": 2, "H": 4}, "big": {"T": 9, "L": 8, "H": 16}})
            self.assertEqual(os.listdir(d), ["index.json"])
            Path(index).write_text("[1]")
            with self.assertRaisesRegex(UsageError, "expected an object"):
                ref_output.update_index(index, "x", {})

    def test_index_json_is_written_as_the_fixtures_one(self):
        with tempfile.TemporaryDirectory() as d:
            index = os.path.join(d, "index.json")
            for name, entry in json.loads((FIXTURES / "index.json").read_text()).items():
                ref_output.update_index(index, name, entry)
            self.assertEqual(Path(index).read_text(), (FIXTURES / "index.json").read_text())


if __name__ == "__main__":
    unittest.main()
