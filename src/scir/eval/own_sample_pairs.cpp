#include "scir/eval/own_sample_pairs.h"

#include <algorithm>

namespace scir {

std::vector<ScoredSamplePair> own_sample_pairs(Transformer& model, const Tokenizer& tokenizer,
                                               ChatTemplate chat_template,
                                               const world::World& world,
                                               const std::vector<std::string>& prompts,
                                               const std::vector<size_t>& indices, int samples,
                                               const SamplingOptions& sampling,
                                               int64_t batch_size) {
  std::vector<ScoredSamplePair> pairs;
  const size_t step = static_cast<size_t>(std::max<int64_t>(1, batch_size));
  for (size_t start = 0; start < indices.size(); start += step) {
    const size_t end = std::min(indices.size(), start + step);
    std::vector<GenerationRequest> requests;
    for (size_t i = start; i < end; ++i) {
      for (int s = 0; s < samples; ++s) {
        requests.push_back({prompt_ids(tokenizer, chat_template, prompts[indices[i]]), indices[i],
                            static_cast<uint64_t>(s)});
      }
    }
    const auto outputs =
        generate(model, requests, sampling, tokenizer.stop_ids(), tokenizer.pad_id());
    for (size_t i = start; i < end; ++i) {
      const std::string& instruction = prompts[indices[i]];
      std::vector<std::string> texts;
      std::vector<double> quality;
      for (int s = 0; s < samples; ++s) {
        texts.push_back(tokenizer.decode(outputs[(i - start) * samples + s]));
        quality.push_back(world.quality(instruction, texts.back()));
      }
      for (size_t a = 0; a < texts.size(); ++a) {
        for (size_t b = a + 1; b < texts.size(); ++b) {
          if (texts[a] == texts[b] || quality[a] == quality[b]) continue;
          pairs.push_back({indices[i], texts[a], texts[b], quality[a], quality[b]});
        }
      }
    }
  }
  return pairs;
}

}  // namespace scir
