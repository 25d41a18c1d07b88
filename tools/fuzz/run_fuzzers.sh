#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, AddressSanitizer, UBSan) and runs each
# for SECONDS seconds of CPU on its corpus, JOBS at a time (default 2; keep it at the cores):
#   tools/fuzz/run_fuzzers.sh SECONDS [TARGET ...]
# New inputs that reach new code go to build/fuzz/corpus/<target> (seeded from
# tests/fuzz/corpus/<target>); a crash, a sanitizer report or an uncaught exception is
# written as build/fuzz/findings/<target>/crash-* and the script exits 1. Add each finding,
# once fixed, to tests/fuzz/corpus/<target>: CTest replays that corpus in every build.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
  echo "run_fuzzers.sh: error: expected SECONDS (an integer >= 1) and optional targets" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors safetensors_index config_json tokenizer_json options jsonl)
jobs=${JOBS:-2}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
# Open MPI's and LibTorch's own allocations at exit are not the parsers' leaks.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1
status=0
run_one() {
  local target=$1
  local corpus=build/fuzz/corpus/$target findings=build/fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  local start=$SECONDS
  if build/fuzz/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -max_len=65536 -artifact_prefix="$findings"/ -print_final_stats=1 "$corpus" \
      > build/fuzz/"$target".log 2>&1; then
    echo "$target: $((SECONDS - start)) s, no finding ($(grep -c . <(ls "$corpus")) corpus files;" \
         "$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' build/fuzz/"$target".log))"
  else
    echo "$target: FINDING after $((SECONDS - start)) s: $(ls "$findings" | head -3 | tr '\n' ' ')" \
         "(log: build/fuzz/$target.log)"
    return 1
  fi
}
pids=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
