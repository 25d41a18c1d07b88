#!/usr/bin/env bash
# The positive control (docs/RESULTS.md, "Where SCIR's premise holds"), from the repository root
# after the build:
#   jobs/sweeps/positive_control.sh
# 1. positive_control.ini: demo.ini's pairsum world with M1's finish (one oracle-labelled DPO
#    iteration from the SFT model, which becomes iteration 1's implicit-reward reference);
#    the dev seeds 1-5 x scir, srlm, the oracle, scir_no_cons, grm_online and SCIR with
#    scir.irm_ref = first. A stopped sweep resumes where it stopped.
# 2. analysis.report over them into runs/sweeps/positive_control_report, each variant paired
#    with the SRLM run on its seed models.
set -euo pipefail
python=/usr/bin/python3
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
grid=jobs/sweeps/positive_control.ini
$python jobs/sweeps/sweep.py run $grid --binary "$binary"
$python -m analysis.report runs/sweeps/positive_control/* --out runs/sweeps/positive_control_report \
  --pair-by seed_models
