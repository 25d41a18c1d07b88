"""The run contract: analysis/runs.py's names are src/scir/io/run_contract.h's, and a tiny run of
the demo configuration writes every one of them, with values that agree with each other."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

from test_report import BINARY, MPIRUN, SOURCE, TINY

sys.path.insert(0, SOURCE)
from analysis import runs  # noqa: E402


def header_tables():
    """{table name: [(name, shape, phase)]} as run_contract.h declares them."""
    with open(os.path.join(SOURCE, "src", "scir", "io", "run_contract.h")) as f:
        text = f.read()
    tables = {}
    for table, body in re.findall(r"inline constexpr Column (k\w+)\[\] = \{(.*?)\n\};", text,
                                  re.S):
        tables[table] = re.findall(r'\{"([^"]+)", "([^"]+)", "([^"]+)",', body)
    return tables


class RunContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scir_contract_")
        cls.run_dir = os.path.join(cls.dir, "run")
        result = subprocess.run(MPIRUN + ["-np", "2", BINARY, "run", "--out", cls.run_dir] + TINY,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_python_mirrors_the_header(self):
        tables = header_tables()
        self.assertEqual(tables["kPairColumns"], runs.PAIR_COLUMNS)
        self.assertEqual(tables["kStepColumns"], runs.STEP_COLUMNS)
        self.assertEqual(tables["kEvaluationFields"], runs.EVALUATION_FIELDS)
        self.assertEqual(tables["kIterationFields"], runs.ITERATION_FIELDS)

    def test_a_run_has_every_name_and_consistent_values(self):
        self.assertEqual(runs.contract_misses(self.run_dir), [])
        checked = subprocess.run([sys.executable, "-m", "analysis.runs", self.run_dir], cwd=SOURCE,
                                 capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        with h5py.File(os.path.join(self.run_dir, "run.h5"), "r") as f:
            for t in (1, 2):
                pairs = f[f"iter_{t}/pairs"]
                count = int(f[f"iter_{t}/eval"].attrs["pairs"])
                self.assertGreater(count, 0)
                for name, _, _ in runs.PAIR_COLUMNS:
                    self.assertEqual(len(pairs[name]), count, name)
                for side in ("1", "2"):
                    lengths = [len(ids) for ids in pairs[f"resp{side}_tokens"]]
                    np.testing.assert_array_equal(pairs[f"resp{side}_length"], lengths)
                # Pair order: prompt by prompt, and the online method fixes no label.
                self.assertTrue(np.all(np.diff(np.asarray(pairs["prompt_id"])) >= 0))
                np.testing.assert_array_equal(pairs["label_fixed"], -1)
                p_grm0 = np.asarray(pairs["p_grm0"])
                p_irm0 = np.asarray(pairs["p_irm0"])
                self.assertTrue(np.all((p_grm0 > 0) & (p_grm0 < 1)))
                agreeing = np.mean((p_grm0 - 0.5) * (p_irm0 - 0.5) > 0)
                self.assertEqual(f[f"iter_{t}/eval"].attrs["agreement_start"], agreeing)
                # The oracle's view of the pairs, recomputed from the columns (half credit at 1/2).
                q1, q2 = np.asarray(pairs["oracle_q1"]), np.asarray(pairs["oracle_q2"])
                informative = q1 != q2

                def right(p, chosen):
                    better = (q1 > q2)[chosen]
                    p = p[chosen]
                    return np.mean(np.where(p == 0.5, 0.5, (p > 0.5) == better))

                attrs = f[f"iter_{t}/eval"].attrs
                self.assertEqual(attrs["pairs_informative_share"], np.mean(informative))
                self.assertAlmostEqual(attrs["acc_grm0_pairs"], right(p_grm0, informative),
                                       places=12)
                self.assertAlmostEqual(attrs["acc_irm0_pairs"], right(p_irm0, informative),
                                       places=12)
                label_last = np.asarray(pairs["label_last"])
                self.assertAlmostEqual(attrs["acc_labels_last_pairs"],
                                       right(label_last, informative & (label_last >= 0)),
                                       places=12)
                steps = f[f"iter_{t}/steps"]
                for column in ("acc_grm_step", "acc_irm_step", "acc_labels_step"):
                    values = np.asarray(steps[column])
                    values = values[np.isfinite(values)]
                    self.assertTrue(values.size > 0 and np.all((values >= 0) & (values <= 1)),
                                    column)
                self.assertAlmostEqual(f[f"iter_{t}/eval"].attrs["train_kept_share"],
                                       np.mean(steps["kept_share"]), places=12)

    def test_a_run_that_lacks_a_name_is_reported_in_one_line(self):
        broken = os.path.join(self.dir, "broken.h5")
        shutil.copy(os.path.join(self.run_dir, "run.h5"), broken)
        with h5py.File(broken, "a") as f:
            del f["iter_2/pairs/p_irm0"]
        self.assertEqual(runs.contract_misses(broken),
                         [f"{broken}: /iter_2/pairs lacks the column p_irm0"])
        checked = subprocess.run([sys.executable, "-m", "analysis.runs", broken], cwd=SOURCE,
                                 capture_output=True, text=True)
        self.assertEqual(checked.returncode, 2)
        self.assertEqual(checked.stderr, f"{broken}: /iter_2/pairs lacks the column p_irm0\n")

    def test_a_run_of_a_users_own_model_needs_no_seed_evaluation(self):
        """A run from a user's M1 (model.m1) has no seed models and so no /sft/eval; a run of
        the embedded world without it still lacks a name."""
        own = os.path.join(self.dir, "own_model.h5")
        shutil.copy(os.path.join(self.run_dir, "run.h5"), own)
        with h5py.File(own, "a") as f:
            del f["sft/eval"]
        self.assertEqual(runs.contract_misses(own), [f"{own}: no group /sft/eval"])
        with h5py.File(own, "a") as f:
            f["config"].attrs["model.m1"] = b"/models/mistral7b-m1"
        self.assertEqual(runs.contract_misses(own), [])
        checked = subprocess.run([sys.executable, "-m", "analysis.runs", own], cwd=SOURCE,
                                 capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, checked.stderr)


if __name__ == "__main__":
    unittest.main()
