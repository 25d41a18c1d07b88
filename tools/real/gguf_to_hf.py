#!/usr/bin/env python3
"""A GGUF file (llama.cpp's format) as a Hugging Face model directory that scir_hpc and
transformers load: model.safetensors (float32, dequantised), config.json in the layout current
transformers writes (rope_parameters, no top-level rope_theta), tokenizer.json rebuilt from the
GGUF vocabulary and merges, tokenizer_config.json with the model's chat template, and
generation_config.json. Needs numpy and the `gguf` package only.

    python tools/real/gguf_to_hf.py MODEL.gguf OUT_DIR [--vocab-only]

--vocab-only writes the tokenizer files alone (llama.cpp's ggml-vocab-*.gguf test vocabularies
have no weights). Supported: architecture llama (dense, no RoPE scaling), byte-level BPE
vocabularies with the GPT-2, SmolLM/StarCoder, Llama 3 and Qwen 2 pre-tokenizers; anything else
is refused with one line naming the field, exit 2. The directory is written under a temporary
name and renamed when complete."""
import argparse
import json
import os
import re
import shutil
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize

# Token types of a GGUF vocabulary (llama.cpp's llama_token_type).
CONTROL, USER_DEFINED = 3, 4

# The Split patterns of Llama 3's and Qwen 2's tokenizer.json files.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


class Refused(Exception):
    pass


def byte_level(use_regex):
    return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
            "use_regex": use_regex}


def split_then_bytes(pattern):
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
        byte_level(False)]}


# tokenizer.ggml.pre -> (normalizer, pre_tokenizer, ignore_merges) of the original tokenizer.json.
# SmolLM's and StarCoder's split every digit off before GPT-2's regex.
PRE_TOKENIZERS = {
    "gpt-2": (None, byte_level(True), False),
    "smollm": (None, {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, byte_level(True)]}, False),
    "llama-bpe": (None, split_then_bytes(LLAMA3_SPLIT), True),
    "qwen2": ({"type": "NFC"}, split_then_bytes(QWEN2_SPLIT), False),
}
PRE_TOKENIZERS["starcoder"] = PRE_TOKENIZERS["smollm"]


def field(reader, key, default=None):
    found = reader.fields.get(key)
    return default if found is None else found.contents()


def required(reader, path, key):
    value = field(reader, key)
    if value is None:
        raise Refused(f"{path}: missing field '{key}'")
    return value


def tokenizer_files(reader, path):
    """tokenizer.json, tokenizer_config.json and the special-token ids of the GGUF vocabulary."""
    model = required(reader, path, "tokenizer.ggml.model")
    if model != "gpt2":
        raise Refused(f"{path}: field 'tokenizer.ggml.model' is {model!r} (expected 'gpt2', "
                      "a byte-level BPE)")
    pre = field(reader, "tokenizer.ggml.pre", "gpt-2")
    if pre not in PRE_TOKENIZERS:
        raise Refused(f"{path}: field 'tokenizer.ggml.pre' is {pre!r} (expected one of "
                      f"{', '.join(sorted(PRE_TOKENIZERS))})")
    normalizer, pre_tokenizer, ignore_merges = PRE_TOKENIZERS[pre]
    tokens = required(reader, path, "tokenizer.ggml.tokens")
    types = required(reader, path, "tokenizer.ggml.token_type")
    merges = required(reader, path, "tokenizer.ggml.merges")
    vocab, added = {}, []
    for index, (token, kind) in enumerate(zip(tokens, types)):
        # llama.cpp pads a vocabulary to the embedding's rows with [PADn] tokens of its own.
        if kind == USER_DEFINED and re.fullmatch(r"\[PAD\d+\]", token):
            continue
        vocab[token] = index
        if kind in (CONTROL, USER_DEFINED):
            added.append({"id": index, "content": token, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": kind == CONTROL})
    special = {name: field(reader, f"tokenizer.ggml.{name}_token_id")
               for name in ("bos", "eos", "padding", "unknown")}
    if special["eos"] is None:
        raise Refused(f"{path}: missing field 'tokenizer.ggml.eos_token_id'")
    # llama.cpp adds BOS for Llama 3 vocabularies unless the file says otherwise.
    add_bos = bool(field(reader, "tokenizer.ggml.add_bos_token", pre == "llama-bpe"))
    if add_bos and special["bos"] is None:
        raise Refused(f"{path}: field 'tokenizer.ggml.add_bos_token' is true without a "
                      "'tokenizer.ggml.bos_token_id'")
    if add_bos:
        bos = tokens[special["bos"]]
        post = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": bos, "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {bos: {"id": bos, "ids": [special["bos"]], "tokens": [bos]}}}
    else:
        post = byte_level(True)
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post,
        "decoder": byte_level(True),
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
                  "vocab": vocab, "merges": list(merges)}}
    config = {"add_bos_token": add_bos, "add_eos_token": False,
              "eos_token": tokens[special["eos"]], "clean_up_tokenization_spaces": False,
              "model_max_length": int(field(reader, f"{field(reader, 'general.architecture')}"
                                                    ".context_length", 2048))}
    for name, key in (("bos", "bos_token"), ("padding", "pad_token"), ("unknown", "unk_token")):
        if special[name] is not None:
            config[key] = tokens[special[name]]
    template = field(reader, "tokenizer.chat_template")
    if template is not None:
        config["chat_template"] = template
    ids = {"bos_token_id": special["bos"], "eos_token_id": special["eos"],
           "pad_token_id": special["padding"]}
    return tokenizer, config, {k: v for k, v in ids.items() if v is not None}


