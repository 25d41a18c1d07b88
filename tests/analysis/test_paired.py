"""analysis.paired: differences against SRLM seed by seed, with Student-t intervals."""
import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.environ.get("SCIR_SOURCE_DIR", os.path.join(os.path.dirname(__file__),
                                                                   "..", "..")))
from analysis.paired import (PairingError, baseline_label,  # noqa: E402
                             format_kernel_differences, format_paired, kernel_differences,
                             paired_differences)
from analysis.runs import KERNEL_KEY, measured  # noqa: E402

T_975_DF2 = 4.302652729911275  # Student's t, 97.5% quantile, 2 degrees of freedom


class FakeRun:
    def __init__(self, method, seed, win_rates, beta="0.1", kernel=None, **options):
        self.config = {"scir.method": method, "seed": str(seed), "scir.beta": beta, **options}
        if kernel:
            self.config[KERNEL_KEY] = kernel
        self.seed = str(seed)
        self.file = f"runs/{method}_{seed}_{beta}/run.h5"
        self.win_rates = win_rates

    def rows(self):
        return [("M1", {"win_rate_vs_m1": 0.5})] + [
            (f"M{t + 2}", {"win_rate_vs_m1": w, "acc_irm": -1.0})
            for t, w in enumerate(self.win_rates)]


class PairedTest(unittest.TestCase):
    def test_differences_seed_by_seed_with_a_t_interval(self):
        scir = [FakeRun("scir", s, [0.60 + 0.01 * s, 0.50]) for s in (1, 2, 3)]
        # seed 3 of SRLM first: pairs follow seeds, not order
        srlm = [FakeRun("srlm", s, [0.55, 0.52 - 0.01 * s]) for s in (3, 1, 2)]
        frame = paired_differences({"scir.method=scir": scir, "scir.method=srlm": srlm})
        self.assertEqual(set(frame.group), {"scir.method=scir"})  # no row for SRLM itself
        self.assertEqual(set(frame.metric), {"win_rate_vs_m1"})  # acc_irm -1: not measured
        m2 = frame[frame.model == "M2"].iloc[0]
        differences = np.array([0.06, 0.07, 0.08])
        half = T_975_DF2 * differences.std(ddof=1) / math.sqrt(3)
        self.assertAlmostEqual(m2["mean"], 0.07, places=12)
        self.assertAlmostEqual(m2["low"], 0.07 - half, places=12)
        self.assertAlmostEqual(m2["high"], 0.07 + half, places=12)
        self.assertEqual(m2["pairs"], 3)
        m3 = frame[frame.model == "M3"].iloc[0]
        self.assertAlmostEqual(m3["mean"], np.mean([-0.01, 0.0, 0.01]), places=12)
        text = format_paired(frame)
        self.assertIn("paired differences against srlm", text)
        self.assertIn("+0.070 [", text)

    def test_pairs_share_every_other_option(self):
        runs = {"a": [FakeRun("scir", 1, [0.7], beta="0.5"), FakeRun("scir", 2, [0.6])],
                "b": [FakeRun("srlm", 1, [0.5]), FakeRun("srlm", 2, [0.5])]}
        frame = paired_differences(runs)
        self.assertEqual(len(frame), 1)  # seed 1 differs in beta: no partner
        row = frame.iloc[0]
        self.assertAlmostEqual(row["mean"], 0.1, places=12)
        self.assertEqual(row["pairs"], 1)
        self.assertTrue(math.isnan(row["low"]))  # no interval from one pair
        self.assertIn("+0.100  (1 pairs)", format_paired(frame))

    def test_by_seed_models_the_iterations_options_may_differ(self):
        # A variant with its own iteration options (beta, irm_ref) pairs with its seed's SRLM run;
        # one with other seed models (data.pool) does not.
        runs = {"a": [FakeRun("scir", 1, [0.7], beta="0.5", **{"scir.irm_ref": "current"}),
                      FakeRun("scir", 2, [0.4], beta="0.5", **{"scir.irm_ref": "current"}),
                      FakeRun("scir", 3, [0.9], beta="0.5", **{"data.pool": "64"})],
                "b": [FakeRun("srlm", s, [0.5 + 0.05 * s]) for s in (1, 2, 3)],
                "c": [FakeRun("oracle", s, [0.8], **{"scir.oracle_pairs": "best_vs_rest"})
                      for s in (1, 2, 3)]}
        self.assertTrue(paired_differences(runs).empty)  # by setting: none
        frame = paired_differences(runs, pair_by="seed_models")
        self.assertEqual(list(frame.group), ["a", "c"])
        self.assertAlmostEqual(frame.iloc[1]["mean"], 0.8 - 0.6, places=12)
        self.assertEqual(frame.iloc[1]["pairs"], 3)
        row = frame.iloc[0]
        self.assertEqual(row["pairs"], 2)
        self.assertAlmostEqual(row["mean"], np.mean([0.7 - 0.55, 0.4 - 0.6]), places=12)
        # The kernel is part of the seed models.
        twins = {"a": [FakeRun("scir", 1, [0.7], kernel="Haswell")],
                 "b": [FakeRun("srlm", 1, [0.5], kernel="SkylakeX")]}
        self.assertTrue(paired_differences(twins, pair_by="seed_models").empty)

    def test_two_baselines_for_one_partner_are_an_error(self):
        runs = {"a": [FakeRun("scir", 1, [0.7])],
                "b": [FakeRun("srlm", 1, [0.5]), FakeRun("srlm", 1, [0.6], beta="0.3")]}
        by_setting = paired_differences(runs)  # the partner with beta 0.1
        self.assertAlmostEqual(by_setting.iloc[0]["mean"], 0.2, places=12)
        with self.assertRaisesRegex(PairingError, r"^runs/srlm_1_0.1/run.h5 and "
                                    r"runs/srlm_1_0.3/run.h5: two srlm runs of seed 1 with the "
                                    r"same seed models; expected one to pair with$"):
            paired_differences(runs, pair_by="seed_models")

    def test_a_baseline_of_several_options(self):
        # SCIR's variants against its literal configuration on the same seed models: the
        # baseline is the runs with both options, a variant differs from it in one of them.
        literal = [FakeRun("scir", s, [0.40 + 0.01 * s], **{"scir.cons_stopgrad": "none"})
                   for s in (1, 2)]
        held = [FakeRun("scir", s, [0.50], **{"scir.cons_stopgrad": "grm"}) for s in (1, 2)]
        srlm = [FakeRun("srlm", s, [0.55], **{"scir.cons_stopgrad": "none"}) for s in (1, 2)]
        runs = {"literal": literal, "held": held, "srlm": srlm}
        baseline = {"scir.method": "scir", "scir.cons_stopgrad": "none"}
        frame = paired_differences(runs, baseline=baseline, pair_by="seed_models")
        self.assertEqual(set(frame.group), {"held", "srlm"})
        held_m2 = frame[frame.group == "held"].iloc[0]
        self.assertAlmostEqual(held_m2["mean"], np.mean([0.09, 0.08]), places=12)
        self.assertEqual(held_m2["pairs"], 2)
        # By setting, a partner may differ in the baseline's options: the same pairs.
        by_setting = paired_differences(runs, baseline=baseline)
        self.assertAlmostEqual(by_setting[by_setting.group == "held"].iloc[0]["mean"],
                               held_m2["mean"], places=12)
        self.assertIn("against scir.cons_stopgrad=none, scir.method=scir",
                      format_paired(frame, baseline_label(baseline)))
        self.assertEqual(baseline_label({"scir.method": "srlm"}), "srlm")

    def test_nothing_without_the_baseline(self):
        frame = paired_differences({"a": [FakeRun("scir", 1, [0.7])]})
        self.assertTrue(frame.empty)
        self.assertEqual(format_paired(frame), "")


