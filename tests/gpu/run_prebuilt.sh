#!/usr/bin/env bash
# The GPU checks of a whole scir_hpc (tests/gpu and bench/gpu.sh plus the commands a user runs)
# on a machine with an NVIDIA GPU and PyTorch but no MPI, HDF5 or Boost, from binaries built
# elsewhere against the same PyTorch wheel's LibTorch and a bundle of env/bundle_runtime.sh.
#   1. scir_gpu_checks: CUDA against the CPU, NCCL, and one SCIR step of a Mistral-7B shape
#      with activation checkpointing and its peak memory; beside it, the demo `run` on one GPU.
#   2. One bfloat16 SCIR iteration of a ~1B-parameter Llama shape through `scir_hpc run`.
#   3. The phase benchmark at that shape (SCIR step MFU, generation tokens/s), alone on the GPU.
#   5. Generation against the memory-bandwidth bound (issue 39): scir_gpu_bench's generation
#      phase at the 1B shape (batch 64 and 256; the host checking for finished rows every 1, 8
#      and 32 steps) and the Mistral-7B shape (batch 64), and transformers' generate with its
#      static cache on the same card and shapes (bench/peers/hf_generate_gpu.py; transformers
#      from PEER_WHEELS, a directory of wheels, when the card's python lacks it).
# Usage: tests/gpu/run_prebuilt.sh BIN_DIR BUNDLE_DIR OUT_DIR [SOURCE_DIR_OF_THE_BUILD]
# Environment: NOMINAL_BANDWIDTH_GBS (default 3350, an H100 SXM's; an H200's is 4800),
# PEER_WHEELS, SCIR_GPU_STEPS (default "1 2 3 4 5": the steps to run).
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "$1" && pwd)
out=$3
mkdir -p "$out"
# The binaries carry the absolute path of the checkout they were built from (the judge templates
# and the demo config): that path must lead to this checkout.
source_dir=${4:-/work/main}
if [ ! -e "$source_dir/jobs" ]; then
  mkdir -p "$(dirname "$source_dir")" && ln -sfn "$PWD" "$source_dir"
