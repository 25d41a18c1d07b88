"""The sweep runner: grid expansion, bad grid files, and a stopped sweep that restarts."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ["SCIR_SOURCE_DIR"]
BINARY = os.environ["SCIR_HPC_BINARY"]
MPIRUN = os.environ["SCIR_MPIRUN"]
sys.path.insert(0, os.path.join(SOURCE, "jobs", "sweeps"))
import sweep  # noqa: E402

TINY = os.path.join(SOURCE, "tests", "fixtures", "tiny_run.ini")


class SweepTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="scir_sweep_")
        shutil.copy(TINY, os.path.join(self.dir, "tiny.ini"))

    def grid(self, text, name="grid.ini"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_expansion_gives_one_directory_a_combination(self):
        path = self.grid("[sweep]\nconfig = tiny.ini\nout = out\n[grid]\n"
                         "scir.method = srlm, scir\nseed = 1,2,3\n[fixed]\nscir.lambda = 0.5\n")
        runs = sweep.expand(sweep.read_grid(path))
        self.assertEqual([r["dir"] for r in runs][:3],
                         ["out/scir.method=srlm__seed=1", "out/scir.method=srlm__seed=2",
                          "out/scir.method=srlm__seed=3"])
        self.assertEqual(len(runs), 6)
        self.assertEqual(runs[4]["options"],
                         [("scir.lambda", "0.5"), ("scir.method", "scir"), ("seed", "2")])
        # Runs that differ only in the iterations' options share seed models.
        self.assertEqual(sweep.seed_key(runs[0]["options"]), sweep.seed_key(runs[3]["options"]))
        self.assertNotEqual(sweep.seed_key(runs[0]["options"]),
                            sweep.seed_key(runs[1]["options"]))

    def test_a_variant_sets_its_options_together(self):
        path = self.grid("[sweep]\nconfig = tiny.ini\nout = out\n[fixed]\ndata.pool = 8\n"
                         "[grid]\nseed = 1, 2\nvariant = srlm, scir\n"
                         "[variant srlm]\nscir.method = srlm\n"
                         "[variant scir]\nscir.method = scir\nscir.pairs_per_prompt = 3\n")
        runs = sweep.expand(sweep.read_grid(path))
        self.assertEqual([r["dir"] for r in runs],
                         ["out/seed=1__variant=srlm", "out/seed=1__variant=scir",
                          "out/seed=2__variant=srlm", "out/seed=2__variant=scir"])
        self.assertEqual(runs[1]["options"], [("data.pool", "8"), ("seed", "1"),
                                              ("scir.method", "scir"),
                                              ("scir.pairs_per_prompt", "3")])
        self.assertEqual(runs[2]["options"],
                         [("data.pool", "8"), ("seed", "2"), ("scir.method", "srlm")])
        # The variants of a seed differ in the iterations' options only: one set of seed models.
        self.assertEqual(sweep.seed_key(runs[0]["options"]), sweep.seed_key(runs[1]["options"]))

    def test_only_and_out_choose_part_of_the_grid_and_its_directory(self):
        path = self.grid("[sweep]\nconfig = tiny.ini\nout = out\n[grid]\n"
                         "seed = 1, 2, 3\nscir.method = srlm, scir, oracle\n")
        grid = sweep.read_grid(path)
        runs = sweep.expand(sweep.restrict(grid, path, "scir.method=oracle,srlm", "again"))
        # The grid's order, not the option's; the other key keeps all its values.
        self.assertEqual([r["dir"] for r in runs][:3],
                         ["again/seed=1__scir.method=srlm", "again/seed=1__scir.method=oracle",
                          "again/seed=2__scir.method=srlm"])
        self.assertEqual(len(runs), 6)
        self.assertEqual(runs[1]["options"], [("seed", "1"), ("scir.method", "oracle")])
        self.assertEqual([r["dir"] for r in sweep.expand(sweep.restrict(grid, path, None, None))],
                         [r["dir"] for r in sweep.expand(grid)])
        # Two keys at once: each keeps its values.
        both = sweep.expand(sweep.restrict(grid, path, ["seed=3", "scir.method=srlm,scir"], None))
        self.assertEqual([r["dir"] for r in both],
                         ["out/seed=3__scir.method=srlm", "out/seed=3__scir.method=scir"])
        with self.assertRaisesRegex(sweep.GridError, "--only seed=2: seed is restricted twice"):
            sweep.restrict(grid, path, ["seed=1", "seed=2"], None)
        result = subprocess.run([sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"),
                                 "expand", path, "--only", "seed=2", "--only", "scir.method=scir"],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "out/seed=2__scir.method=scir\t--seed 2 --scir.method scir\n")
        for only, message in [("seed=4", "--only seed=4: 4 not among [grid] seed of"),
                              ("lr=1", "--only lr=1: expected KEY=V1,V2,... with KEY one of "
                                       "[grid] seed, scir.method in"),
                              ("seed=", "--only seed=: expected KEY=V1,V2,...")]:
            result = subprocess.run([sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"),
                                     "expand", path, "--only", only],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertTrue(result.stderr.startswith("sweep: error: " + message), result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
            self.assertEqual(result.stdout, "")

    def test_bad_grid_files_name_the_field(self):
        cases = [
            ("[grid]\nseed = 1\n", "missing section [sweep]"),
            ("[sweep]\nconfig = tiny.ini\n[grid]\nseed = 1\n", "[sweep] out: expected a path"),
            ("[sweep]\nconfig = nope.ini\nout = o\n[grid]\nseed = 1\n", "[sweep] config: no such"),
            ("[sweep]\nconfig = tiny.ini\nout = o\nranks = two\n[grid]\nseed = 1\n",
             "[sweep] ranks: expected an integer >= 1"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[grid]\nseed = ,\n",
             "[grid] seed: expected comma-separated values"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[grid]\nvariant = a\n",
             "[grid] variant: no section [variant a]"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[grid]\nvariant = a\n[variant a]\n"
             "seed = 1\n[variant b]\nseed = 2\n", "[variant b]: not among [grid] variant"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[grid]\nvariant = a\n[variant a]\n",
             "[variant a]: expected at least one option"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[fixed]\nseed = 1\n[grid]\nvariant = a\n"
             "[variant a]\nseed = 2\n", "[variant a] seed: also in [fixed]"),
            ("[sweep]\nconfig = tiny.ini\nout = o\n[grid]\nseed = 1\nvariant = a\n"
             "[variant a]\nseed = 2\n", "[variant a] seed: also in [grid]"),
        ]
        for text, message in cases:
            path = self.grid(text, "bad.ini")
            result = subprocess.run([sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"),
                                     "expand", path], capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, text)
            self.assertIn(message, result.stderr, text)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_bad_arguments_give_one_line_and_exit_two(self):
        for args, message in [([], "the following arguments are required: action, grid"),
                              (["frob", "x.ini"], "argument action: invalid choice: 'frob'")]:
            result = subprocess.run([sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"),
                                     *args], capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertTrue(result.stderr.startswith("sweep: error: " + message), result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_stopped_sweep_restarts_and_skips_finished_runs(self):
        path = self.grid("[sweep]\nconfig = tiny.ini\nout = " + os.path.join(self.dir, "out") +
                         "\n[grid]\nscir.method = scir, srlm\n")
        command = [sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"), "run", path,
                   "--binary", BINARY, "--mpirun", MPIRUN]
        first = subprocess.run(command, capture_output=True, text=True)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("seed models shared from", first.stdout)
        runs = [os.path.join(self.dir, "out", f"scir.method={m}") for m in ("scir", "srlm")]
        for run in runs:
            self.assertTrue(os.path.exists(os.path.join(run, ".done", "run")), run)
        # The shared M1 is byte for byte the first run's.
        with open(os.path.join(runs[0], "ckpt/m1/model.safetensors"), "rb") as a, \
                open(os.path.join(runs[1], "ckpt/m1/model.safetensors"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        # Stop the second run as if killed after its iteration: it alone runs again.
        os.remove(os.path.join(runs[1], ".done", "run"))
        second = subprocess.run(command, capture_output=True, text=True)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn("scir.method=scir: finished already, skipped", second.stdout)
        self.assertIn("scir.method=srlm: running", second.stdout)
        self.assertIn("[iter_1] done already", second.stdout + second.stderr)
        self.assertTrue(os.path.exists(os.path.join(runs[1], ".done", "run")))

    def test_a_shared_run_h5_keeps_the_seed_models_groups_only(self):
        import h5py
        source, target = os.path.join(self.dir, "source"), os.path.join(self.dir, "target")
        os.makedirs(os.path.join(source, ".done"))
        for phase in sweep.SEED_PHASES:
            open(os.path.join(source, ".done", phase), "w").close()
        with h5py.File(os.path.join(source, "run.h5"), "w") as h5:
            h5["sft/steps/loss"] = [2.5, 2.0]
            h5["iter_1/eval/win_rate_vs_m1"] = [0.6]
            h5["iter_2/steps/loss"] = [0.7]
        sweep.share_seed_models(source, target)
        with h5py.File(os.path.join(target, "run.h5"), "r") as h5:
            self.assertEqual(sorted(h5), ["sft"])
            self.assertEqual(list(h5["sft/steps/loss"][:]), [2.5, 2.0])
        for phase in sweep.SEED_PHASES:
            self.assertTrue(os.path.exists(os.path.join(target, ".done", phase)), phase)

    def run_shared_grid(self, sections, arguments=()):
        """Runs a grid of tiny.ini with `sections` into DIR/out; returns what it printed."""
        path = self.grid("[sweep]\nconfig = tiny.ini\nout = " + os.path.join(self.dir, "out") +
                         "\n" + sections)
        command = [sys.executable, os.path.join(SOURCE, "jobs/sweeps/sweep.py"), "run", path,
                   "--binary", BINARY, "--mpirun", MPIRUN, *arguments]
        result = subprocess.run(command, capture_output=True, text=True)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        return output

    def test_runs_share_the_judge_stage_too(self):
        # The judge stage writes ckpt/m1_base and data/eft_own.jsonl: a run that shares the seed
        # models must not train them again.
        output = self.run_shared_grid("[grid]\nscir.method = scir, srlm\njudge_sft.steps = 2\n"
                                      "data.judge_prompts = 8\n")
        self.assertIn("seed models shared from", output)
        self.assertNotIn("running the phase again", output)
        self.assertEqual(output.count("[judge_sft] step 2/2"), 1, output)
        self.assertIn("[judge_sft] done already", output)
        out = os.path.join(self.dir, "out")
        runs = sorted(os.listdir(out))
        self.assertEqual(len(runs), 2, runs)
        for run in runs:
            self.assertTrue(os.path.isdir(os.path.join(out, run, "ckpt", "m1_base")), run)


    def test_a_later_subset_shares_the_seed_models_an_earlier_subset_built(self):
        # A grid is often run a few variants at a time (--only): the second part starts from the
        # seed models the first part trained.
        grid = "[grid]\nscir.method = scir, srlm\n"
        first = self.run_shared_grid(grid, ["--only", "scir.method=scir"])
        self.assertIn("[pretrain] step", first)
        second = self.run_shared_grid(grid, ["--only", "scir.method=srlm"])
        self.assertIn("seed models shared from", second)
        self.assertIn("[pretrain] done already", second)
        self.assertNotIn("[pretrain] step", second)

    def test_runs_share_m1s_finish_too(self):
        # M1's finish writes RUN/finish and run.h5 /finish/eval: a run that shares the seed
        # models starts from the same finished M1 without training it again.
        output = self.run_shared_grid("[fixed]\nfinish.method = oracle\ndata.finish_prompts = 4\n"
                                      "finish.max_new_tokens = 4\n"
                                      "[grid]\nscir.method = scir, srlm\n")
        self.assertEqual(output.count("[finish] M1 -> "), 1, output)
        self.assertIn("[finish] done already", output)
        import h5py
        out = os.path.join(self.dir, "out")
        for run in sorted(os.listdir(out)):
            self.assertTrue(os.path.isdir(os.path.join(out, run, "finish", "ckpt")), run)
            with h5py.File(os.path.join(out, run, "run.h5"), "r") as h5:
                self.assertIn("finish/eval", h5, run)


if __name__ == "__main__":
    unittest.main()