class MeasuredTest(unittest.TestCase):
    def test_minus_one_is_not_measured_unless_the_metric_may_be_negative(self):
        values = [0.3, -1.0, np.nan, 0.0]
        self.assertEqual(list(measured("win_rate_vs_m1", values)), [True, False, False, True])
        self.assertEqual(list(measured("margin_labels_last_pairs", values)),
                         [True, True, False, True])
        self.assertFalse(measured("acc_irm", -1.0))


class KernelTwinsTest(unittest.TestCase):
    def test_the_same_run_under_two_kernels_is_a_twin(self):
        runs = [FakeRun("scir", 1, [0.60, 0.50], kernel="SkylakeX"),
                FakeRun("scir", 1, [0.55, 0.52], kernel="Haswell"),
                FakeRun("srlm", 1, [0.50, 0.40], kernel="Haswell"),
                FakeRun("srlm", 1, [0.53, 0.40], kernel="SkylakeX"),
                FakeRun("srlm", 2, [0.70, 0.70], kernel="SkylakeX"),  # no twin
                FakeRun("scir", 1, [0.9, 0.9], beta="0.5", kernel="Haswell")]  # other setting
        frame = kernel_differences(runs)
        self.assertEqual(len(frame), 4)  # scir and srlm of seed 1, M2 and M3 each
        scir_m2 = frame[(frame.setting == "scir.method=scir") & (frame.model == "M2")].iloc[0]
        self.assertEqual(scir_m2["kernels"], "Haswell -> SkylakeX")
        self.assertAlmostEqual(scir_m2["difference"], 0.05, places=12)
        srlm_m2 = frame[(frame.setting == "scir.method=srlm") & (frame.model == "M2")].iloc[0]
        self.assertAlmostEqual(srlm_m2["difference"], 0.03, places=12)
        text = format_kernel_differences(frame)
        self.assertIn("mean |difference| M2 win_rate_vs_m1: 0.040 over 2 twins", text)
        self.assertIn("mean |difference| M3 win_rate_vs_m1: 0.010 over 2 twins", text)

    def test_twins_of_two_variants_of_a_method_have_their_own_labels(self):
        runs = [FakeRun("oracle", 1, [0.7], kernel=k, **{"scir.oracle_pairs": pairs})
                for k in ("Haswell", "SkylakeX") for pairs in ("all", "best_vs_rest")]
        frame = kernel_differences(runs)
        self.assertEqual(sorted(frame.setting),
                         ["scir.method=oracle, scir.oracle_pairs=all",
                          "scir.method=oracle, scir.oracle_pairs=best_vs_rest"])

    def test_kernels_keep_srlm_pairs_apart(self):
        runs = {"a": [FakeRun("scir", 1, [0.7], kernel="Haswell")],
                "b": [FakeRun("srlm", 1, [0.5], kernel="SkylakeX")]}
        self.assertTrue(paired_differences(runs).empty)
        self.assertTrue(kernel_differences([FakeRun("scir", 1, [0.7])]).empty)


if __name__ == "__main__":
    unittest.main()
