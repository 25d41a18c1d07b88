#include "scir/core/errors.h"
#include "scir/dist/item_rows.h"
#include "scir/dist/sharding.h"
#include "scir/io/h5_collective_rows.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {
namespace {

std::string pairs_group(const IterationContext& context) {
  return run_contract::iteration_group(context.t) + "/pairs";
}

// The number columns `stage` adds, this rank's rows.
std::map<std::string, std::vector<double>> stage_columns(const IterationPairs& pairs,
                                                         PairStage stage) {
  std::map<std::string, std::vector<double>> columns;
  const auto add = [&](const char* name, auto value_of) {
    std::vector<double>& column = columns[name];
    for (const IterationPair& p : pairs.mine) column.push_back(value_of(p));
  };
  switch (stage) {
    case PairStage::kGenerated:
      add("prompt_id", [](const IterationPair& p) { return static_cast<double>(p.prompt_id); });
      add("rank", [](const IterationPair& p) { return static_cast<double>(p.rank); });
      add("resp1_length",
          [](const IterationPair& p) { return static_cast<double>(p.pair.response1.size()); });
      add("resp2_length",
          [](const IterationPair& p) { return static_cast<double>(p.pair.response2.size()); });
      add("oracle_q1", [](const IterationPair& p) { return p.q1; });
      add("oracle_q2", [](const IterationPair& p) { return p.q2; });
      break;
    case PairStage::kReferenced:
      add("logp_ref1", [](const IterationPair& p) { return p.pair.ref_logp1; });
      add("logp_ref2", [](const IterationPair& p) { return p.pair.ref_logp2; });
      add("p_grm0", [](const IterationPair& p) { return p.p_grm0; });
      add("p_irm0", [](const IterationPair& p) { return p.p_irm0; });
      break;
    case PairStage::kLabelled:
      add("label_fixed",
          [](const IterationPair& p) { return static_cast<double>(p.pair.fixed_label); });
      break;
    case PairStage::kTrained:
      add("kept_last", [](const IterationPair& p) { return p.label_last >= 0 ? 1.0 : 0.0; });
      add("label_last", [](const IterationPair& p) { return static_cast<double>(p.label_last); });
      add("step_consumed", [](const IterationPair& p) { return p.step_consumed; });
      break;
  }
  return columns;
}

// Every number column the store holds once `stage` is done.
std::vector<std::string> columns_up_to(PairStage stage) {
  std::vector<std::string> names;
  const IterationPairs none;
  for (PairStage s :
       {PairStage::kGenerated, PairStage::kReferenced, PairStage::kLabelled, PairStage::kTrained}) {
    if (s > stage) break;
    for (const auto& [name, unused] : stage_columns(none, s)) names.push_back(name);
  }
  return names;
}

}  // namespace

void write_pair_columns(const IterationContext& context, const IterationPairs& pairs,
                        PairStage stage) {
  // Every rank of a model copy holds the same pairs: the copies' first ranks write them.
  if (context.grid.leads_copy()) {
    write_h5_strided_rows(
        context.copies(), context.run.h5(), pairs_group(context), stage_columns(pairs, stage),
        stage == PairStage::kGenerated ? H5GroupWrite::kReplace : H5GroupWrite::kAddColumns);
  }
  context.job().barrier();
}

IterationPairs read_pair_store(const IterationContext& context, PairStage stage) {
  Comm& job = context.job();
  // Rank 0 alone opens run.h5 and passes every row on; the other ranks pass none.
  ItemRows stored;
  for (const std::string& name : columns_up_to(stage)) stored.numbers[name] = {};
  stored.tokens = {{"resp1_tokens", {}}, {"resp2_tokens", {}}};
  double judgements = 0, parse_failures = 0;
  if (job.rank() == 0) {
    const H5Group group = read_h5_group(context.run.h5(), pairs_group(context));
    for (auto& [name, column] : stored.numbers) {
      const auto found = group.columns.find(name);
      if (found == group.columns.end()) {
        throw InputError(cat(context.run.h5(), ": ", pairs_group(context), " lacks the column ",
                             name, " that its finished phases write"));
      }
      column = found->second;
    }
    for (auto& [name, column] : stored.tokens) {
      for (const std::vector<int32_t>& ids : group.token_columns.at(name))
        column.emplace_back(ids.begin(), ids.end());
    }
    const size_t rows = stored.tokens.at("resp1_tokens").size();
    for (size_t i = 0; i < rows; ++i) stored.items.push_back(static_cast<int64_t>(i));
    judgements = group.numbers.at("srlm_judgements");
    parse_failures = group.numbers.at("srlm_parse_failures");
  }
  const ItemRows rows = all_gather_item_rows(job, stored);
  IterationPairs pairs = deal_pairs(context, rows);
  pairs.judgements = static_cast<int64_t>(all_reduce_scalar(job, judgements, ReduceOp::kMax));
  pairs.judge_parse_failures =
      static_cast<int64_t>(all_reduce_scalar(job, parse_failures, ReduceOp::kMax));
  const auto column = [&](const char* name, const IterationPair& p) {
    return rows.numbers.at(name)[static_cast<size_t>(p.row)];
  };
  for (IterationPair& p : pairs.mine) {
    p.q1 = column("oracle_q1", p);
    p.q2 = column("oracle_q2", p);
    if (stage >= PairStage::kReferenced) {
      p.pair.ref_logp1 = column("logp_ref1", p);
      p.pair.ref_logp2 = column("logp_ref2", p);
      p.p_grm0 = column("p_grm0", p);
      p.p_irm0 = column("p_irm0", p);
    }
    if (stage >= PairStage::kLabelled)
      p.pair.fixed_label = static_cast<int>(column("label_fixed", p));
    if (stage >= PairStage::kTrained) {
      p.label_last = static_cast<int>(column("label_last", p));
      p.step_consumed = column("step_consumed", p);
    }
  }
  return pairs;
}

IterationPairs deal_pairs(const IterationContext& context, const ItemRows& all) {
  Comm& copies = context.copies();
  const Tokenizer& tokenizer = context.judges.tokenizer();
  const ChatTemplate chat_template = context.judges.pairwise().chat_template;
  IterationPairs pairs;
  pairs.total = static_cast<int64_t>(all.size());
  for (size_t i : shard_indices(all.size(), copies.rank(), copies.size())) {
    IterationPair p;
    p.row = static_cast<int64_t>(i);
    p.prompt_id = static_cast<int64_t>(all.numbers.at("prompt_id")[i]);
    p.rank = static_cast<int>(all.numbers.at("rank")[i]);
    p.pair.instruction = context.prompts.at(static_cast<size_t>(p.prompt_id));
    p.pair.prompt = prompt_ids(tokenizer, chat_template, p.pair.instruction);
    p.pair.response1 = all.tokens.at("resp1_tokens")[i];
    p.pair.response2 = all.tokens.at("resp2_tokens")[i];
    p.pair.text1 = tokenizer.decode(p.pair.response1);
    p.pair.text2 = tokenizer.decode(p.pair.response2);
    pairs.mine.push_back(std::move(p));
  }
  return pairs;
}

}  // namespace scir
