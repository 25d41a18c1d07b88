"""Reference values of the peft package for LoRA adapters, both ways, for
tests/unit/test_peft_parity.cpp.

Run from the repository root after the build, in a virtualenv with torch, transformers and peft
(bench/peers/setup_venv.sh VENV, then VENV/bin/pip install peft):

    VENV/bin/python tests/parity/make_peft_fixtures.py --scir build/release/apps/scir_hpc \
        tests/fixtures/peft_lora

It writes, under the output directory:
- base/: a random LlamaForCausalLM (2 layers, hidden 16, 4 query heads sharing 2 key/value
  heads, vocabulary 64) saved by transformers, no tokenizer (scir_hpc reads token ids);
- peft_adapter/ and peft_rslora/: LoRA adapters that peft writes for it (rank 4 on all seven
  projections, alpha 8; rank 2 on q and v with rsLoRA, alpha 3), with random A and B
  (init_lora_weights=False), so that each one changes the function;
- scir_base/ and scir_adapter/: M1 and iteration 1's adapter of a tiny `scir_hpc run` with
  --scir.lora_rank 2 (the adapter as scir_hpc writes it), which peft loads;
- references.json: for fixed token sequences, the log-probability of each response token under
  base + adapter as peft computes it (PeftModel, adapter unmerged), for each adapter.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
import transformers
import peft

SEQUENCES = [  # (prompt ids, response ids), every id below 64 and among the byte tokens
    ([1, 5, 17, 33, 9], [40, 12, 7, 2]),
    ([1, 60, 3], [44, 45, 46, 47, 48, 49]),
    ([1, 20, 21, 22, 23, 24, 25, 26], [30]),
]


def token_logps(model, prompt, response):
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
    logps = torch.log_softmax(logits, dim=-1)
    return [logps[len(prompt) - 1 + i, token].item() for i, token in enumerate(response)]


def references_of(model):
    return [{"prompt_ids": p, "response_ids": r, "token_logps": token_logps(model, p, r)}
            for p, r in SEQUENCES]


def random_adapter(base_dir, out_dir, config):
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32)
    torch.manual_seed(1)
    model = peft.get_peft_model(base, config)
    model.save_pretrained(out_dir)
    os.remove(os.path.join(out_dir, "README.md"))  # peft's model card: not a fixture


def require_close(name, expected, actual, tolerance):
    """Stops (no fixture written) unless two reference lists agree token by token."""
    for e, a in zip(expected, actual):
        worst = max(abs(x - y) for x, y in zip(e["token_logps"], a["token_logps"]))
        if worst > tolerance:
            raise SystemExit(f"{name}: log-probs differ by {worst:.3g} (> {tolerance})")


def require_apart(name, base, adapted, at_least):
    """Stops unless the adapter changes some token's log-prob: else the fixture tests nothing."""
    worst = max(abs(x - y) for b, a in zip(base, adapted)
                for x, y in zip(b["token_logps"], a["token_logps"]))
    if worst < at_least:
        raise SystemExit(f"{name}: the adapter moves no log-prob by {at_least} ({worst:.3g})")


def peft_model(base_dir, adapter_dir):
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32)
    model = peft.PeftModel.from_pretrained(base, adapter_dir)
    model.eval()
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--scir", required=True, help="the scir_hpc binary")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    base_dir = os.path.join(args.out, "base")
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
        tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    base = transformers.LlamaForCausalLM(config)
    with torch.no_grad():  # larger weights than the default, so the adapters' terms show
        for parameter in base.parameters():
            if parameter.dim() == 2:
                parameter.mul_(10.0)
    base.save_pretrained(base_dir, safe_serialization=True)
    all_seven = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    adapters = {
        "peft_adapter": peft.LoraConfig(r=4, lora_alpha=8, target_modules=all_seven,
                                        init_lora_weights=False, lora_dropout=0.0),
        "peft_rslora": peft.LoraConfig(r=2, lora_alpha=3, target_modules=["q_proj", "v_proj"],
                                       use_rslora=True, init_lora_weights=False,
                                       lora_dropout=0.0),
    }
    references = {"peft": peft.__version__, "transformers": transformers.__version__,
                  "torch": torch.__version__}
    for name, lora in adapters.items():
        directory = os.path.join(args.out, name)
        shutil.rmtree(directory, ignore_errors=True)
        random_adapter(base_dir, directory, lora)
        model = peft_model(base_dir, directory)
        references[name] = references_of(model)
        # peft's own two paths agree (unmerged and merged), and the adapter does something.
        require_close(name + " merged", references[name],
                      references_of(model.merge_and_unload()), 1e-5)
        require_apart(name, references_of(transformers.AutoModelForCausalLM.from_pretrained(
            base_dir, torch_dtype=torch.float32)), references[name], 1e-3)

    # scir_hpc's own adapter, from a tiny run with LoRA, loaded by peft.
    with tempfile.TemporaryDirectory() as scratch:
        run = os.path.join(scratch, "run")
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        subprocess.run([args.scir, "run", "--config",
                        os.path.join(source, "tests", "fixtures", "tiny_run.ini"), "--out", run,
                        "--threads", "1", "--model.num_hidden_layers", "2",
                        "--scir.lora_rank", "2", "--scir.lora_alpha", "4", "--scir.lr", "0.05"],
                       check=True, capture_output=True)
        for copied, target in (("ckpt/m1", "scir_base"), ("ckpt/iter_1/adapter", "scir_adapter")):
            shutil.rmtree(os.path.join(args.out, target), ignore_errors=True)
            shutil.copytree(os.path.join(run, copied), os.path.join(args.out, target))
    references["scir_adapter"] = references_of(
        peft_model(os.path.join(args.out, "scir_base"), os.path.join(args.out, "scir_adapter")))
    with open(os.path.join(args.out, "references.json"), "w") as f:
        json.dump(references, f, indent=1)
        f.write("\n")
    print("wrote", args.out, "with peft", peft.__version__)


if __name__ == "__main__":
    sys.exit(main())
