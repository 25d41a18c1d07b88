#!/usr/bin/env python3
"""Kill-and-resume at random moments (not in CI): the tiny two-iteration run of
tests/resume/test_kill_resume.py, killed with SIGKILL (the whole process group: mpirun and its
ranks) after a random delay, then run again with the same command until it finishes; the final
weights must equal those of an uninterrupted run, byte for byte. A unittest: each trial asserts
that the resumed run exits 0 with the same weights; prints one line a trial and a summary; exit 1
if any trial ended differently.

  tests/soak/kill_resume_soak.py --trials 20 [--binary build/release/apps/scir_hpc] [--seed 1]
                                 [--sft-steps 4] [--state-every 0] [--tp 1]
"""
import filecmp
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(SOURCE, "tests", "fixtures", "tiny_run.ini")
OPTIONS = ["--config", TINY, "--threads", "1", "--data.iterations", "2", "--scir.iterations", "2"]
WEIGHTS = ["ckpt/m1/model.safetensors", "ckpt/iter_1/final/model.safetensors",
           "ckpt/iter_2/final/model.safetensors"]


def command(args, out):
    # Tensor parallelism over both ranks needs a vocabulary that 2 divides (the bytes' is 259).
    tensor_parallel = ["--tp", str(args.tp), "--model.vocab_size", "260"] if args.tp > 1 else []
    return (shlex.split(args.mpirun) + ["-np", "2", args.binary, "run", "--out", out] + OPTIONS +
            ["--sft.steps", str(args.sft_steps), "--sft.state_every", str(args.state_every),
             "--scir.state_every", str(args.state_every)] + tensor_parallel)


def parse_arguments():
    parser = OneLineArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--binary", default=os.path.join(SOURCE, "build/release/apps/scir_hpc"))
    parser.add_argument("--mpirun", default="mpirun --allow-run-as-root --oversubscribe -q")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sft-steps", type=int, default=4, help="longer runs: more SFT steps")
    parser.add_argument("--state-every", type=int, default=0,
                        help="restart states every N steps in SFT and the iterations (0: none)")
    parser.add_argument("--tp", type=int, default=1, choices=(1, 2),
                        help="2: one model copy cut over both ranks")
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials: expected an integer >= 1")
    return args


class KillResumeSoak(unittest.TestCase):
    args = None  # set from the command line before the test runs

    def setUp(self):
        self.env = dict(os.environ, OMP_NUM_THREADS="1")
        self.env.pop("SCIR_FAULT_KILL_AT", None)
        self.work = tempfile.mkdtemp(prefix="scir_soak_")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def test_killed_and_resumed_runs_end_with_the_uninterrupted_weights(self):
        args = self.args
        reference = os.path.join(self.work, "reference")
        subprocess.run(command(args, reference), env=self.env, check=True, capture_output=True)
        # The span of the kills: a second uninterrupted run, timed with warm caches.
        start = time.monotonic()
        subprocess.run(command(args, os.path.join(self.work, "timing")), env=self.env,
                       check=True, capture_output=True)
        duration = time.monotonic() - start
        print(f"uninterrupted run: {duration:.1f} s; killing at uniform moments in "
              f"[0, {duration:.1f}) s")
        rng = random.Random(args.seed)
        identical = 0
        for trial in range(1, args.trials + 1):
            out = os.path.join(self.work, f"trial_{trial}")
            delay = rng.uniform(0, duration)
            job = subprocess.Popen(command(args, out), env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(delay)
            killed = job.poll() is None
            if killed:
                os.killpg(job.pid, signal.SIGKILL)
            job.wait()
            resumed = subprocess.run(command(args, out), env=self.env, capture_output=True,
                                     text=True)
            differing = [w for w in WEIGHTS if resumed.returncode != 0 or not filecmp.cmp(
                os.path.join(reference, w), os.path.join(out, w), shallow=False)]
            note = "" if resumed.returncode == 0 else (
                f" resume exited {resumed.returncode}: " +
                (resumed.stdout + resumed.stderr).strip()[-400:])
            if not killed and job.returncode != 0:
                note += f" (the first attempt exited {job.returncode} by itself)"
            print(f"trial {trial}: killed after {delay:.2f} s{'' if killed else ' (had finished)'}"
                  f": {'DIFFERENT' if differing else 'identical'}{note}", flush=True)
            with self.subTest(trial=trial, delay=round(delay, 2)):
                self.assertEqual(resumed.returncode, 0, note)
                self.assertEqual(differing, [], "weights differ from the uninterrupted run")
            identical += not differing
            shutil.rmtree(out, ignore_errors=True)
        print(f"{identical} of {args.trials} trials identical to the uninterrupted run")


if __name__ == "__main__":
    KillResumeSoak.args = parse_arguments()
    unittest.main(argv=sys.argv[:1], verbosity=0)
