// Generation tokens/s with the KV cache against recomputing the full forward for every new
// token (greedy, same model, same batch), in one run. Usage:
//   scir_bench_kv_cache [--threads N] [--batch 16] [--new-tokens 64] [--prompt 24] [--repeats 1]
//                       [--heads 16] [--kv-heads 8]
// --repeats R > 1 runs the cached generation R times and skips the comparison (for profiles).
// The model is the embedded demo's (hidden 128, 4 layers, 16 heads / 8 KV heads of 8, bytes).
#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include "bench_program.h"
#include "scir/core/allocator.h"
#include "scir/core/errors.h"
#include "scir/core/platform_info.h"
#include "scir/core/threads.h"
#include "scir/model/generation.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

// Greedy decoding without a cache: the whole sequence goes through the model every step.
std::vector<std::vector<int64_t>> generate_without_cache(scir::Transformer& model,
                                                         torch::Tensor ids, int64_t new_tokens) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> outputs(ids.size(0));
  for (int64_t step = 0; step < new_tokens; ++step) {
    const torch::Tensor logits = model.forward(ids, torch::ones_like(ids));
    const torch::Tensor next = logits.select(1, ids.size(1) - 1).argmax(-1);
    for (int64_t b = 0; b < ids.size(0); ++b) outputs[b].push_back(next[b].item<int64_t>());
    ids = torch::cat({ids, next.unsqueeze(1)}, 1);
  }
  return outputs;
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags = scir::bench::read_flags(argc, argv,
                                                                     {{"--threads", "1"},
                                                                      {"--batch", "16"},
                                                                      {"--new-tokens", "64"},
                                                                      {"--prompt", "24"},
                                                                      {"--repeats", "1"},
                                                                      {"--heads", "16"},
                                                                      {"--kv-heads", "8"}});
  const auto flag = [&](const std::string& name) {
    return scir::bench::positive_flag(name, flags[name]);
  };
  const int threads = static_cast<int>(flag("--threads"));
  const int64_t batch = flag("--batch"), new_tokens = flag("--new-tokens"),
                prompt_length = flag("--prompt"), repeats = flag("--repeats"),
                heads = flag("--heads"), kv_heads = flag("--kv-heads");
  scir::ModelConfig config;
  config.hidden_size = 128;
  if (config.hidden_size % heads != 0)
    throw scir::InputError(scir::cat(
        "option '--heads': expected a divisor of the hidden size 128, got '", heads, "'"));
  config.intermediate_size = 352;
  config.num_hidden_layers = 4;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.head_dim = config.hidden_size / heads;
  config.vocab_size = scir::ByteTokenizer::kVocabSize;
  config.max_position_embeddings = 512;
  config.bos_token_id = scir::ByteTokenizer::kBos;
  config.eos_token_id = scir::ByteTokenizer::kEos;
  config.validate("options '--heads' and '--kv-heads'");
  scir::apply_threads(threads);
  scir::Transformer model(config);
  model.init_weights(1);
  model.eval();
  const torch::Tensor prompts = torch::randint(0, 256, {batch, prompt_length}, torch::kLong);

  std::vector<scir::GenerationRequest> requests;
  for (int64_t b = 0; b < batch; ++b) {
    const torch::Tensor row = prompts[b].contiguous();
    requests.push_back(
        {std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + prompt_length),
         static_cast<uint64_t>(b), 0});
  }
  scir::SamplingOptions options;
  options.greedy = true;
  options.max_new_tokens = new_tokens;
  generate_without_cache(model, prompts.narrow(1, 0, 4), 2);  // warm-up

  auto start = Clock::now();
  auto cached =
      scir::generate(model, requests, options, /*stop_ids=*/{}, scir::ByteTokenizer::kPad);
  for (int64_t r = 1; r < repeats; ++r)
    cached = scir::generate(model, requests, options, {}, scir::ByteTokenizer::kPad);
  const double cached_seconds =
      std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(repeats);
  if (repeats > 1) {
    std::cout << "  KV cache:   " << static_cast<double>(batch * new_tokens) / cached_seconds
              << " tokens/s (mean of " << repeats << " runs)\n";
    return 0;
  }
  start = Clock::now();
  const auto recomputed = generate_without_cache(model, prompts, new_tokens);
  const double recompute_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const double tokens = static_cast<double>(batch * new_tokens);
  std::cout << "generation, batch " << batch << ", prompt " << prompt_length << ", " << new_tokens
            << " new tokens, " << threads << " thread(s), " << config.parameter_count()
            << " parameters\n"
            << "  KV cache:   " << tokens / cached_seconds << " tokens/s\n"
            << "  recompute:  " << tokens / recompute_seconds << " tokens/s\n"
            << "  speed-up:   " << recompute_seconds / cached_seconds << "x\n"
            << "  same tokens: " << (cached == recomputed ? "yes" : "no") << "\n";
  return cached == recomputed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return scir::bench::bench_main("scir_bench_kv_cache", argc, argv, run);
}
