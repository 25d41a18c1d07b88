#!/bin/bash
# The cluster scripts: syntax, the commands their dry runs print, and the restart loop (with a
# stand-in srun that runs its command here and a stand-in binary that fails, then succeeds).
set -uo pipefail
source_dir=${1:?usage: test_job_scripts.sh SOURCE_DIR}
cd "$source_dir"
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL $1: expected [$2], got [$3]"
    failures=$((failures + 1))
  else
    echo "ok   $1"
  fi
}

for script in jobs/slurm/*.sbatch jobs/pbs/*.pbs; do
  bash -n "$script" && echo "ok   bash -n $script" || { echo "FAIL bash -n $script"; failures=$((failures + 1)); }
done

out=$(SCIR_DRY_RUN=1 SLURM_CPUS_PER_TASK=16 bash jobs/slurm/run.sbatch jobs/configs/demo.ini runs/x --scir.method srlm)
check "run.sbatch dry run" \
  "attempt 1: srun --kill-on-bad-exit=1 build/release/apps/scir_hpc run --config jobs/configs/demo.ini --out runs/x --threads 16 --device cpu --scir.method srlm" "$out"
out=$(SCIR_DRY_RUN=1 SLURM_CPUS_PER_TASK=16 SLURM_GPUS_ON_NODE=8 bash jobs/slurm/run.sbatch jobs/configs/demo.ini runs/x)
check "run.sbatch dry run with GPUs" \
  "attempt 1: srun --kill-on-bad-exit=1 build/release/apps/scir_hpc run --config jobs/configs/demo.ini --out runs/x --threads 16 --device cuda" "$out"

expected="srun --kill-on-bad-exit=1 build/release/apps/scir_hpc $(python3 jobs/sweeps/sweep.py command jobs/sweeps/ablation.ini 8) --threads 8"
out=$(cd /tmp && SCIR_DRY_RUN=1 SLURM_ARRAY_TASK_ID=8 SLURM_CPUS_PER_TASK=8 bash "$source_dir/jobs/slurm/sweep_array.sbatch" "$source_dir/jobs/sweeps/ablation.ini")
check "sweep_array.sbatch task 8" "$expected" "$out"
case "$out" in
  *"--seed 2 --scir.method scir "*) echo "ok   task 8 is seed 2, scir" ;;
  *) echo "FAIL task 8 options: $out"; failures=$((failures + 1)) ;;
esac

out=$(SCIR_DRY_RUN=1 CONFIG=jobs/configs/demo.ini RUN_DIR=runs/y SCIR_RANKS=64 bash jobs/pbs/run.pbs)
check "run.pbs dry run" \
  "attempt 1: mpirun -np 64 -x OMP_WAIT_POLICY build/release/apps/scir_hpc run --config jobs/configs/demo.ini --out runs/y --threads 16 --device cuda" "$out"

# The restart loop: a binary that fails once (exit 1) and then succeeds is run twice; bad input
# (exit 2) is not retried.
work=$(mktemp -d)
mkdir -p "$work/bin"
printf '#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\nexec "$@"\n' > "$work/bin/srun"
printf '#!/bin/bash\necho "$OMP_WAIT_POLICY" > %s/policy\nn=$(cat %s/count 2>/dev/null || echo 0)\necho $((n + 1)) > %s/count\n[ "$n" -ge 1 ]\n' "$work" "$work" "$work" > "$work/flaky"
printf '#!/bin/bash\necho run >> %s/bad_count\nexit 2\n' "$work" > "$work/bad"
chmod +x "$work/bin/srun" "$work/flaky" "$work/bad"
env -u OMP_WAIT_POLICY PATH="$work/bin:$PATH" SCIR_HPC_BINARY="$work/flaky" bash jobs/slurm/run.sbatch c r 2>/dev/null
check "restart: exit code" 0 "$?"
check "restart: attempts" 2 "$(cat "$work/count")"
# The ranks start with OpenMP's passive wait policy, unless the user chose one.
check "wait policy: default" passive "$(cat "$work/policy")"
PATH="$work/bin:$PATH" SCIR_HPC_BINARY="$work/flaky" OMP_WAIT_POLICY=active bash jobs/slurm/run.sbatch c r 2>/dev/null
check "wait policy: the user's" active "$(cat "$work/policy")"
PATH="$work/bin:$PATH" SCIR_HPC_BINARY="$work/bad" bash jobs/slurm/run.sbatch c r 2>/dev/null
check "bad input: exit code" 2 "$?"
check "bad input: attempts" 1 "$(wc -l < "$work/bad_count")"
rm -rf "$work"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
