#!/usr/bin/env bash
# The oracle's ceiling of docs/RESULTS.md ("Headroom: the oracle's pairs"), from the repository
# root after the build:
#   jobs/sweeps/ceiling.sh
# 1. ceiling.ini: seeds 1-3 x best-against-rest pairs of 8 and 16 samples;
# 2. ceiling_all.ini: the same seeds on the same seed models (copied from step 1), 7 random
#    pairs a prompt;
# 3. ceiling_judge.ini: best-against-rest pairs of 8 samples on seed models with twice the judge
#    stage;
# 4. analysis.report over the three into runs/sweeps/ceiling_report.
set -euo pipefail
python=/usr/bin/python3
$python jobs/sweeps/sweep.py run jobs/sweeps/ceiling.ini
for seed in 1 2 3; do
  target=runs/sweeps/ceiling_all/seed=$seed
  if [ ! -d "$target" ]; then
    $python -c "import sys; sys.path.insert(0, 'jobs/sweeps'); import sweep
sweep.share_seed_models('runs/sweeps/ceiling/seed=${seed}__scir.samples=8', '$target')"
  fi
done
$python jobs/sweeps/sweep.py run jobs/sweeps/ceiling_all.ini
$python jobs/sweeps/sweep.py run jobs/sweeps/ceiling_judge.ini
$python -m analysis.report runs/sweeps/ceiling/* runs/sweeps/ceiling_all/* \
  runs/sweeps/ceiling_judge1200/* --out runs/sweeps/ceiling_report
