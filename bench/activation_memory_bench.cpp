// Peak memory of one training step (forward and backward of the response log-probs) with and
// without activation checkpointing, same model, same batch, in one run: each variant in a
// child process of its own, which reports its peak resident memory above what it held once the
// model was built. Usage:
//   scir_bench_activation_memory [--threads 1] [--batch 8] [--tokens 256] [--layers 4]
//                                [--hidden 256]
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include "bench_program.h"
#include "scir/core/memory_use.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/model/transformer.h"

namespace {

// One step in this process: the bytes above the built model at the step's peak.
double step_peak_above_model(const scir::ModelConfig& config, int64_t batch, int64_t tokens,
                             bool checkpointing) {
  scir::Transformer model(config);
  model.init_weights(1);
  model.set_activation_checkpointing(checkpointing);
  std::vector<scir::PromptResponse> sequences;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int64_t> prompt(static_cast<size_t>(tokens / 2), 3 + b % 7);
    std::vector<int64_t> response(static_cast<size_t>(tokens - tokens / 2), 11 + b % 5);
    sequences.push_back({prompt, response});
  }
  const double before = static_cast<double>(scir::resident_bytes());
  const scir::ResponseLogProbs scored = scir::response_logprobs(model, sequences, 0);
  scored.sum.sum().backward();
  return static_cast<double>(scir::peak_resident_bytes()) - before;
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags = scir::bench::read_flags(argc, argv,
                                                                     {{"--threads", "1"},
                                                                      {"--batch", "8"},
                                                                      {"--tokens", "256"},
                                                                      {"--layers", "4"},
                                                                      {"--hidden", "256"}});
  const auto flag = [&](const std::string& name) {
    return scir::bench::positive_flag(name, flags[name]);
  };
  const int64_t batch = flag("--batch"), tokens = flag("--tokens"), hidden = flag("--hidden");
  scir::ModelConfig config;
  config.hidden_size = hidden;
  config.intermediate_size = hidden * 11 / 4;
  config.num_hidden_layers = flag("--layers");
  config.num_attention_heads = std::max<int64_t>(1, hidden / 64);
  config.num_key_value_heads = config.num_attention_heads;
  config.head_dim = hidden / config.num_attention_heads;
  config.vocab_size = 256;
  config.max_position_embeddings = tokens;
  config.validate("the bench's flags");
  double peaks[2] = {0, 0};
  for (int checkpointing = 0; checkpointing < 2; ++checkpointing) {
    // A child a variant, forked before this process runs any LibTorch operator or thread.
    int channel[2];
    if (pipe(channel) != 0) throw scir::InternalError("pipe failed");
    const pid_t child = fork();
    if (child == 0) {
      close(channel[0]);
      scir::apply_threads(static_cast<int>(flag("--threads")));
      const double peak = step_peak_above_model(config, batch, tokens, checkpointing == 1);
      const ssize_t written = write(channel[1], &peak, sizeof(peak));
      _exit(written == sizeof(peak) ? 0 : 1);
    }
    close(channel[1]);
    const ssize_t got = read(channel[0], &peaks[checkpointing], sizeof(double));
    close(channel[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (got != sizeof(double) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw scir::InternalError("a bench child failed");
  }
  std::cout << "one training step, " << config.num_hidden_layers << " layers of width " << hidden
            << ", batch " << batch << " x " << tokens << " tokens, float32, " << flags["--threads"]
            << " thread(s)\n"
            << "peak resident memory above the built model: plain " << peaks[0] / 1e6
            << " MB, activation checkpointing " << peaks[1] / 1e6 << " MB (ratio "
            << peaks[1] / peaks[0] << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return scir::bench::bench_main("scir_bench_activation_memory", argc, argv, run);
}
