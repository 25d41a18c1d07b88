"""analysis.report on run.h5 files of tiny runs made here: its numbers are those in the files."""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SOURCE = os.environ["SCIR_SOURCE_DIR"]
BINARY = os.environ["SCIR_HPC_BINARY"]
MPIRUN = os.environ["SCIR_MPIRUN"].split()
TINY = ("--data.corpus 60 --data.ift 20 --data.eft_pairs 20 --data.pool 6 --data.iterations 2 "
        "--data.eval_prompts 6 --data.heldout_pairs 8 --model.hidden_size 16 "
        "--model.num_attention_heads 4 --model.num_key_value_heads 2 "
        "--model.intermediate_size 32 --model.num_hidden_layers 1 --pretrain.steps 2 "
        "--pretrain.batch_size 4 --pretrain.warmup_steps 1 --sft.steps 2 --sft.batch_size 4 "
        "--sft.warmup_steps 1 --eval.max_new_tokens 4 --scir.iterations 2 --scir.batch_pairs 4 "
        "--scir.max_new_tokens 4").split()


def report(*args):
    return subprocess.run([sys.executable, "-m", "analysis.report", *args], cwd=SOURCE,
                          capture_output=True, text=True)


def paired_rows(out):
    """A report's paired.csv, its rows by (group, model, metric)."""
    with open(os.path.join(out, "paired.csv")) as f:
        return {(r["group"], r["model"], r["metric"]): r for r in csv.DictReader(f)}


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scir_report_")
        cls.runs = []
        for seed in (1, 2):
            run = os.path.join(cls.dir, f"seed{seed}")
            result = subprocess.run(MPIRUN + ["-np", "2", BINARY, "run", "--out", run, "--seed",
                                              str(seed)] + TINY, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
            cls.runs.append(run)
        cls.out = os.path.join(cls.dir, "report")
        cls.result = report(*cls.runs, "--out", cls.out)

    def test_table_numbers_are_those_of_the_files(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        with open(os.path.join(self.out, "table.csv")) as f:
            rows = list(csv.DictReader(f))
        cell = {(r["model"], r["metric"]): r for r in rows}
        for t, model in [(1, "M2"), (2, "M3")]:
            for metric in ["win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm",
                           "train_kept_share", "acc_grm0_pairs", "acc_irm0_pairs",
                           "acc_agree0_pairs", "acc_labels_last_pairs"]:
                values = []
                for run in self.runs:
                    with h5py.File(os.path.join(run, "run.h5"), "r") as f:
                        values.append(float(f[f"iter_{t}/eval"].attrs[metric]))
                row = cell[(model, metric)]
                self.assertEqual(int(row["seeds"]), 2)
                self.assertAlmostEqual(float(row["mean"]), np.mean(values), places=12)
                self.assertAlmostEqual(float(row["std"]), np.std(values, ddof=1), places=12)
        with h5py.File(os.path.join(self.runs[0], "run.h5"), "r") as f:
            m1_quality = [float(f["sft/eval"].attrs["mean_quality"])]
        with h5py.File(os.path.join(self.runs[1], "run.h5"), "r") as f:
            m1_quality.append(float(f["sft/eval"].attrs["mean_quality"]))
        self.assertAlmostEqual(float(cell[("M1", "mean_quality")]["mean"]), np.mean(m1_quality),
                               places=12)
        self.assertIn("acc_agree0_pairs", self.result.stdout)
        self.assertIn("M3", self.result.stdout)
        self.assertIn("report: " + os.path.join(self.out, "report.md"), self.result.stdout)

    def test_label_margins_are_the_oracle_gaps_of_the_labels_trained_on(self):
        with open(os.path.join(self.out, "table.csv")) as f:
            cell = {(r["model"], r["metric"]): r for r in csv.DictReader(f)}
        for t, model in [(1, "M2"), (2, "M3")]:
            by_labels, by_oracle = [], []
            for run in self.runs:
                with h5py.File(os.path.join(run, "run.h5"), "r") as f:
                    pairs = f[f"iter_{t}/pairs"]
                    label, q1, q2 = (pairs[k][:] for k in ("label_last", "oracle_q1",
                                                            "oracle_q2"))
                # Spelled out pair by pair: the chosen side's quality minus the rejected one's.
                chosen_gaps, best_gaps = [], []
                for i in range(len(label)):
                    if label[i] < 0:
                        continue
                    chosen_gaps.append(label[i] * (q1[i] - q2[i])
                                       + (1 - label[i]) * (q2[i] - q1[i]))
                    best_gaps.append(max(q1[i], q2[i]) - min(q1[i], q2[i]))
                self.assertTrue(chosen_gaps, run)
                by_labels.append(np.mean(chosen_gaps))
                by_oracle.append(np.mean(best_gaps))
            self.assertAlmostEqual(float(cell[(model, "margin_labels_last_pairs")]["mean"]),
                                   np.mean(by_labels), places=12)
            self.assertAlmostEqual(float(cell[(model, "margin_oracle_pairs")]["mean"]),
                                   np.mean(by_oracle), places=12)
            # No labels can prefer the better side by more than the oracle's own.
            self.assertLessEqual(max(by_labels), max(by_oracle) + 1e-12)
        self.assertIn("margin_labels_last_pairs", self.result.stdout)

    def test_likelihood_preferences_are_those_of_the_policy_and_its_reference(self):
        with open(os.path.join(self.out, "table.csv")) as f:
            cell = {(r["model"], r["metric"]): r for r in csv.DictReader(f)}
        for t, model in [(1, "M2"), (2, "M3")]:
            by_policy, by_reference = [], []
            for run in self.runs:
                with h5py.File(os.path.join(run, "run.h5"), "r") as f:
                    pairs = f[f"iter_{t}/pairs"]
                    q1, q2, ref1, ref2, p_irm = (pairs[k][:] for k in (
                        "oracle_q1", "oracle_q2", "logp_ref1", "logp_ref2", "p_irm0"))
                    beta = float(f["config"].attrs["scir.beta"])
                policy_right, reference_right = [], []
                for i in range(len(q1)):
                    if q1[i] == q2[i]:
                        continue
                    # r1 - r2 = beta (policy gap - reference gap), and P_I = sigmoid(r1 - r2)
                    policy_gap = ref1[i] - ref2[i] + np.log(p_irm[i] / (1 - p_irm[i])) / beta
                    for gap, right in ((policy_gap, policy_right),
                                       (ref1[i] - ref2[i], reference_right)):
                        right.append(0.5 if gap == 0 else float((gap > 0) == (q1[i] > q2[i])))
                by_policy.append(np.mean(policy_right))
                by_reference.append(np.mean(reference_right))
            self.assertAlmostEqual(float(cell[(model, "acc_policy0_pairs")]["mean"]),
                                   np.mean(by_policy), places=12)
            self.assertAlmostEqual(float(cell[(model, "acc_ref0_pairs")]["mean"]),
                                   np.mean(by_reference), places=12)
        # The policy's gap read back through the IRM is the gap scir_hpc score gives M1, the
        # policy of iteration 1, on the same prompt and response ids.
        run = self.runs[0]
        model = os.path.join(run, "ckpt", "m1")
        with h5py.File(os.path.join(run, "run.h5"), "r") as f:
            pairs = f["iter_1/pairs"]
            prompt_ids = pairs["prompt_id"][:4].astype(int)
            responses = [(list(map(int, pairs["resp1_tokens"][i])),
                          list(map(int, pairs["resp2_tokens"][i]))) for i in range(4)]
            gaps = (pairs["logp_ref1"][:4] - pairs["logp_ref2"][:4]
                    + np.log(pairs["p_irm0"][:4] / (1 - pairs["p_irm0"][:4]))
                    / float(f["config"].attrs["scir.beta"]))
        with open(os.path.join(run, "data", "pool_1.jsonl")) as f:
            prompts = [json.loads(line)["prompt"] for line in f]
        texts = os.path.join(self.dir, "prompts.jsonl")
        with open(texts, "w") as f:
            for prompt_id in prompt_ids:
                f.write(json.dumps({"text": prompts[prompt_id]}) + "\n")
        tokenized = subprocess.run([BINARY, "tokenize", "--tokenizer", model, "--input", texts,
                                    "--chat-template", "plain"], capture_output=True, text=True)
        self.assertEqual(tokenized.returncode, 0, tokenized.stdout + tokenized.stderr)
        prompt_tokens = [json.loads(line)["ids"] for line in tokenized.stdout.splitlines()
                         if line.startswith("{")]
        self.assertEqual(len(prompt_tokens), 4, tokenized.stdout)
        scored = os.path.join(self.dir, "score_in.jsonl")
        with open(scored, "w") as f:
            for ids, pair in zip(prompt_tokens, responses):
                for response in pair:
                    f.write(json.dumps({"prompt_ids": ids, "response_ids": response}) + "\n")
        result = subprocess.run([BINARY, "score", "--model", model, "--input", scored, "--output",
                                 scored + ".out"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        with open(scored + ".out") as f:
            logps = [json.loads(line)["logp"] for line in f]
        for i in range(4):
            self.assertAlmostEqual(logps[2 * i] - logps[2 * i + 1], gaps[i], places=4)

    def test_plots_are_png_files_and_the_report_embeds_them(self):
        with open(os.path.join(self.out, "report.md")) as f:
            markdown = f.read()
        for name in ["steps.png", "iterations.png", "calibration.png"]:
            with open(os.path.join(self.out, name), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)
            self.assertIn(f"]({name})", markdown)

    def test_incomplete_or_missing_runs_are_named(self):
        broken = os.path.join(self.dir, "broken")
        os.makedirs(broken, exist_ok=True)
        shutil.copy(os.path.join(self.runs[0], "run.h5"), os.path.join(broken, "run.h5"))
        with h5py.File(os.path.join(broken, "run.h5"), "a") as f:
            del f["iter_2/steps"]
        cases = [(broken, "/iter_2/steps (the iteration did not finish)"),
                 (os.path.join(self.dir, "nowhere"), "no such file")]
        for path, message in cases:
            result = report(path, "--out", os.path.join(self.dir, "unused"))
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(message, result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def scir_and_srlm_copies(self, name, scir_options=None):
        """Each run again as SCIR (with scir_options) and as SRLM with its M2 win rate 0.1 and
        0.2 lower."""
        paths = []
        for i, run in enumerate(self.runs):
            for method, shift in (("scir", 0.0), ("srlm", -0.1 * (i + 1))):
                target = os.path.join(self.dir, f"{name}_{method}{i}")
                os.makedirs(target, exist_ok=True)
                shutil.copy(os.path.join(run, "run.h5"), os.path.join(target, "run.h5"))
                with h5py.File(os.path.join(target, "run.h5"), "a") as f:
                    f["config"].attrs["scir.method"] = method.encode()
                    for key, value in (scir_options or {}).items() if method == "scir" else ():
                        f["config"].attrs[key] = value.encode()
                    f["iter_1/eval"].attrs["win_rate_vs_m1"] += shift
                paths.append(target)
        return paths

    def test_a_variant_pairs_with_srlm_on_its_seed_models(self):
        """SCIR with irm_ref current: no SRLM run shares its settings, one shares its seed
        models; two SRLM runs on one seed's models stop the report before it writes."""
        paths = self.scir_and_srlm_copies("variant", {"scir.irm_ref": "current"})
        out = os.path.join(self.dir, "variant_report")
        result = report(*paths, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "paired.csv")))
        result = report(*paths, "--out", out, "--pair-by", "seed_models")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = paired_rows(out)
        m2 = rows[("scir.irm_ref=current, scir.method=scir", "M2", "win_rate_vs_m1")]
        self.assertAlmostEqual(float(m2["mean"]), 0.15, places=12)
        self.assertEqual(int(m2["pairs"]), 2)
        again = os.path.join(self.dir, "variant_srlm0_again")
        shutil.copytree(paths[1], again)
        unused = os.path.join(self.dir, "variant_unused")
        result = report(*paths, again, "--out", unused, "--pair-by", "seed_models")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertTrue(result.stderr.startswith(
            f"analysis.report: error: {paths[1]}/run.h5 and {again}/run.h5: two srlm runs of "
            "seed 1 with the same seed models; expected one to pair with"), result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertFalse(os.path.exists(unused))

    def test_paired_differences_against_srlm(self):
        """The two runs again as SRLM with lower M2 win rates (by 0.1 and 0.2): the report pairs
        each with its seed's SRLM run."""
        paths = self.scir_and_srlm_copies("paired")
        out = os.path.join(self.dir, "paired_report")
        result = report(*paths, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = paired_rows(out)
        m2 = rows[("scir.method=scir", "M2", "win_rate_vs_m1")]
        self.assertAlmostEqual(float(m2["mean"]), 0.15, places=12)
        self.assertEqual(int(m2["pairs"]), 2)
        half = 12.706204736174707 * np.std([0.1, 0.2], ddof=1) / np.sqrt(2)  # t(0.975, 1)
        self.assertAlmostEqual(float(m2["high"]) - float(m2["mean"]), half, places=9)
        self.assertAlmostEqual(float(rows[("scir.method=scir", "M3", "win_rate_vs_m1")]["mean"]),
                               0.0, places=12)
        self.assertIn("paired differences against srlm", result.stdout)
        with open(os.path.join(out, "paired.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_any_runs_can_be_the_baseline(self):
        """--baseline scir.method=scir: SRLM is paired with SCIR instead (the differences turn
        sign); a baseline that is not KEY=VALUE is refused in one line before anything is
        written."""
        paths = self.scir_and_srlm_copies("reversed")
        out = os.path.join(self.dir, "reversed_report")
        result = report(*paths, "--out", out, "--baseline", "scir.method=scir")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = paired_rows(out)
        m2 = rows[("scir.method=srlm", "M2", "win_rate_vs_m1")]
        self.assertAlmostEqual(float(m2["mean"]), -0.15, places=12)
        self.assertEqual(int(m2["pairs"]), 2)
        self.assertNotIn(("scir.method=scir", "M2", "win_rate_vs_m1"), rows)
        self.assertIn("paired differences against scir.method=scir", result.stdout)
        unused = os.path.join(self.dir, "reversed_unused")
        result = report(*paths, "--out", unused, "--baseline", "scir.method")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr, "analysis.report: error: argument --baseline: expected "
                         "KEY=VALUE[,KEY=VALUE], got 'scir.method' (--help for usage)\n")
        self.assertFalse(os.path.exists(unused))

    def test_the_same_run_under_another_blas_kernel_is_its_twin(self):
        """Seed 1 again under OpenBLAS's Prescott kernel (SSE3, never a default on a CPU scir
        supports): the run records its kernel, the report keeps the two kernels' runs apart and
        prints their differences."""
        twin = os.path.join(self.dir, "seed1_prescott")
        result = subprocess.run(MPIRUN + ["-x", "OPENBLAS_CORETYPE=Prescott", "-np", "2", BINARY,
                                          "run", "--out", twin, "--seed", "1"] + TINY,
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        kernels = {}
        for run in (self.runs[0], twin):
            with h5py.File(os.path.join(run, "run.h5"), "r") as f:
                kernels[run] = f["provenance"].attrs["blas_kernel"].decode()
        self.assertEqual(kernels[twin], "Prescott")
        self.assertNotEqual(kernels[self.runs[0]], "Prescott")
        out = os.path.join(self.dir, "kernel_report")
        result = report(self.runs[0], twin, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "kernels.csv")) as f:
            row = {(r["model"], r["metric"]): r for r in csv.DictReader(f)}[("M2", "win_rate_vs_m1")]
        first, other = sorted(kernels, key=kernels.get)  # the report's first: alphabetical
        self.assertEqual(row["kernels"], f"{kernels[first]} -> {kernels[other]}")
        values = {}
        for run in (first, other):
            with h5py.File(os.path.join(run, "run.h5"), "r") as f:
                values[run] = float(f["iter_1/eval"].attrs["win_rate_vs_m1"])
        self.assertAlmostEqual(float(row["difference"]), values[other] - values[first], places=12)
        self.assertIn("float order alone", result.stdout)
        self.assertIn("provenance.blas_kernel=Prescott", result.stdout)

    def test_bad_arguments_give_one_line_and_exit_two(self):
        result = report("--out")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertTrue(result.stderr.startswith("analysis.report: error: argument --out: "),
                        result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_an_out_that_is_a_file_gives_one_line_and_exit_two(self):
        existing = os.path.join(self.dir, "a_file")
        with open(existing, "w") as f:
            f.write("keep me\n")
        result = report(self.runs[0], "--out", existing)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr, f"analysis.report: error: --out {existing}: exists and "
                                        "is not a directory\n")
        with open(existing) as f:
            self.assertEqual(f.read(), "keep me\n")

    def test_attributes_of_the_wrong_type_give_one_line_and_exit_two(self):
        cases = [("iter_1/eval", "win_rate_vs_m1", b"high",
                  "/iter_1/eval attribute win_rate_vs_m1 is str 'high', expected a number"),
                 ("sft/eval", "acc_grm", np.array([0.5, 0.6]),
                  "/sft/eval attribute acc_grm is ndarray"),
                 ("config", "seed", 3, "/config attribute seed is int, expected text")]
        for group, name, value, message in cases:
            target = os.path.join(self.dir, f"typed_{name}")
            os.makedirs(target, exist_ok=True)
            shutil.copy(os.path.join(self.runs[0], "run.h5"), os.path.join(target, "run.h5"))
            with h5py.File(os.path.join(target, "run.h5"), "a") as f:
                f[group].attrs[name] = value
            result = report(target, "--out", os.path.join(self.dir, "unused_typed"))
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(message, result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "unused_typed")))


if __name__ == "__main__":
    unittest.main()
