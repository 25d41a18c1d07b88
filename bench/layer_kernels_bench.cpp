// One layer's attention and SwiGLU on the CPU: our one-pass kernels (model/cpu_attention,
// model/swiglu) against the operator formulas they are tested against, forward and forward +
// backward, at every vector level this CPU runs, in one run. Usage:
//   scir_bench_layer_kernels [--threads 1] [--batch 16] [--steps 40] [--heads 16] [--kv-heads 8]
//                            [--hidden 128] [--intermediate 352] [--calls 50] [--runs 5]
// Times are the best of --runs runs of --calls calls, in ms a call. The defaults are the demo's
// layer (16 heads of 8, SwiGLU 352) at the phase bench's batch (16 sequences of 40 tokens).
#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <tuple>

#include "bench_program.h"
#include "scir/model/attention_mask.h"
#include "scir/model/cpu_attention.h"
#include "scir/model/swiglu.h"
#include "scir/model/vector_levels.h"

namespace {

// Best time a call of `call` over `runs` runs of `calls` calls, in ms.
double best_ms(const std::function<void()>& call, int64_t calls, int64_t runs) {
  call();  // warm-up: the allocations of the first call
  double best = 1e300;
  for (int64_t run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < calls; ++i) call();
    const std::chrono::duration<double, std::milli> spent =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, spent.count() / static_cast<double>(calls));
  }
  return best;
}

// An operation's forward, and its forward and backward against a fixed upstream gradient.
struct Operation {
  std::function<torch::Tensor(const std::vector<torch::Tensor>&)> apply;
  std::vector<torch::Tensor> inputs;
  torch::Tensor upstream;
};

torch::Tensor run_once(const Operation& op, bool backward) {
  std::vector<torch::Tensor> leaves;
  for (const torch::Tensor& input : op.inputs)
    leaves.push_back(input.detach().requires_grad_(backward));
  torch::Tensor out = op.apply(leaves);
  if (backward) (out * op.upstream).sum().backward();
  return out;
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags = scir::bench::read_flags(argc, argv,
                                                                     {{"--threads", "1"},
                                                                      {"--batch", "16"},
                                                                      {"--steps", "40"},
                                                                      {"--heads", "16"},
                                                                      {"--kv-heads", "8"},
                                                                      {"--hidden", "128"},
                                                                      {"--calls", "50"},
                                                                      {"--intermediate", "352"},
                                                                      {"--runs", "5"}});
  const auto flag = [&](const std::string& name) {
    return scir::bench::positive_flag(name, flags[name]);
  };
  const int64_t threads = flag("--threads"), batch = flag("--batch"), steps = flag("--steps"),
                heads = flag("--heads"), kv_heads = flag("--kv-heads"), hidden = flag("--hidden"),
                inner = flag("--intermediate"), calls = flag("--calls"), runs = flag("--runs");
  if (hidden % heads != 0)
    throw scir::InputError(scir::cat("option '--heads': expected a divisor of --hidden (", hidden,
                                     "), got '", heads, "'"));
  if (heads % kv_heads != 0)
    throw scir::InputError(scir::cat("option '--kv-heads': expected a divisor of --heads (", heads,
                                     "), got '", kv_heads, "'"));
  scir::apply_threads(static_cast<int>(threads));
  const int64_t head_dim = hidden / heads;
  auto generator = at::detail::createCPUGenerator(1);
  const torch::Tensor bias =
      scir::attention_bias(torch::ones({batch, steps}, torch::kLong), 0, 0, torch::kFloat);
  // Queries as the model makes them: [B, T, heads, head_dim] seen as [B, heads, T, head_dim].
  const Operation attention{[&](const std::vector<torch::Tensor>& in) {
                              return scir::attention(in[0].transpose(1, 2), in[1], in[2], bias);
                            },
                            {torch::randn({batch, steps, heads, head_dim}, generator),
                             torch::randn({batch, kv_heads, steps, head_dim}, generator),
                             torch::randn({batch, kv_heads, steps, head_dim}, generator)},
                            torch::randn({batch, steps, heads * head_dim}, generator)};
  Operation attention_formula = attention;
  attention_formula.apply = [&](const std::vector<torch::Tensor>& in) {
    return scir::attention_reference(in[0].transpose(1, 2), in[1], in[2], bias);
  };
  const Operation swiglu{[](const std::vector<torch::Tensor>& in) { return scir::swiglu(in[0]); },
                         {torch::randn({batch * steps, 2 * inner}, generator) * 2},
                         torch::randn({batch * steps, inner}, generator)};
  Operation swiglu_formula = swiglu;
  swiglu_formula.apply = [](const std::vector<torch::Tensor>& in) {
    return scir::swiglu_reference(in[0]);
  };

  std::cout << "one layer, batch " << batch << ", " << steps << " tokens, " << heads << " heads of "
            << head_dim << " (" << kv_heads << " key/value heads), SwiGLU " << inner << ", "
            << threads << " thread(s); ms a call, best of " << runs << " x " << calls << "\n"
            << std::fixed << std::setprecision(3);
  const auto report = [&](const std::string& label, const Operation& op) {
    std::cout << "  " << std::left << std::setw(32) << label << std::right;
    for (const bool backward : {false, true}) {
      std::cout << (backward ? "  fwd+bwd " : "  forward ")
                << best_ms([&] { run_once(op, backward); }, calls, runs);
    }
    std::cout << "\n";
  };
  bool same = true;
  for (const auto& [name, ours, formula] :
       {std::tuple<std::string, const Operation*, const Operation*>{"attention", &attention,
                                                                    &attention_formula},
        {"swiglu", &swiglu, &swiglu_formula}}) {
    report(name + ", operator formula", *formula);
    for (const scir::VectorLevel level : scir::vector_levels_this_cpu_runs()) {
      scir::pin_vector_level(level);
      same = same && torch::allclose(run_once(*ours, false), run_once(*formula, false), 1e-4, 1e-5);
      report(name + ", one pass, " + scir::vector_level_name(level), *ours);
    }
  }
  scir::pin_vector_level(std::nullopt);
  std::cout << "  same values: " << (same ? "yes" : "no") << "\n";
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return scir::bench::bench_main("scir_bench_layer_kernels", argc, argv, run);
}
