#!/usr/bin/env python3
"""The SCIR step against TRL's DPO step, in one run on the same machine and threads (not in
CI): the same model shape (the demo's: hidden 128, 4 layers, 16 query / 8 key-value heads of
8 unless --heads / --kv-heads say otherwise, SwiGLU 352, vocabulary 259, untied head), the
same batch of pairs (random lowercase words:
prompts of 24 tokens, responses of 16, one token a character), float32 on the CPU.

  theirs: trl.DPOTrainer, policy forward + backward on both responses, the reference model's
          forward on both (its default) or reference log-probs computed before training
          (precompute_ref_log_probs), AdamW step;
  ours:   `scir_hpc bench`'s scir_step (policy forward + backward on both responses and on the
          judge prompt in both orders, for the consistency loss) and dpo_step (the same without
          the judge: the labelled methods); reference log-probs cached once an iteration, as
          the self-rewarding loop does; each with its AdamW step.

Pairs a second are compared, and the rates of counted FLOPs, as `scir_hpc bench` counts them
(PaLM's count: a forward over T tokens is 2 N T + 4 L d T^2, N the multiplying parameters, L
layers, d = heads x head_dim; a backward twice its forward): TRL's pair is two sequences of 40
tokens (24 + 16) forward + backward, plus their forward when the reference runs each step;
ours is what the bench reports. Run with a python that has torch, transformers and trl
(bench/peers/setup_venv.sh):

  VENV/bin/python bench/peers/trl_dpo.py --scir build/release/apps/scir_hpc
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import transformers
from datasets import Dataset
from tokenizers import Tokenizer, models, pre_tokenizers
import trl

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402
from bench.peers.demo_shape import (HIDDEN, LAYERS, add_head_arguments, check_heads,  # noqa: E402
                                    model_shape)



def ours(args):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "bench.json")
        shape = [f"--model.{key} {value}" for key, value in model_shape(args).items()]
        command = [args.scir, "bench", "--threads", str(args.threads), "--bench.batch",
                   str(args.batch), "--bench.prompt_tokens", "24", "--bench.response_tokens",
                   "16", "--bench.repeats", str(args.steps), "--out", out]
        command += " ".join(shape).split()
        subprocess.run(command, check=True, capture_output=True)
        with open(out) as f:
            report = json.load(f)
    phases = {p["phase"]: p for p in report["phases"]}
    rates = {name: args.batch * args.steps / phases[name]["seconds"]
             for name in ("scir_step", "dpo_step")}
    flop_rates = {name: phases[name]["gflops_per_s"] for name in ("scir_step", "dpo_step")}
    return rates, flop_rates, report["multiplying_parameters"]


def byte_tokenizer():
    # One token a character, ids as scir_hpc's byte tokenizer gives them (BOS 256, EOS 257).
    vocab = {chr(i): i for i in range(32, 127)}
    vocab.update({"<s>": 256, "</s>": 257, "<pad>": 258})
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>",
                                                eos_token="</s>", pad_token="<pad>")


def words(rng, characters):
    return "".join(" " if i % 6 == 5 else chr(ord("a") + rng.randrange(26))
                   for i in range(characters))


class StepTimer(transformers.TrainerCallback):
    def __init__(self):
        self.seconds = []

    def on_step_begin(self, args, state, control, **kwargs):
        self.start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds.append(time.perf_counter() - self.start)


def theirs(args, precompute):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    config = transformers.MistralConfig(
        **model_shape(args), head_dim=HIDDEN // args.heads, vocab_size=259,
        max_position_embeddings=512, sliding_window=None, tie_word_embeddings=False,
        bos_token_id=256, eos_token_id=257, pad_token_id=258)
    model = transformers.MistralForCausalLM(config)
    reference = transformers.MistralForCausalLM(config)
    reference.load_state_dict(model.state_dict())
    rng = random.Random(1)
    steps = args.steps + 2  # the first two are warm-up
    rows = [{"prompt": words(rng, 24), "chosen": words(rng, 15), "rejected": words(rng, 15)}
            for _ in range(args.batch * steps)]
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as work:
        settings = trl.DPOConfig(output_dir=work, per_device_train_batch_size=args.batch,
                                 max_steps=steps, learning_rate=1e-6, beta=0.1, report_to=[],
                                 save_strategy="no", logging_strategy="no", use_cpu=True,
                                 dataloader_num_workers=0, max_length=None, seed=1,
                                 precompute_ref_log_probs=precompute)
        trainer = trl.DPOTrainer(model=model, ref_model=reference, args=settings,
                                 train_dataset=Dataset.from_list(rows),
                                 processing_class=byte_tokenizer(), callbacks=[timer])
        trainer.train()
    step_seconds = statistics.median(timer.seconds[2:])
    return args.batch / step_seconds


def main():
    parser = OneLineArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scir", required=True, help="path to scir_hpc")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16, help="pairs a step")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    add_head_arguments(parser)
    args = parser.parse_args()
    check_heads(parser, args)
    rate_ours, gflops_ours, parameters = ours(args)
    with_reference, precomputed = theirs(args, False), theirs(args, True)
    length = 24 + 16  # each response after its prompt
    attention_width = HIDDEN  # heads x head_dim
    forward = (2 * parameters * length +
               4 * LAYERS * attention_width * length * length)
    gflops_with_reference = with_reference * 2 * 4 * forward / 1e9  # 3 policy + 1 reference
    gflops_precomputed = precomputed * 2 * 3 * forward / 1e9
    print(f"a training step on {args.batch} pairs (prompt 24, responses 16 tokens), "
          f"{args.threads} thread(s); torch {torch.__version__}, transformers "
          f"{transformers.__version__}, trl {trl.__version__}; pairs/s")
    print(f"  scir_hpc SCIR step (DPO + judge, both orders)   {rate_ours['scir_step']:8.1f}")
    print(f"  scir_hpc DPO step (cached reference)            {rate_ours['dpo_step']:8.1f}")
    print(f"  trl DPOTrainer (reference forward each step)    {with_reference:8.1f}")
    print(f"  trl DPOTrainer (reference precomputed)          {precomputed:8.1f}")
    print(f"  SCIR step / trl with reference forward          "
          f"{rate_ours['scir_step'] / with_reference:8.2f}")
    print(f"  DPO step / trl with reference precomputed       "
          f"{rate_ours['dpo_step'] / precomputed:8.2f}")
    print("counted GFLOP/s (the same work: ours does more of it a pair)")
    print(f"  scir_hpc SCIR step                              {gflops_ours['scir_step']:8.1f}")
    print(f"  trl DPOTrainer (reference forward each step)    {gflops_with_reference:8.1f}")
    print(f"  SCIR step / trl with reference forward          "
          f"{gflops_ours['scir_step'] / gflops_with_reference:8.2f}")
    print(f"  DPO step / trl with reference precomputed       "
          f"{gflops_ours['dpo_step'] / gflops_precomputed:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
