#!/usr/bin/env python3
"""Generation speed against Hugging Face transformers, in one run on the same machine and threads
(not in CI): greedy decoding with the KV cache, same model shape (the demo's: Mistral layout,
hidden 128, 4 layers, 16 query / 8 key-value heads of 8 unless --heads / --kv-heads say
otherwise, SwiGLU 352, byte vocabulary of 259, untied head), same batch, same prompt length, same number of new tokens (no early stop).
Ours is bench/scir_bench_kv_cache; theirs is `model.generate(do_sample=False, use_cache=True)`.
Run it with a python that has torch and transformers (bench/peers/setup_venv.sh):

  VENV/bin/python bench/peers/hf_generate.py --bench build/release/bench/scir_bench_kv_cache
"""
import os
import re
import subprocess
import sys
import time

import torch
import transformers

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402
from bench.peers.demo_shape import HIDDEN, add_head_arguments, check_heads, model_shape  # noqa: E402


def ours(args):
    out = subprocess.run([args.bench, "--threads", str(args.threads), "--batch", str(args.batch),
                          "--new-tokens", str(args.new_tokens), "--prompt", str(args.prompt),
                          "--heads", str(args.heads), "--kv-heads", str(args.kv_heads)],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"KV cache:\s+([0-9.]+) tokens/s", out).group(1))


def theirs(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    config = transformers.MistralConfig(
        **model_shape(args), head_dim=HIDDEN // args.heads, vocab_size=259,
        max_position_embeddings=512, sliding_window=None, tie_word_embeddings=False,
        bos_token_id=256, eos_token_id=257, pad_token_id=258)
    model = transformers.MistralForCausalLM(config).eval()
    prompts = torch.randint(0, 256, (args.batch, args.prompt))
    mask = torch.ones_like(prompts)
    settings = dict(do_sample=False, use_cache=True, max_new_tokens=args.new_tokens,
                    min_new_tokens=args.new_tokens, pad_token_id=258)
    with torch.no_grad():
        model.generate(prompts, attention_mask=mask, **dict(settings, max_new_tokens=2,
                                                           min_new_tokens=2))  # warm-up
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = model.generate(prompts, attention_mask=mask, **settings)
            best = min(best, time.perf_counter() - start)
    assert out.shape == (args.batch, args.prompt + args.new_tokens), out.shape
    return args.batch * args.new_tokens / best


def main():
    parser = OneLineArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", required=True, help="path to scir_bench_kv_cache")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--prompt", type=int, default=24)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="transformers: best of these")
    add_head_arguments(parser)
    args = parser.parse_args()
    check_heads(parser, args)
    rate_ours, rate_theirs = ours(args), theirs(args)
    print(f"greedy generation, batch {args.batch}, prompt {args.prompt}, {args.new_tokens} new "
          f"tokens, {args.threads} thread(s); torch {torch.__version__}, transformers "
          f"{transformers.__version__}")
    print(f"  scir_hpc (LibTorch)   {rate_ours:10.0f} tokens/s")
    print(f"  transformers generate {rate_theirs:10.0f} tokens/s")
    print(f"  ratio ours / theirs   {rate_ours / rate_theirs:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
