#!/usr/bin/env python3
"""transformers' generate on a GPU, the peer of scir_gpu_bench's generation phase, in the same
call on the same card (tests/gpu/run_prebuilt.sh): the same shape with random weights in
bfloat16 (--shape 1b: Llama 3.2 1B's, 7b: Mistral-7B's, as bench/gpu_bench.cpp builds them), the
same batch, prompt length and new tokens, greedy, no early stop, and transformers' static cache
(cache_implementation="static"; --compile adds torch.compile of the forward, as transformers'
documentation pairs them). Prints tokens/s, the best of --repeats timed calls after one warm-up
call, and writes them to --out as JSON.

  python3 bench/peers/hf_generate_gpu.py --shape 1b --batch 64 --prompt-tokens 128 \\
      --new-tokens 128 --out hf_1b_64.json
"""
import json
import os
import sys
import time

import torch
import transformers

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402

SHAPES = {
    "1b": (transformers.LlamaConfig,
           dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256,
                tie_word_embeddings=True, rope_theta=500000.0)),
    "7b": (transformers.MistralConfig,
           dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=32000,
                tie_word_embeddings=False, rope_theta=1000000.0, sliding_window=None)),
}


def main():
    parser = OneLineArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1b")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="torch.compile the forward")
    parser.add_argument("--out", default="", help="JSON file of the result")
    args = parser.parse_args()
    for name in ("batch", "prompt_tokens", "new_tokens", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"argument --{name.replace('_', '-')}: expected an integer >= 1, got "
                         f"{getattr(args, name)}")
    if not torch.cuda.is_available():
        parser.error("no CUDA device: this peer runs on a GPU")
    config_class, shape = SHAPES[args.shape]
    config = config_class(**shape, max_position_embeddings=2048, bos_token_id=1,
                          eos_token_id=2, pad_token_id=0)
    torch.manual_seed(1)
    with torch.device("cuda"):  # the weights drawn on the card: a 7B draw on the host takes minutes
        model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16)
    model.eval()
    if args.compile:
        model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
    # Token ids above the specials; every prompt the same length, so there is no padding.
    prompts = torch.randint(3, config.vocab_size, (args.batch, args.prompt_tokens), device="cuda")
    mask = torch.ones_like(prompts)
    settings = dict(do_sample=False, max_new_tokens=args.new_tokens,
                    min_new_tokens=args.new_tokens, cache_implementation="static",
                    pad_token_id=0)
    with torch.no_grad():
        model.generate(prompts, attention_mask=mask, **settings)  # warm-up (and compilation)
        best = float("inf")
        for _ in range(args.repeats):
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = model.generate(prompts, attention_mask=mask, **settings)
            torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
    assert out.shape == (args.batch, args.prompt_tokens + args.new_tokens), out.shape
    result = dict(shape=args.shape, batch=args.batch, prompt_tokens=args.prompt_tokens,
                  new_tokens=args.new_tokens, compile=args.compile, seconds=best,
                  tokens_per_s=args.batch * args.new_tokens / best,
                  device=torch.cuda.get_device_name(), torch=torch.__version__,
                  transformers=transformers.__version__)
    print(f"transformers generate, {args.shape}, batch {args.batch}, prompt {args.prompt_tokens}, "
          f"{args.new_tokens} new tokens, static cache{', compiled' if args.compile else ''} on "
          f"{result['device']}: {result['tokens_per_s']:.0f} tokens/s")
    if args.out:
        with open(args.out, "w") as out_file:
            json.dump(result, out_file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
