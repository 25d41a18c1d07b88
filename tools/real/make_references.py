#!/usr/bin/env python3
"""Reference values for tests/real/real_models.py, computed once with transformers and the
tokenizers package on the SmolLM2-135M-Instruct directory that gguf_to_hf.py makes, and written
to tests/real/smollm2_reference.json (committed with this script):
  - ids: the tokenizers package's ids of the hard texts of tests/fixtures/tokenizers (Unicode,
    emoji, digits, whitespace runs, special tokens inside text) under the converted
    tokenizer.json, and the text they decode to;
  - chat: transformers' apply_chat_template(add_generation_prompt=True) ids of one user message;
  - score: transformers' log pi(response | prompt) of six ChatML prompt/response pairs;
  - greedy: model.generate(do_sample=False) tokens of six ChatML prompts, to <|im_end|>;
  - vocabulary_chat: apply_chat_template ids of the same questions under Llama 3's template
    (on the converted Llama 3 vocabulary) and under the Qwen 2 vocabulary's own template.
It also checks that the tokenizers package gives llama.cpp's reference ids (its .out files) on
the converted Llama 3, Qwen 2, StarCoder and GPT-2 vocabularies, so the converter, not only
scir_hpc, is checked against the original tokenizers. Not part of CI (torch, transformers); run in
a virtualenv with torch, transformers, tokenizers and gguf:

    python tools/real/make_references.py --model DIR --llama-cpp-models DIR \
        --vocab llama-bpe=DIR --vocab qwen2=DIR [--vocab NAME=DIR ...]

With --checkpoint DIR --scir BINARY it instead loads a checkpoint a run wrote with transformers'
from_pretrained and compares its log-probs of the six pairs with `scir_hpc score`'s."""
import json
import os
import subprocess
import sys
import tempfile

import tokenizers
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from analysis.cli import OneLineArgumentParser  # noqa: E402
from real_model_cases import (chatml_prompt, llama_cpp_cases,  # noqa: E402
                              score_pairs, tokenizer_texts)

REFERENCE = os.path.join(HERE, "..", "..", "tests", "real", "smollm2_reference.json")
NEW_TOKENS = 24
# Meta's Llama 3 Instruct chat template (the llama-bpe test vocabulary ships none).
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + "
    "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}")


def token_ids(directory):
    tokenizer = tokenizers.Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    out = []
    for text in tokenizer_texts():
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        out.append({"text": text, "ids": ids, "decoded": tokenizer.decode(ids)})
    return out


def check_vocabulary(name, directory, cases_dir):
    tokenizer = tokenizers.Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    cases = llama_cpp_cases(cases_dir, name)
    same = sum(tokenizer.encode(text, add_special_tokens=False).ids == ids for text, ids in cases)
    print(f"{name}: the tokenizers package on the converted tokenizer.json gives llama.cpp's ids "
          f"for {same}/{len(cases)} texts")
    return same == len(cases)


def vocabulary_chat(directories):
    """apply_chat_template ids of one user message under Llama 3's template (scir_hpc's
    `llama3`) and under the Qwen 2 vocabulary's own ChatML template (`model`)."""
    out = {}
    for name, template, ours in (("llama-bpe", LLAMA3_TEMPLATE, "llama3"),
                                 ("qwen2", None, "model")):
        tokenizer = transformers.AutoTokenizer.from_pretrained(directories[name])
        if template:
            tokenizer.chat_template = template
        out[name] = {"chat_template": ours, "cases": [
            {"text": question, "ids": tokenizer.apply_chat_template(
                [{"role": "user", "content": question}], add_generation_prompt=True,
                tokenize=True, return_dict=False)} for question, _ in score_pairs()]}
    return out


def log_probs(model, tokenizer, pairs):
    out = []
    for prompt, response in pairs:
        prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
        response_ids = tokenizer(response, add_special_tokens=False).input_ids
        with torch.no_grad():
            logits = model(torch.tensor([prompt_ids + response_ids])).logits[0].double()
        logp = torch.log_softmax(logits, -1)
        out.append(sum(logp[len(prompt_ids) + k - 1, t].item() for k, t in enumerate(response_ids)))
    return out


def references(directory, vocabularies):
    model = transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    pairs = score_pairs()
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    greedy = []
    for question, _ in pairs:
        ids = tokenizer(chatml_prompt(question), add_special_tokens=False,
                        return_tensors="pt").input_ids
        with torch.no_grad():
            new = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=NEW_TOKENS, eos_token_id=end,
                                 pad_token_id=end)[0, ids.shape[1]:].tolist()
        greedy.append({"question": question, "response_ids": new[:new.index(end) + 1]
                       if end in new else new, "text": tokenizer.decode(new)})
    chat = [{"text": question, "ids": tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=True,
        return_dict=False)} for question, _ in pairs]
    return {
        "made_by": "tools/real/make_references.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__},
        "ids": token_ids(directory), "chat": chat,
        "vocabulary_chat": vocabulary_chat(vocabularies),
        "score": [{"question": q, "response": r, "logp": logp}
                  for (q, r), logp in zip(pairs, log_probs(model, tokenizer,
                                                            [(chatml_prompt(q), r)
                                                             for q, r in pairs]))],
        "greedy_new_tokens": NEW_TOKENS, "greedy": greedy}


def compare_checkpoint(checkpoint, scir):
    """transformers' log-probs of a checkpoint a run wrote against scir_hpc's."""
    model = transformers.AutoModelForCausalLM.from_pretrained(checkpoint,
                                                              dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
    pairs = [(chatml_prompt(q), r) for q, r in score_pairs()]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.writelines(json.dumps({"prompt": p, "response": r}) + "\n" for p, r in pairs)
    result = subprocess.run([scir, "score", "--model", checkpoint, "--input", f.name],
                            capture_output=True, text=True, check=True)
    ours = [json.loads(line)["logp"] for line in result.stdout.splitlines()]
    worst = max(abs(a - b) for a, b in zip(ours, log_probs(model, tokenizer, pairs)))
    print(f"{checkpoint}: transformers loads it; max |logp difference| against scir_hpc {worst:.2e}")
    return worst <= 1e-3


def main():
    parser = OneLineArgumentParser()
    parser.add_argument("--model", help="the converted SmolLM2 directory")
    parser.add_argument("--vocab", action="append", default=[],
                        help="NAME=DIR: a converted ggml-vocab-NAME.gguf, checked")
    parser.add_argument("--llama-cpp-models", help="llama.cpp's models/ directory (.inp/.out)")
    parser.add_argument("--checkpoint")
    parser.add_argument("--scir")
    options = parser.parse_args()
    torch.set_num_threads(2)
    if options.checkpoint:
        return 0 if compare_checkpoint(options.checkpoint, options.scir) else 1
    vocabularies = dict(entry.split("=", 1) for entry in options.vocab)
    ok = all(check_vocabulary(name, directory, options.llama_cpp_models)
             for name, directory in vocabularies.items())
    data = references(options.model, vocabularies)
    with open(REFERENCE, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    for line in data["greedy"]:
        print(f"  {line['question']!r} -> {line['text']!r}")
    print(f"wrote {REFERENCE}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
