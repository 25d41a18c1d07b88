#!/usr/bin/env bash
# A probe of M1's finish on the dev seeds whose implicit reward was least informative in the
# positive control (docs/RESULTS.md: acc_irm0_pairs 0.602 on seed 2, 0.609 on seed 5): the same
# seed models (copied from the positive control's scir run of the seed), a stronger finish
# recipe, one SCIR iteration, and the iteration's acc_irm0_pairs. Dev seeds only.
#   jobs/sweeps/finish_probe.sh SEED NAME OPTION VALUE [OPTION VALUE ...]
# e.g. jobs/sweeps/finish_probe.sh 2 epochs4 finish.epochs 4
set -euo pipefail
seed=$1 name=$2
shift 2
source_run="runs/sweeps/positive_control/seed=${seed}__variant=scir"
run="runs/sweeps/finish_probe/seed=${seed}__${name}"
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
if [ ! -e "$run/.done/run" ]; then
  mkdir -p "$run/.done" "$run/ckpt"
  for folder in data ckpt/init ckpt/m0 ckpt/m1_base ckpt/m1; do
    [ -d "$run/$folder" ] || [ ! -d "$source_run/$folder" ] || cp -r "$source_run/$folder" "$run/$folder"
  done
  for phase in data init pretrain sft eft_own judge_sft sft_eval; do
    [ ! -e "$source_run/.done/$phase" ] || cp "$source_run/.done/$phase" "$run/.done/"
  done
  [ -e "$run/run.h5" ] || /usr/bin/python3 - "$source_run/run.h5" "$run/run.h5" <<'PY'
import shutil, sys, h5py
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as h5:
    for name in [n for n in h5 if n.startswith("iter_") or n == "finish"]:
        del h5[name]
PY
  options=()
  while [ $# -gt 1 ]; do options+=("--$1" "$2"); shift 2; done
  ${MPIRUN:-mpirun --allow-run-as-root -q} -np 2 "$binary" run --config jobs/configs/demo.ini --out "$run" \
    --seed "$seed" --data.eval_prompts 500 --data.pool 1024 --data.finish_prompts 1024 \
    --finish.method oracle --scir.method scir --scir.pairs_per_prompt 7 --scir.iterations 1 \
    --threads 1 "${options[@]}" > "$run.log" 2>&1
fi
/usr/bin/python3 - "$run/run.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as h5:
    finish, it = h5["finish/eval"].attrs, h5["iter_1/eval"].attrs
    print(f"{sys.argv[1]}: finished M1 quality {finish['mean_quality']:.3f}, "
          f"acc_irm0_pairs {it['acc_irm0_pairs']:.3f}, acc_grm0_pairs {it['acc_grm0_pairs']:.3f}, "
          f"M2 win vs M1 {it['win_rate_vs_m1']:.3f}")
PY
