#include "scir/train/own_sample_eft.h"

#include <map>
#include <nlohmann/json.hpp>

#include "scir/data/world/world_datasets.h"
#include "scir/dist/sharding.h"
#include "scir/eval/own_sample_pairs.h"
#include "scir/io/jsonl.h"

namespace scir {

int64_t write_own_sample_eft(const ProcessGrid& grid, Transformer& model,
                             const Tokenizer& tokenizer, const world::World& world,
                             const JudgeTemplate& pairwise, const std::vector<std::string>& prompts,
                             const OwnSampleEftSettings& settings, const std::string& path) {
  Comm& comm = grid.data();
  const std::vector<size_t> mine = shard_indices(prompts.size(), comm.rank(), comm.size());
  const auto pairs = own_sample_pairs(model, tokenizer, ChatTemplate::kPlain, world, prompts, mine,
                                      settings.samples, settings.sampling, settings.batch_size);
  // One gathered item a prompt: the JSON array of its records (possibly empty).
  std::map<size_t, nlohmann::json> by_prompt;
  for (const size_t index : mine) by_prompt[index] = nlohmann::json::array();
  for (const ScoredSamplePair& pair : pairs) {
    for (const nlohmann::json& record :
         world::pairwise_eft_records(pairwise, prompts[pair.prompt], pair.first, pair.second,
                                     pair.q_first, pair.q_second)) {
      by_prompt[pair.prompt].push_back(record);
    }
  }
  std::vector<std::pair<size_t, std::string>> items;
  // json_line: a byte model can sample bytes that are not UTF-8.
  for (const auto& [index, records] : by_prompt) items.emplace_back(index, json_line(records));
  const std::vector<std::string> gathered = gather_in_item_order(comm, items);
  if (grid.job().rank() == 0) {
    JsonlWriter out(path);
    for (const std::string& text : gathered) {
      for (const nlohmann::json& record : nlohmann::json::parse(text)) out.write(record);
    }
    out.commit();
  }
  return static_cast<int64_t>(
      all_reduce_scalar(comm, static_cast<double>(pairs.size()), ReduceOp::kSum));
}

}  // namespace scir