fi
runs=$(mktemp -d)
log() { echo "[$(date +%T)] $*" | tee -a "$out/session.txt"; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader |
  tee -a "$out/session.txt"
git log -1 --format='commit %h %s' 2>/dev/null | tee -a "$out/session.txt"
# From here on the bundle's libraries come first (only our binaries should see them).
. env/bundle_env.sh "$2"

steps=${SCIR_GPU_STEPS:-1 2 3 4 5}
wanted() { [[ " $steps " == *" $1 "* ]]; }
bandwidth=${NOMINAL_BANDWIDTH_GBS:-3350}

if wanted 1; then
log "1. GPU checks, and the demo run on the GPU beside them"
(time timeout 270 "$bin/scir_gpu_checks") > "$out/gpu_checks.txt" 2>&1 &
checks=$!
(time timeout 270 "$bin/scir_hpc" run --device cuda --out "$runs/demo") > "$out/demo.txt" 2>&1
log "demo run: exit $?"
wait $checks
log "GPU checks: exit $?"
cp "$runs/demo/main.log" "$out/demo_main.log" 2>/dev/null
env -u LD_LIBRARY_PATH python3 -m analysis.report "$runs/demo" --out "$runs/demo_report" >> "$out/demo.txt" 2>&1 &&
  cp "$runs/demo_report/report.md" "$out/demo_report.md"

fi

if wanted 2; then
log "2. a bfloat16 SCIR iteration of a ~1B Llama shape"
shape="--model.hidden_size 2048 --model.intermediate_size 8192 --model.num_hidden_layers 16
  --model.num_attention_heads 32 --model.num_key_value_heads 8 --model.head_dim 64
  --model.rope_theta 500000"
small="--data.corpus 256 --data.ift 128 --data.eft_pairs 128 --data.pool 32 --data.iterations 1
  --data.eval_prompts 32 --data.heldout_pairs 32 --data.judge_prompts 32 --pretrain.steps 8
  --pretrain.warmup_steps 2 --sft.steps 8 --sft.warmup_steps 2 --judge_sft.steps 0
  --scir.iterations 1 --scir.activation_checkpointing true"
(time timeout 170 "$bin/scir_hpc" run --device cuda --dtype bfloat16 $shape $small \
  --out "$runs/llama1b") > "$out/llama1b.txt" 2>&1
log "1B run: exit $?"
cp "$runs/llama1b/main.log" "$out/llama1b_main.log" 2>/dev/null

fi

if wanted 3; then
log "3. the phase benchmark at the 1B shape"
(time timeout 120 "$bin/scir_gpu_bench" --device cuda --dtype bfloat16 --shape 1b --batch 64 \
  --new-tokens 64 --repeats 2 --nominal-tflops 989 --out "$out/bench_1b.json") \
  > "$out/bench_1b.txt" 2>&1
log "bench: exit $?"

fi

if wanted 4; then
log "4. the phase benchmark at the 125M shape (docs/GPU.md's earlier columns)"
(time timeout 90 "$bin/scir_gpu_bench" --device cuda --dtype bfloat16 --shape 125m \
  --nominal-tflops 989 --out "$out/bench_125m.json") > "$out/bench_125m.txt" 2>&1
log "bench 125m: exit $?"
fi

if wanted 5; then
log "5. generation against the bandwidth bound ($bandwidth GB/s nominal), ours and transformers'"
generation() {  # NAME SECONDS ARGS...: scir_gpu_bench's generation phase alone
  local name=$1 seconds=$2
  shift 2
  (time timeout "$seconds" "$bin/scir_gpu_bench" --device cuda --dtype bfloat16 --phases generation \
    --prompt-tokens 128 --new-tokens 128 --repeats 2 --nominal-bandwidth-gbs "$bandwidth" \
    --out "$out/generation_$name.json" "$@") > "$out/generation_$name.txt" 2>&1
  log "generation $name: exit $?"
}
for every in 1 8 32; do
  generation "1b_64_every$every" 60 --shape 1b --batch 64 --finished-check-every "$every"
done
generation 1b_256 90 --shape 1b --batch 256
# Refill (item 3): 4 x 64 requests of differing lengths, batch by batch and in 64 refilled slots.
generation 1b_64_refill 120 --shape 1b --batch 64 --refill-rounds 4 \
  --phases generation_batched,generation_refilled
# The 7B weights are drawn on the host before they move to the card: minutes, not timed.
generation 7b_64 240 --shape 7b --batch 64
peer_python=(env -u LD_LIBRARY_PATH python3)
if ! "${peer_python[@]}" -c "import transformers" 2>/dev/null && [ -n "${PEER_WHEELS:-}" ]; then
  peers=$(mktemp -d)
  env -u LD_LIBRARY_PATH python3 -m pip install --quiet --no-index --find-links "$PEER_WHEELS" \
    --target "$peers" transformers >> "$out/session.txt" 2>&1
  peer_python=(env -u LD_LIBRARY_PATH PYTHONPATH="$peers" python3)
fi
if "${peer_python[@]}" -c "import transformers" 2>/dev/null; then
  for shape_batch in "1b 64" "1b 256" "7b 64"; do
    set -- $shape_batch
    (time timeout 150 "${peer_python[@]}" bench/peers/hf_generate_gpu.py --shape "$1" \
      --batch "$2" --prompt-tokens 128 --new-tokens 128 --repeats 2 \
      --out "$out/hf_generate_$1_$2.json") > "$out/hf_generate_$1_$2.txt" 2>&1
    log "transformers generate $1 batch $2: exit $?"
  done
else
  log "transformers generate: skipped (no transformers, and no PEER_WHEELS to install it from)"
fi
fi
