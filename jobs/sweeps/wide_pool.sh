#!/usr/bin/env bash
# SRLM against SCIR on a 1,024-prompt pool (docs/RESULTS.md), from the repository root after
# the build:
#   jobs/sweeps/wide_pool.sh
# 1. wide_pool.ini: seeds 1-5 x srlm, scir, grm_online, scir_no_cons (7 pairs a prompt), the
#    oracle's best against every worse sample and its 7 random pairs. The oracle's runs of
#    seeds 1-3 have the options of ceiling.ini's and ceiling_all.ini's: where
#    jobs/sweeps/ceiling.sh has run, they are copied rather than run again (the same binary
#    gives the same numbers), and their seed models serve the other methods of the seed.
# 2. analysis.report over the grid into runs/sweeps/wide_pool_report.
set -euo pipefail
python=/usr/bin/python3
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
for seed in 1 2 3; do
  for pair in "ceiling/seed=${seed}__scir.samples=8:oracle_best" \
              "ceiling_all/seed=${seed}:oracle_random"; do
    source=runs/sweeps/${pair%%:*}
    target=runs/sweeps/wide_pool/seed=${seed}__variant=${pair##*:}
    if [ -e "$source/.done/run" ] && [ ! -d "$target" ]; then
      mkdir -p runs/sweeps/wide_pool && cp -a "$source" "$target"
    fi
  done
done
$python jobs/sweeps/sweep.py run jobs/sweeps/wide_pool.ini --binary "$binary"
$python -m analysis.report runs/sweeps/wide_pool/* --out runs/sweeps/wide_pool_report
