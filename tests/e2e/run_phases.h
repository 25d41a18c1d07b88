// A run's phases for tests that rerun some of them: a copy of a run directory with a phase and
// the later ones undone, and the first training step two runs must share.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "scir/io/h5_group.h"

// The phases of `scir_hpc run` in the order a run takes them (one iteration).
inline const std::vector<std::string>& run_phases() {
  static const std::vector<std::string> phases = {"pretrain", "sft",    "eft_own", "judge_sft",
                                                  "sft_eval", "iter_1", "run"};
  return phases;
}

// A copy of the run directory `from` at `to` with `phase` and every later one undone (their
// DONE markers removed, an iteration's own phases' too: iter_1.generate, ... iter_1.train), so
// that a rerun in `to` redoes them from `from`'s own inputs.
inline void copy_run_undoing(const std::filesystem::path& from, const std::filesystem::path& to,
                             const std::string& phase) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  bool undo = false;
  for (const std::string& p : run_phases()) {
    undo = undo || p == phase;
    if (!undo) continue;
    for (const auto& marker : std::filesystem::directory_iterator(to / ".done")) {
      const std::string name = marker.path().filename().string();
      if (name == p || name.rfind(p + ".", 0) == 0) std::filesystem::remove(marker.path());
    }
  }
}

// Losses and gradient norms of a step computed from the same weights and batch agree within
// float32 rounding of the other summation order across the slices; a wrong slice or a missing
// reduction moves them by their own size.
inline void expect_same_first_step(const std::string& h5_one, const std::string& h5_two,
                                   const char* group) {
  const auto a = scir::read_h5_group(h5_one, group).columns;
  const auto b = scir::read_h5_group(h5_two, group).columns;
  for (const char* column : {"loss", "grad_norm"}) {
    ASSERT_FALSE(a.at(column).empty()) << group << " " << column;
    ASSERT_EQ(a.at(column).size(), b.at(column).size()) << group << " " << column;
    EXPECT_NEAR(b.at(column)[0], a.at(column)[0], 1e-5 * std::abs(a.at(column)[0]))
        << group << " " << column;
    for (double value : b.at(column)) EXPECT_TRUE(std::isfinite(value)) << group << " " << column;
  }
}
