#!/usr/bin/env bash
# The paper's open choices on the dev seeds 1-5 (docs/RESULTS.md), part of jobs/sweeps/
# scir_choices.ini at a time, from the repository root after the build:
#   jobs/sweeps/scir_choices.sh WORLD VARIANTS
# WORLD: none (demo.ini's seed models) or oracle (M1's finish, the positive control); VARIANTS:
# a comma-separated subset of the grid's variants, e.g. srlm,scir,stopgrad_grm,reliable. Runs
# them (a stopped sweep resumes where it stopped; seed models are shared with every finished run
# of the grid), then analysis.report over every finished run of WORLD so far (these variants and
# those of earlier calls) into runs/sweeps/scir_choices_report_WORLD, each variant paired with
# the SRLM run on its seed models. The binary: build/release/apps/scir_hpc, or SCIR_HPC_BINARY (a copy, so that a
# rebuild during the sweep changes no run).
set -euo pipefail
world=${1:?usage: jobs/sweeps/scir_choices.sh none|oracle VARIANTS}
variants=${2:?usage: jobs/sweeps/scir_choices.sh none|oracle VARIANTS}
python=/usr/bin/python3
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
grid=jobs/sweeps/scir_choices.ini
$python jobs/sweeps/sweep.py run $grid --binary "$binary" --only "finish.method=$world" \
  --only "variant=$variants"
runs=()
for run in runs/sweeps/scir_choices/finish.method="$world"__seed=*__variant=*; do
  [ -e "$run/.done/run" ] && runs+=("$run")
done
$python -m analysis.report "${runs[@]}" --out "runs/sweeps/scir_choices_report_$world" \
  --pair-by seed_models