def shortest(value):
    """A float32 metadata value as the shortest decimal that reads back as it (1e-05, not
    9.999999747378752e-06), as the original config.json wrote it."""
    return float(str(np.float32(value)))


def model_config(reader, path, vocab_size, tied, ids):
    """config.json of a llama-architecture GGUF, as transformers 5 writes it."""
    arch = required(reader, path, "general.architecture")
    if arch != "llama":
        raise Refused(f"{path}: field 'general.architecture' is {arch!r} (expected 'llama')")
    for unsupported in ("llama.rope.scaling.type", "llama.expert_count"):
        if field(reader, unsupported) is not None:
            raise Refused(f"{path}: field '{unsupported}' is not converted (expected a dense "
                          "llama without RoPE scaling)")
    heads = int(required(reader, path, "llama.attention.head_count"))
    hidden = int(required(reader, path, "llama.embedding_length"))
    head_dim = int(field(reader, "llama.rope.dimension_count", hidden // heads))
    if head_dim * heads != hidden:
        raise Refused(f"{path}: field 'llama.rope.dimension_count' is {head_dim} (expected "
                      "embedding_length / head_count: partial rotary is not converted)")
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": vocab_size, "hidden_size": hidden,
        "intermediate_size": int(required(reader, path, "llama.feed_forward_length")),
        "num_hidden_layers": int(required(reader, path, "llama.block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(field(reader, "llama.attention.head_count_kv", heads)),
        "head_dim": head_dim, "hidden_act": "silu",
        "max_position_embeddings": int(required(reader, path, "llama.context_length")),
        "rms_norm_eps": shortest(
            required(reader, path, "llama.attention.layer_norm_rms_epsilon")),
        "rope_parameters": {"rope_theta": shortest(field(reader, "llama.rope.freq_base", 1e4)),
                            "rope_type": "default"},
        "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False,
        "tie_word_embeddings": tied, "dtype": "float32", "use_cache": True, **ids}


def unpermute(weight, heads):
    """Undoes llama.cpp's reordering of q/k rows (pairs of rotated halves interleaved), back to
    the Hugging Face layout of each head's first half then its second half."""
    rows, columns = weight.shape
    return (weight.reshape(heads, rows // heads // 2, 2, columns).swapaxes(1, 2)
            .reshape(rows, columns))


LAYER_NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj",
               "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
               "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
               "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
TOP_NAMES = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight":
             "model.norm.weight", "output.weight": "lm_head.weight"}


def hf_name(path, name):
    if name in TOP_NAMES:
        return TOP_NAMES[name]
    match = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight", name)
    if match and match.group(2) in LAYER_NAMES:
        return f"model.layers.{match.group(1)}.{LAYER_NAMES[match.group(2)]}.weight"
    raise Refused(f"{path}: tensor '{name}' is not converted (expected a llama tensor)")


def tensors(reader, path, config):
    """(Hugging Face name, float32 array) for every tensor of the file."""
    for tensor in reader.tensors:
        name = hf_name(path, tensor.name)
        shape = [int(n) for n in reversed(tensor.shape)]  # GGUF lists the fastest axis first
        if tensor.tensor_type == GGMLQuantizationType.F32:
            weight = np.asarray(tensor.data, dtype=np.float32)
        else:
            weight = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        weight = weight.reshape(shape)
        if tensor.name.endswith("attn_q.weight"):
            weight = unpermute(weight, config["num_attention_heads"])
        elif tensor.name.endswith("attn_k.weight"):
            weight = unpermute(weight, config["num_key_value_heads"])
        yield name, np.ascontiguousarray(weight)


def write_safetensors(file, named):
    """The safetensors layout: an 8-byte little-endian header length, the JSON header (offsets
    into the data), the tensors' bytes."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, weight in named:
        header[name] = {"dtype": "F32", "shape": list(weight.shape),
                        "data_offsets": [offset, offset + weight.nbytes]}
        offset += weight.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(file, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for _, weight in named:
            out.write(weight.astype("<f4").tobytes())


def convert(path, out, vocab_only):
    reader = GGUFReader(path)
    tokenizer, tokenizer_config, ids = tokenizer_files(reader, path)
    staging = out.rstrip("/") + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    files = {"tokenizer.json": tokenizer, "tokenizer_config.json": tokenizer_config}
    if not vocab_only:
        names = {t.name for t in reader.tensors}
        tied = "output.weight" not in names
        vocab_size = len(required(reader, path, "tokenizer.ggml.tokens"))
        config = model_config(reader, path, vocab_size, tied, ids)
        write_safetensors(os.path.join(staging, "model.safetensors"),
                          list(tensors(reader, path, config)))
        files["config.json"] = config
        files["generation_config.json"] = {**ids, "do_sample": False}
    for name, content in files.items():
        with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(staging, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gguf")
    parser.add_argument("out")
    parser.add_argument("--vocab-only", action="store_true")
    options = parser.parse_args()
    if not os.path.isfile(options.gguf):
        print(f"gguf_to_hf: {options.gguf}: cannot open", file=sys.stderr)
        return 2
    try:
        convert(options.gguf, options.out, options.vocab_only)
    except Refused as error:
        shutil.rmtree(options.out.rstrip("/") + ".partial", ignore_errors=True)
        print(f"gguf_to_hf: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
