#include "scir/data/world/world_datasets.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <set>

#include "scir/core/errors.h"
#include "scir/io/jsonl.h"
#include "scir/io/run_contract.h"

namespace scir::world {
namespace {

// Draws tasks whose instruction no earlier draw (in any data set) has used.
class DisjointTasks {
 public:
  explicit DisjointTasks(const World& world) : world_(world) {}
  Task next(RngStream& rng, const char* dataset) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      Task task = world_.sample_task(rng);
      if (used_.insert(task.instruction).second) return task;
    }
    throw InputError(cat("world: too few distinct instructions for the ", dataset,
                         " data set (raise world.max_value or world.max_length, or lower sizes)"));
  }

 private:
  const World& world_;
  std::set<std::string> used_;
};

// Two responses of different oracle quality, both with plausible mistakes or correct.
struct ScoredPair {
  std::string a, b;
  double q_a, q_b;
};

ScoredPair distinct_pair(const World& world, const Task& task, RngStream& rng, double p_correct) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string a = world.mixed_quality_response(task, rng, p_correct);
    const std::string b = world.corrupted_response(task, rng, 3);
    const double q_a = world.quality(task.instruction, a), q_b = world.quality(task.instruction, b);
    if (q_a != q_b) return {a, b, q_a, q_b};
  }
  return {task.reference, "", 1.0, world.quality(task.instruction, "")};
}

}  // namespace

std::array<nlohmann::json, 2> pairwise_eft_records(const JudgeTemplate& pairwise,
                                                   const std::string& instruction,
                                                   const std::string& first,
                                                   const std::string& second, double q_first,
                                                   double q_second) {
  // Both orders, so the judge cannot learn a position preference.
  std::array<nlohmann::json, 2> records;
  for (const bool swap : {false, true}) {
    const std::string& a = swap ? second : first;
    const std::string& b = swap ? first : second;
    const double q_a = swap ? q_second : q_first, q_b = swap ? q_first : q_second;
    records[swap ? 1 : 0] = {{"prompt", pairwise.render_pairwise(instruction, a, b)},
                             {"response", q_a > q_b ? "A" : "B"},
                             {"instruction", instruction},
                             {"response_a", a},
                             {"response_b", b},
                             {"q_a", q_a},
                             {"q_b", q_b}};
  }
  return records;
}

void write_world_datasets(const World& world, const JudgeTemplate& pairwise,
                          const DatasetSizes& sizes, uint64_t seed, const std::string& directory,
                          const JudgeTemplate* pointwise) {
  std::filesystem::create_directories(directory);
  const auto path = [&](const std::string& name) {
    return (std::filesystem::path(directory) / name).string();
  };
  DisjointTasks tasks(world);

  {
    RngStream rng = RngStream::derive(seed, {kStreamCorpus});
    JsonlWriter out(path(run_contract::kCorpusFile));
    for (int i = 0; i < sizes.corpus; ++i) {
      const Task task = tasks.next(rng, "corpus");
      out.write({{"prompt", task.instruction},
                 {"response", world.mixed_quality_response(task, rng, sizes.p_correct)}});
    }
    out.commit();
  }
  {
    RngStream rng = RngStream::derive(seed, {kStreamIft});
    JsonlWriter out(path(run_contract::kIftFile));
    for (int i = 0; i < sizes.ift; ++i) {
      const Task task = tasks.next(rng, "ift");
      out.write({{"prompt", task.instruction}, {"response", task.reference}});
    }
    out.commit();
  }
  {
    RngStream rng = RngStream::derive(seed, {kStreamEft});
    JsonlWriter out(path(run_contract::kEftFile));
    for (int i = 0; i < sizes.eft_pairs; ++i) {
      const Task task = tasks.next(rng, "eft");
      const ScoredPair pair = distinct_pair(world, task, rng, sizes.eft_p_correct);
      for (const nlohmann::json& record :
           pairwise_eft_records(pairwise, task.instruction, pair.a, pair.b, pair.q_a, pair.q_b)) {
        out.write(record);
      }
    }
    if (sizes.eft_pointwise > 0) {
      if (!pointwise) throw InputError("data.eft_pointwise needs a pointwise judge template");
      RngStream scores = RngStream::derive(seed, {kStreamEftPointwise});
      for (int i = 0; i < sizes.eft_pointwise; ++i) {
        const Task task = tasks.next(scores, "eft pointwise");
        const std::string response =
            world.mixed_quality_response(task, scores, sizes.eft_p_correct);
        const double q = world.quality(task.instruction, response);
        out.write({{"prompt", pointwise->render_pointwise(task.instruction, response)},
                   {"response", std::to_string(static_cast<int>(std::lround(5 * q)))},
                   {"instruction", task.instruction},
                   {"response_a", response},
                   {"q_a", q}});
      }
    }
    out.commit();
  }
  {
    RngStream rng = RngStream::derive(seed, {kStreamPool});
    for (int t = 1; t <= sizes.iterations; ++t) {
      JsonlWriter out(path(run_contract::prompt_pool_file(t)));
      for (int i = 0; i < sizes.pool; ++i) {
        out.write({{"id", i}, {"prompt", tasks.next(rng, "pool").instruction}});
      }
      out.commit();
    }
  }
  {
    RngStream rng = RngStream::derive(seed, {kStreamEval});
    JsonlWriter out(path(run_contract::kEvalPromptsFile));
    for (int i = 0; i < sizes.eval_prompts; ++i) {
      out.write({{"id", i}, {"prompt", tasks.next(rng, "eval").instruction}});
    }
    out.commit();
  }
  {
    RngStream rng = RngStream::derive(seed, {kStreamHeldout});
    JsonlWriter out(path(run_contract::kHeldoutPairsFile));
    for (int i = 0; i < sizes.heldout_pairs; ++i) {
      const Task task = tasks.next(rng, "heldout pairs");
      const ScoredPair pair = distinct_pair(world, task, rng, sizes.eft_p_correct);
      out.write({{"prompt", task.instruction},
                 {"response_a", pair.a},
                 {"response_b", pair.b},
                 {"q_a", pair.q_a},
                 {"q_b", pair.q_b}});
    }
    out.commit();
  }
  // The prompt files drawn last, each from its own stream and only when asked for, so that the
  // files above do not depend on them.
  const auto write_prompts = [&](const char* file, int count, DatasetStream stream,
                                 const char* name) {
    if (count == 0) return;
    RngStream rng = RngStream::derive(seed, {stream});
    JsonlWriter out(path(file));
    for (int i = 0; i < count; ++i)
      out.write({{"id", i}, {"prompt", tasks.next(rng, name).instruction}});
    out.commit();
  };
  write_prompts(run_contract::kJudgePromptsFile, sizes.judge_prompts, kStreamJudgePrompts,
                "judge prompts");
  write_prompts(run_contract::kFinishPromptsFile, sizes.finish_prompts, kStreamFinishPrompts,
                "finish prompts");
}

}  // namespace scir::world
