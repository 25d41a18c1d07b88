#!/usr/bin/env python3
"""Parity of scir_hpc with Hugging Face transformers (not part of CI: torch and transformers are
large). Builds random tiny LlamaForCausalLM (also with Llama 3's RoPE scaling), MistralForCausalLM,
Qwen2ForCausalLM (q/k/v biases) and Qwen3ForCausalLM (head norms) models (grouped-query
attention; untied and tied embeddings; a Mistral sliding window), saves them with
save_pretrained as the installed transformers writes config.json, and compares:
  - `scir_hpc score` log-probs against transformers' (max abs difference, float32),
  - `scir_hpc generate --greedy` against transformers' greedy generate, token for token,
  - a model written by `scir_hpc init`, loaded with from_pretrained: logits against `score`.
Usage: python tests/parity/hf_parity.py --scir build/release/apps/scir_hpc
Exit code 1 when a bound is exceeded."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import torch
import transformers

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402

BOS, EOS, PAD, VOCAB = 256, 257, 258, 259  # scir_hpc's byte tokenizer


# Llama 3.1's RoPE scaling with a short original context (below the tiny models' 128 positions)
# and theta 10000, so that the 8-wide heads' four wavelengths (6.3, 63, 628, 6283) fall in all
# three bands: kept (< 120 / 4), blended, stretched (> 120).
LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 120}


def tiny_config(kind, tied, window):
    common = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                  num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=128,
                  rms_norm_eps=1e-5, tie_word_embeddings=tied,
                  bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD)
    if kind == "mistral":
        return transformers.MistralConfig(sliding_window=window, rope_theta=10000.0, **common)
    if kind == "qwen2":
        return transformers.Qwen2Config(rope_theta=1000000.0, **common)
    if kind == "qwen3":
        return transformers.Qwen3Config(head_dim=16, rope_theta=1000000.0, **common)
    if kind == "llama3":
        return transformers.LlamaConfig(rope_parameters=dict(LLAMA3_ROPE), **common)
    return transformers.LlamaConfig(rope_theta=10000.0, **common)


MODEL_CLASSES = {"mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                 "qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM",
                 "llama3": "LlamaForCausalLM"}


def save_hf_model(kind, config, directory, seed):
    torch.manual_seed(seed)
    model = getattr(transformers, MODEL_CLASSES[kind])(config).eval()
    with torch.no_grad():  # larger weights than the default init, so attention is not uniform
        for name, parameter in model.named_parameters():
            if parameter.dim() == 2:
                parameter.mul_(8.0)
            elif name.endswith(".bias"):  # Qwen2's q/k/v biases start at zero: make them count
                parameter.normal_(0.0, 0.5)
            elif "q_norm" in name or "k_norm" in name:  # Qwen3's head norms start at one
                parameter.uniform_(0.5, 1.5)
    model.save_pretrained(directory, safe_serialization=True)
    (pathlib.Path(directory) / "scir_tokenizer.json").write_text(json.dumps({"type": "byte"}))
    return model


def run_scir(scir, args):
    result = subprocess.run([scir] + args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"scir_hpc {' '.join(args)} failed: {result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def examples(seed, count):
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(count):
        prompt = [BOS] + torch.randint(0, 256, (int(torch.randint(3, 20, (1,), generator=generator)),),
                                       generator=generator).tolist()
        response = torch.randint(0, 256, (int(torch.randint(1, 25, (1,), generator=generator)),),
                                 generator=generator).tolist()
        rows.append({"prompt_ids": prompt, "response_ids": response + [EOS]})
    return rows


def hf_logprobs(model, row):
    ids = torch.tensor([row["prompt_ids"] + row["response_ids"]])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].float(), -1)
    start = len(row["prompt_ids"])
    return sum(logp[start + k - 1, token].item() for k, token in enumerate(row["response_ids"]))


def main():
    parser = OneLineArgumentParser()
    parser.add_argument("--scir", required=True)
    parser.add_argument("--bound", type=float, default=1e-4)
    options = parser.parse_args()
    torch.set_num_threads(1)
    worst_score, failures = 0.0, []
    work = pathlib.Path(tempfile.mkdtemp(prefix="scir_parity_"))
    cases = [("llama", False, None), ("llama", True, None), ("mistral", False, None),
             ("mistral", False, 6), ("llama3", False, None), ("qwen2", True, None),
             ("qwen3", False, None)]
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    for index, (kind, tied, window) in enumerate(cases):
        name = f"{kind}{'_tied' if tied else ''}{f'_window{window}' if window else ''}"
        directory = work / name
        model = save_hf_model(kind, tiny_config(kind, tied, window), directory, seed=index)
        rows = examples(index, 12)
        (work / f"{name}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
        scored = run_scir(options.scir, ["score", "--model", str(directory), "--input",
                                         str(work / f"{name}.jsonl"), "--threads", "1"])
        assert len(scored) == len(rows), f"score returned {len(scored)} lines for {len(rows)} inputs"
        difference = max(abs(line["logp"] - hf_logprobs(model, row)) for line, row in zip(scored, rows))
        worst_score = max(worst_score, difference)
        prompts = [{"id": i, "prompt_ids": row["prompt_ids"]} for i, row in enumerate(rows[:6])]
        (work / f"{name}_prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts))
        generated = run_scir(options.scir, ["generate", "--model", str(directory), "--input",
                                            str(work / f"{name}_prompts.jsonl"), "--greedy",
                                            "--max-new-tokens", "16", "--threads", "1"])
        assert len(generated) == len(prompts), f"generate returned {len(generated)} lines"
        same = 0
        for line, prompt in zip(generated, prompts):
            ids = torch.tensor([prompt["prompt_ids"]])
            with torch.no_grad():
                out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=16, eos_token_id=EOS, pad_token_id=PAD)
            theirs = out[0, ids.shape[1]:].tolist()
            if EOS in theirs:
                theirs = theirs[:theirs.index(EOS) + 1]
            same += theirs == line["response_ids"]
        print(f"{name}: max |logp difference| {difference:.2e}; greedy identical {same}/{len(prompts)}")
        if difference > options.bound or same != len(prompts):
            failures.append(name)

    # What scir_hpc writes must load in transformers.
    ours = work / "scir_init"
    subprocess.run([options.scir, "init", "--out", str(ours), "--seed", "5", "--model.hidden_size",
                    "48", "--model.num_attention_heads", "6", "--model.num_key_value_heads", "3"],
                   check=True, capture_output=True)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(ours).eval()
    rows = examples(99, 8)
    (work / "init.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    scored = run_scir(options.scir, ["score", "--model", str(ours), "--input", str(work / "init.jsonl")])
    init_difference = max(abs(line["logp"] - hf_logprobs(loaded, row)) for line, row in zip(scored, rows))
    print(f"scir_hpc init -> from_pretrained ({type(loaded).__name__}): max |logp difference| "
          f"{init_difference:.2e}")
    if init_difference > options.bound:
        failures.append("scir_init")
    print(f"worst score difference {max(worst_score, init_difference):.2e} (bound {options.bound})")
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
