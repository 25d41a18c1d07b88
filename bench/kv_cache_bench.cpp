// Generation tokens/s with the KV cache against recomputing the full forward for every new
// token (greedy, same model, same batch), in one run. Usage:
//   scir_bench_kv_cache [--threads N] [--batch 16] [--new-tokens 64] [--prompt 24] [--repeats 1]
//                       [--heads 16] [--kv-heads 8]
// --repeats R > 1 runs the cached generation R times and skips the comparison (for profiles).
// The model is the embedded demo's (hidden 128, 4 layers, 16 heads / 8 KV heads of 8, bytes).
#include <chrono>
#include <iostream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  int64_t batch = 16, new_tokens = 64, prompt_length = 24, repeats = 1, heads = 16, kv_heads = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long long value = std::stoll(argv[i + 1]);
    if (flag == "--threads")
      threads = static_cast<int>(value);
    else if (flag == "--batch")
      batch = value;
    else if (flag == "--new-tokens")
      new_tokens = value;
    else if (flag == "--prompt")
      prompt_length = value;
    else if (flag == "--repeats")
      repeats = value;
    else if (flag == "--heads")
      heads = value;
    else if (flag == "--kv-heads")
      kv_heads = value;
    else {
      std::cerr << "scir_bench_kv_cache: error: unknown option '" << flag << "'\n";
      return 2;
    }
  }
  scir::restart_with_passive_openmp_wait(argv);
  scir::keep_freed_memory();
  scir::apply_threads(threads);
  scir::ModelConfig config;
  config.hidden_size = 128;
  config.intermediate_size = 352;
  config.num_hidden_layers = 4;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.head_dim = config.hidden_size / heads;
  config.vocab_size = scir::ByteTokenizer::kVocabSize;
  config.max_position_embeddings = 512;
  config.bos_token_id = scir::ByteTokenizer::kBos;
  config.eos_token_id = scir::ByteTokenizer::kEos;
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
  auto cached = scir::generate(model, requests, options, /*eos_id=*/-1, scir::ByteTokenizer::kPad);
  for (int64_t r = 1; r < repeats; ++r)
    cached = scir::generate(model, requests, options, -1, scir::ByteTokenizer::kPad);
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
