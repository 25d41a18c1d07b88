// LoRA adapters against the peft package, both ways (fixtures and reference values made by
// tests/parity/make_peft_fixtures.py with torch, transformers and peft): an adapter peft wrote,
// loaded onto the base model, gives peft's log-probabilities, merged and unmerged; and the
// adapter scir_hpc's run wrote, loaded by peft, gave the log-probabilities scir_hpc computes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "scir/io/hf_checkpoint.h"
#include "scir/io/peft_adapter.h"
#include "scir/model/sequence_logprobs.h"

namespace scir {
namespace {

const std::string kFixtures = std::string(SCIR_FIXTURE_DIR) + "/peft_lora/";

nlohmann::json references() {
  std::ifstream in(kFixtures + "references.json");
  return nlohmann::json::parse(in);
}

// The largest difference between scir_hpc's token log-probs under `model` and peft's.
double largest_difference(Transformer& model, const nlohmann::json& cases) {
  std::vector<PromptResponse> batch;
  for (const auto& c : cases)
    batch.push_back({c["prompt_ids"].get<std::vector<int64_t>>(),
                     c["response_ids"].get<std::vector<int64_t>>()});
  torch::NoGradGuard no_grad;
  model.eval();
  const ResponseLogProbs ours = response_logprobs(model, batch, /*pad_id=*/0);
  double largest = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto expected = cases[i]["token_logps"].get<std::vector<double>>();
    for (size_t j = 0; j < expected.size(); ++j) {
      largest = std::max(largest, std::abs(ours.token_logps[i][j].item<double>() - expected[j]));
    }
  }
  return largest;
}

// Float32 on both sides; the two frameworks sum the products in different orders. The model
// parity of tests/parity measured differences up to 2.7e-5 in log-probs of this size.
constexpr double kBound = 1e-4;

TEST(PeftParity, PeftsAdaptersGivePeftsLogProbsMergedAndUnmerged) {
  const nlohmann::json expected = references();
  for (const char* name : {"peft_adapter", "peft_rslora"}) {
    const std::string adapter = kFixtures + name;
    LoadedModel base = load_hf_model(kFixtures + "base");
    const double without = largest_difference(*base.model, expected[name]);
    EXPECT_GT(without, 0.01) << name << ": the adapter changes too little to be checked";
    {
      const PeftLoraAdapter read = load_peft_adapter(adapter);
      LoraAdapter unmerged(*base.model, read.settings, 0);
      unmerged.assign(read.weights, adapter);
      EXPECT_LT(largest_difference(*base.model, expected[name]), kBound) << name << " unmerged";
    }
    merge_peft_adapter(*base.model, adapter);
    EXPECT_LT(largest_difference(*base.model, expected[name]), kBound) << name << " merged";
  }
}

TEST(PeftParity, PeftReadsScirHpcsAdapterToTheSameLogProbs) {
  LoadedModel m1 = load_hf_model(kFixtures + "scir_base");
  merge_peft_adapter(*m1.model, kFixtures + "scir_adapter");
  EXPECT_LT(largest_difference(*m1.model, references()["scir_adapter"]), kBound);
}

}  // namespace
}  // namespace scir
