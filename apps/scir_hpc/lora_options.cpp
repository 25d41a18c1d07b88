#include "lora_options.h"

#include <algorithm>
#include <sstream>

#include "scir/core/option_binding.h"

namespace scir::app {
namespace {

const char* const kAllTargets = "q,k,v,o,gate,up,down";

void bind_lora_options(OptionBinder& bind, const std::string& prefix, LoraSettings& lora,
                       std::string& targets) {
  bind.integer(prefix + "lora_rank", lora.rank,
               "rank of the LoRA adapters trained instead of the whole model (0: no LoRA, "
               "every weight trained)",
               OptionRange::at_least(0, "an integer >= 0 (0: no LoRA)"))
      .number(prefix + "lora_alpha", lora.alpha,
              "LoRA's alpha: the adapter's term is scaled by alpha / rank",
              OptionRange::above(0, "a number > 0"))
      .text(prefix + "lora_targets", targets,
            "the projections adapted, comma-separated: some of q, k, v, o, gate, up, down")
      .flag(prefix + "lora_rslora", lora.rslora,
            "scale the adapter's term by alpha / sqrt(rank) (rsLoRA) for alpha / rank");
}

}  // namespace

std::vector<std::string> parse_lora_targets(const OptionSet& options, const std::string& key,
                                            const std::string& text) {
  std::vector<std::string> targets;
  std::stringstream list(text);
  std::string target;
  const auto& names = lora_target_names();
  while (std::getline(list, target, ',')) {
    target.erase(0, target.find_first_not_of(" \t"));
    target.erase(target.find_last_not_of(" \t") + 1);
    if (std::find(names.begin(), names.end(), target) == names.end() ||
        std::find(targets.begin(), targets.end(), target) != targets.end()) {
      options.reject(key, cat("distinct names among q, k, v, o, gate, up, down, comma-separated "
                              "(got '",
                              target, "')"));
    }
    targets.push_back(target);
  }
  if (targets.empty()) options.reject(key, "at least one of q, k, v, o, gate, up, down");
  return targets;
}

void declare_lora_options(OptionSet& options, const std::string& prefix) {
  LoraSettings lora;
  std::string targets = kAllTargets;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_lora_options(declaring, prefix, lora, targets);
}

LoraSettings read_lora_options(const OptionSet& options, const std::string& prefix) {
  LoraSettings lora;
  std::string targets;
  OptionBinder reading = OptionBinder::reading(options);
  bind_lora_options(reading, prefix, lora, targets);
  if (!lora.on()) {
    for (const char* key : {"lora_alpha", "lora_targets", "lora_rslora"}) {
      if (options.was_set(prefix + key))
        options.reject(prefix + key, cat("no value unless ", prefix, "lora_rank > 0"));
    }
    return lora;
  }
  lora.targets = parse_lora_targets(options, prefix + "lora_targets", targets);
  return lora;
}

void check_lora_fits(const OptionSet& options, const std::string& rank_key, int64_t rank,
                     const std::vector<std::string>& targets, const ModelConfig& config) {
  if (rank <= 0) return;
  const LoraRankLimit limit = lora_rank_limit(config, targets);
  if (rank > limit.rank) {
    options.reject(rank_key, cat("at most ", limit.rank, ", the smaller dimension of ",
                                 limit.module, " (", limit.out, " x ", limit.in, ")"));
  }
}

}  // namespace scir::app
