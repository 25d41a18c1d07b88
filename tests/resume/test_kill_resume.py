"""Kill-and-resume: a job killed with SIGKILL at a chosen point (during generation, during
training) and run again with the same command ends with the same final weights, byte for byte,
as a job never interrupted (same ranks, same threads). The kill comes from the process itself
(SCIR_FAULT_KILL_AT, a progress label), so the point is exact; tests/soak/kill_resume_soak.py
kills at random moments instead."""
import filecmp
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SOURCE = os.environ["SCIR_SOURCE_DIR"]
BINARY = os.environ["SCIR_HPC_BINARY"]
MPIRUN = shlex.split(os.environ["SCIR_MPIRUN"])
TINY = os.path.join(SOURCE, "tests", "fixtures", "tiny_run.ini")
# Two iterations and a few SFT steps, so that each kill point lies inside a phase.
OPTIONS = ["--config", TINY, "--threads", "1", "--data.iterations", "2", "--scir.iterations", "2",
           "--sft.steps", "4"]
WEIGHTS = ["ckpt/m1/model.safetensors", "ckpt/iter_1/final/model.safetensors",
           "ckpt/iter_2/final/model.safetensors"]


def run(out, kill_at=None, extra=()):
    env = dict(os.environ)
    env.pop("SCIR_FAULT_KILL_AT", None)
    if kill_at:
        env["SCIR_FAULT_KILL_AT"] = kill_at
    command = MPIRUN + ["-np", "2", BINARY, "run", "--out", out] + OPTIONS + list(extra)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)


def training_losses(out):
    with h5py.File(os.path.join(out, "run.h5"), "r") as f:
        return {group: np.array(f[group + "/steps/loss"]) for group in ("iter_1", "iter_2")}


class KillAndResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scir_resume_")
        cls.reference = os.path.join(cls.dir, "uninterrupted")
        result = run(cls.reference)
        assert result.returncode == 0, result.stdout + result.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_kill_point(self, label, name, extra=(), reference=None):
        reference = reference or self.reference
        out = os.path.join(self.dir, name)
        killed = run(out, kill_at=label, extra=extra)
        self.assertNotEqual(killed.returncode, 0, "the job was not killed at " + label)
        self.assertFalse(os.path.exists(os.path.join(out, ".done", "run")))
        resumed = run(out, extra=extra)
        self.assertEqual(resumed.returncode, 0, resumed.stdout + resumed.stderr)
        for weights in WEIGHTS:
            self.assertTrue(
                filecmp.cmp(os.path.join(reference, weights), os.path.join(out, weights),
                            shallow=False), weights + " differs after a kill at " + label)
        expected, again = training_losses(reference), training_losses(out)
        for group in expected:
            np.testing.assert_array_equal(expected[group], again[group])
        return resumed.stdout + resumed.stderr

    def test_killed_during_sft_resumes_from_its_restart_state(self):
        # States every step: killed in step 3, the rerun goes on from the state of step 2 and
        # ends as the run that never stopped (and as one without states).
        log = self.check_kill_point("[sft] step 3", "sft_state", extra=["--sft.state_every", "1"])
        self.assertIn("resuming from the state of step 2", log)
        with h5py.File(os.path.join(self.reference, "run.h5"), "r") as f:
            reference_losses = np.array(f["sft/steps/loss"])
        with h5py.File(os.path.join(self.dir, "sft_state", "run.h5"), "r") as f:
            np.testing.assert_array_equal(np.array(f["sft/steps/loss"]), reference_losses)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "sft_state", "ckpt", "sft_state")))

    def test_killed_during_an_iteration_resumes_from_its_restart_state(self):
        # States every 5 steps of an iteration's 18: killed in step 7, the rerun reads the
        # iteration's pairs back from run.h5, restores the state of step 5 (weights, optimiser, steps and
        # the pairs' bookkeeping) and ends as the uninterrupted run.
        out = os.path.join(self.dir, "iteration_state")
        log = self.check_kill_point("[iter_2] step 7", "iteration_state",
                                    extra=["--scir.state_every", "5"])
        self.assertIn("resuming from the state of step 5", log)
        with h5py.File(os.path.join(self.reference, "run.h5"), "r") as f, \
                h5py.File(os.path.join(out, "run.h5"), "r") as g:
            for column in ("label_last", "step_consumed", "kept_last", "p_grm0"):
                np.testing.assert_array_equal(np.array(f["iter_2/pairs/" + column]),
                                              np.array(g["iter_2/pairs/" + column]), column)
        self.assertFalse(os.path.exists(os.path.join(out, "ckpt", "iter_2_state")))

    def test_zero1_state_resumes_bitwise(self):
        reference = os.path.join(self.dir, "zero1_uninterrupted")
        extra = ["--sft.state_every", "1", "--sft.zero1"]
        result = run(reference, extra=extra)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        log = self.check_kill_point("[sft] step 4", "zero1_state", extra=extra,
                                    reference=reference)
        self.assertIn("resuming from the state of step 3", log)

    def test_lora_states_resume_bitwise(self):
        # LoRA with ZeRO-1: the restart state holds the adapters (the model's weights are frozen)
        # and their optimiser shards; killed in an iteration, the rerun ends with the same merged
        # model and the same adapter as the run that never stopped.
        reference = os.path.join(self.dir, "lora_uninterrupted")
        extra = ["--scir.lora_rank", "2", "--scir.zero1", "--scir.state_every", "5"]
        result = run(reference, extra=extra)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        log = self.check_kill_point("[iter_2] step 7", "lora_state", extra=extra,
                                    reference=reference)
        self.assertIn("resuming from the state of step 5", log)
        adapter = "ckpt/iter_2/adapter/adapter_model.safetensors"
        self.assertTrue(filecmp.cmp(os.path.join(reference, adapter),
                                    os.path.join(self.dir, "lora_state", adapter), shallow=False))

    def test_tensor_parallel_states_resume_bitwise(self):
        # --tp 2: one model copy cut over both ranks, each rank writing its slice's weights and
        # optimiser state; killed in SFT and in an iteration, each rerun goes on from the
        # newest state and ends as the run with the same options that never stopped.
        reference = os.path.join(self.dir, "tp_uninterrupted")
        extra = ["--tp", "2", "--model.vocab_size", "260", "--sft.state_every", "1",
                 "--scir.state_every", "5"]
        result = run(reference, extra=extra)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        log = self.check_kill_point("[sft] step 3", "tp_sft_state", extra=extra,
                                    reference=reference)
        self.assertIn("resuming from the state of step 2", log)
        log = self.check_kill_point("[iter_2] step 7", "tp_iteration_state", extra=extra,
                                    reference=reference)
        self.assertIn("resuming from the state of step 5", log)

    def test_soak_script_refuses_bad_arguments_in_one_line(self):
        soak = os.path.join(SOURCE, "tests", "soak", "kill_resume_soak.py")
        result = subprocess.run([sys.executable, soak, "--trials", "many"], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertTrue(result.stderr.startswith("kill_resume_soak.py: error: argument --trials"),
                        result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_corrupt_checkpoint_is_redone_with_a_warning(self):
        # A finished run whose M1 weights were cut short afterwards: the rerun warns, redoes
        # the phase that wrote them (to the same bytes) and keeps the later phases.
        out = os.path.join(self.dir, "corrupt")
        shutil.copytree(self.reference, out)
        m1 = os.path.join(out, "ckpt/m1/model.safetensors")
        os.truncate(m1, os.path.getsize(m1) - 100)
        os.remove(os.path.join(out, ".done", "run"))
        iteration = os.path.join(out, "ckpt/iter_2/final/model.safetensors")
        before = os.path.getmtime(iteration)
        resumed = run(out)
        self.assertEqual(resumed.returncode, 0, resumed.stdout + resumed.stderr)
        log = resumed.stdout + resumed.stderr
        self.assertIn("[sft] checkpoint incomplete or corrupt, running the phase again: ", log)
        self.assertIn("model.safetensors: tensor '", log)
        for weights in WEIGHTS:
            self.assertTrue(
                filecmp.cmp(os.path.join(self.reference, weights), os.path.join(out, weights),
                            shallow=False), weights)
        self.assertEqual(os.path.getmtime(iteration), before, "iter_2 ran again")

    def test_resume_no_refuses_a_directory_that_holds_a_run(self):
        refused = run(self.reference, extra=["--resume", "no"])
        self.assertEqual(refused.returncode, 2)
        self.assertEqual(refused.stderr.strip().count("\n"), 0, refused.stderr)
        self.assertIn(self.reference + ": holds a run already", refused.stderr)
        bad = run(os.path.join(self.dir, "never_used"), extra=["--resume", "sometimes"])
        self.assertEqual(bad.returncode, 2)
        self.assertIn("option '--resume': expected auto or no, got 'sometimes'", bad.stderr)

    def test_killed_during_generation(self):
        self.check_kill_point("[iter_1] generation", "killed_in_generation")

    def test_killed_during_training(self):
        # The rerun skips the iteration's finished phases, reads their pairs back from run.h5
        # and trains on them to the same bytes.
        log = self.check_kill_point("[iter_2] step 1", "killed_in_training")
        self.assertIn("[iter_2] pairs read from the store, done already: generate, reference, "
                      "label", log)

    def test_killed_between_phases_of_an_iteration(self):
        # Killed as the label phase starts: generate and reference are done and not rerun.
        log = self.check_kill_point("[iter_2] label", "killed_before_label")
        self.assertIn("[iter_2] pairs read from the store, done already: generate, reference\n",
                      log)

    def test_killed_during_sft(self):
        self.check_kill_point("[sft] step 3", "killed_in_sft")


if __name__ == "__main__":
    unittest.main()
