"""The inputs the real-model tests and their reference script share (no dependency beyond the
standard library): texts to tokenize, chat prompts and responses, llama.cpp's reference cases."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_IDS = os.path.join(HERE, "..", "..", "tests", "fixtures", "tokenizers",
                           "reference_ids.json")

# SmolLM2-Instruct's chat template writes this system message when a conversation has none.
SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
QUESTIONS_AND_ANSWERS = [
    ("What is the capital of France?", "The capital of France is Paris."),
    ("What is 17 times 3?", "17 times 3 is 51."),
    ("Name three colours of the rainbow.", "Red, orange and yellow."),
    ("Write a haiku about the sea.",
     "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time."),
    ("Sort these numbers: 5, 2, 9, 1.", "1, 2, 5, 9"),
    ("Translate 'good morning' into French.", "Bonjour."),
]
# The vocabularies of llama.cpp's ggml-vocab-NAME.gguf files the tests convert and check.
LLAMA_CPP_VOCABULARIES = ["llama-bpe", "qwen2", "starcoder", "gpt-2"]


def chatml_prompt(question):
    return (f"<|im_start|>system\n{SMOLLM2_SYSTEM}<|im_end|>\n<|im_start|>user\n{question}"
            "<|im_end|>\n<|im_start|>assistant\n")


def score_pairs():
    """(question, response ending with <|im_end|>) pairs."""
    return [(q, a + "<|im_end|>") for q, a in QUESTIONS_AND_ANSWERS]


def tokenizer_texts():
    """The hard texts of the tokenizer fixtures (Unicode, emoji, digits, whitespace runs,
    special tokens inside text)."""
    with open(FIXTURE_IDS, encoding="utf-8") as f:
        return [case["text"] for case in json.load(f)["variants"]["smollm2"]["cases"]]


def llama_cpp_cases(models_dir, name):
    """(text, reference ids) of llama.cpp's ggml-vocab-NAME.gguf.inp/.out: the texts separated
    by a marker line, the ids (from Hugging Face tokenizers, no BOS) one line a text."""
    stem = os.path.join(models_dir, f"ggml-vocab-{name}.gguf")
    with open(stem + ".inp", encoding="utf-8") as f:
        texts = f.read().split("\n__ggml_vocab_test__\n")
    with open(stem + ".out", encoding="utf-8") as f:
        ids = [[int(t) for t in line.split()] for line in f.read().split("\n")]
    if len(ids) < len(texts):
        raise ValueError(f"{stem}.out: {len(ids)} lines for {len(texts)} texts")
    return list(zip(texts, ids))
