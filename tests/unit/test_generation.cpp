#include <gtest/gtest.h>

#include "scir/core/errors.h"
#include "scir/core/rng.h"
#include "scir/model/generation.h"
#include "scir/model/stream_uniforms.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::tiny_model;

TEST(SampleTopP, KeepsTheSmallestNucleusReachingTopP) {
  // Probabilities 0.5, 0.3, 0.2 (logits are their logs; temperature 1).
  const float logits[3] = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  // top_p 0.6: the nucleus is {0, 1} (0.5 < 0.6 <= 0.8); u splits it 0.5 : 0.3.
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 0.6, 0.0), 0);
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 0.6, 0.62), 0);   // 0.62 * 0.8 = 0.496 < 0.5
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 0.6, 0.63), 1);   // 0.504 >= 0.5
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 0.6, 0.999), 1);  // never token 2
  // top_p 1: everything; u near 1 reaches the least likely token.
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 1.0, 0.95), 2);
  // A tiny top_p keeps only the most likely token.
  EXPECT_EQ(sample_top_p(logits, 3, 1.0, 0.01, 0.99), 0);
  // A low temperature sharpens: at T = 0.1, token 0 holds > 99% of the mass.
  EXPECT_EQ(sample_top_p(logits, 3, 0.1, 1.0, 0.99), 0);
}

TEST(SampleTopP, RowsAtOnceChooseWhatEachRowChoosesAlone) {
  // Random logits with ties (rounded to a coarse grid), many u, several temperatures and top_p.
  auto generator = at::detail::createCPUGenerator(5);
  const int64_t rows = 300, vocab = 50;
  const torch::Tensor logits =
      (torch::randn({rows, vocab}, generator) * 4).round().div(2).to(torch::kFloat).contiguous();
  const torch::Tensor u = torch::rand({rows}, generator, torch::kDouble);
  for (const auto& [temperature, top_p] :
       {std::pair{1.0, 0.9}, std::pair{0.7, 1.0}, std::pair{2.0, 0.3}, std::pair{0.3, 0.05}}) {
    const torch::Tensor batched = sample_top_p_rows(logits, temperature, top_p, u);
    int64_t same = 0;
    for (int64_t b = 0; b < rows; ++b) {
      same += batched[b].item<int64_t>() == sample_top_p(logits[b].data_ptr<float>(), vocab,
                                                         temperature, top_p, u[b].item<double>());
    }
    EXPECT_EQ(same, rows) << "temperature " << temperature << ", top_p " << top_p;
  }
}

TEST(Generate, GreedyEqualsArgmaxOfFullForwards) {
  auto model = tiny_model();
  SamplingOptions options;
  options.greedy = true;
  options.max_new_tokens = 6;
  const std::vector<GenerationRequest> requests = {{{1, 5, 6, 7}, 0, 0}, {{1, 9}, 1, 0}};
  const auto outputs = generate(*model, requests, options, /*stop_ids=*/{2}, /*pad_id=*/0);
  torch::NoGradGuard no_grad;
  for (size_t r = 0; r < requests.size(); ++r) {
    std::vector<int64_t> sequence = requests[r].prompt;
    std::vector<int64_t> expected;
    for (int step = 0; step < 6; ++step) {
      const torch::Tensor ids = torch::tensor(sequence, torch::kLong).unsqueeze(0);
      const torch::Tensor logits = model->forward(ids, torch::ones_like(ids))[0][ids.size(1) - 1];
      const int64_t token = logits.argmax().item<int64_t>();
      expected.push_back(token);
      sequence.push_back(token);
      if (token == 2) break;
    }
    EXPECT_EQ(outputs[r], expected) << "request " << r;
  }
}

TEST(Generate, SampleDependsOnlyOnSeedPromptIdAndSampleIndex) {
  auto model = tiny_model();
  SamplingOptions options;
  options.temperature = 1.0;
  options.top_p = 0.95;
  options.max_new_tokens = 8;
  options.seed = 42;
  const GenerationRequest target{{1, 5, 6, 7}, 17, 3};
  const auto alone = generate(*model, {target}, options, {2}, 0);
  const auto batched =
      generate(*model, {{{1, 30, 31, 32, 33, 34}, 4, 0}, target, {{1, 9}, 5, 1}}, options, {2}, 0);
  EXPECT_EQ(alone[0], batched[1]);
  EXPECT_EQ(alone[0].size(), 8u);
  // Another sample index or seed draws another stream.
  GenerationRequest other = target;
  other.sample_index = 4;
  const auto different = generate(*model, {other}, options, {2}, 0);
  SamplingOptions reseeded = options;
  reseeded.seed = 43;
  const auto different_seed = generate(*model, {target}, reseeded, {2}, 0);
  EXPECT_TRUE(different[0] != alone[0] || different_seed[0] != alone[0]);
}

TEST(Generate, StopsRightAfterTheFirstStopId) {
  auto model = tiny_model();
  SamplingOptions options;
  options.greedy = true;
  options.max_new_tokens = 8;
  const GenerationRequest request{{1, 5, 6}, 0, 0};
  const auto free_run = generate(*model, {request}, options, /*stop_ids=*/{}, 0)[0];
  ASSERT_EQ(free_run.size(), 8u);
  const auto up_to = [&](std::initializer_list<int64_t> stops) {
    const auto first =
        std::find_first_of(free_run.begin(), free_run.end(), stops.begin(), stops.end());
    return std::vector<int64_t>(free_run.begin(), first + 1);
  };
  // Declare the third generated token to be EOS: generation must end there, EOS included.
  const int64_t eos = free_run[2];
  EXPECT_EQ(generate(*model, {request, {{1, 7}, 1, 0}}, options, {eos}, 0)[0], up_to({eos}));
  // Llama 3 Instruct ends a turn with <|eot_id|> or <|end_of_text|>: whichever comes first.
  const int64_t later = free_run[5], earlier = free_run[3];
  EXPECT_EQ(generate(*model, {request}, options, {later, earlier}, 0)[0], up_to({later, earlier}));
  EXPECT_EQ(generate(*model, {request}, options, {later}, 0)[0], up_to({later}));
}

// The streams are counters: draw k computed directly, on the host or as tensors, is the k-th
// next_uniform() of the stream, bit for bit (states with the top bit set included, where int64
// arithmetic and signed shifts would go wrong without the masking).
TEST(StreamUniforms, EqualTheHostStreamsDrawForDraw) {
  std::vector<uint64_t> states;
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, ~0ULL})
    for (uint64_t prompt : {0ULL, 7ULL, 1ULL << 40})
      states.push_back(RngStream::derive(seed, {prompt, seed % 5}).state());
  states.push_back(~0ULL);
  states.push_back(1ULL << 63);
  const torch::Tensor on_tensor = stream_states(states, torch::kCPU);
  std::vector<RngStream> streams;
  for (uint64_t state : states) streams.emplace_back(state);
  int64_t top_bit = 0;
  for (uint64_t k = 0; k < 40; ++k) {
    const torch::Tensor drawn = stream_uniforms(on_tensor, k);
    ASSERT_EQ(drawn.scalar_type(), torch::kDouble);
    for (size_t i = 0; i < states.size(); ++i) {
      const double expected = streams[i].next_uniform();
      EXPECT_EQ(RngStream::uniform_at(states[i], k), expected) << i << " draw " << k;
      EXPECT_EQ(drawn[i].item<double>(), expected) << i << " draw " << k;
      top_bit += expected >= 0.5;
    }
  }
  EXPECT_GT(top_bit, 0);  // uniforms whose top bit is set were compared
  // Each stream at its own draw, as rows refilled at different steps draw.
  const torch::Tensor draws = torch::arange(static_cast<int64_t>(states.size())) * 3 % 7;
  const torch::Tensor each = stream_uniforms(on_tensor, draws);
  for (size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(each[i].item<double>(), RngStream::uniform_at(states[i], 3 * i % 7)) << i;
  }
}

// Greedy or sampled (temperature 1, top-p 0.95), 10 new tokens, seed 11.
SamplingOptions ten_tokens(bool greedy) {
  SamplingOptions options;
  options.greedy = greedy;
  options.temperature = 1.0;
  options.top_p = 0.95;
  options.max_new_tokens = 10;
  options.seed = 11;
  return options;
}

// The decode loop that keeps mask, finished flags, stop test and uniforms on the model's device
// (a GPU's; a CPU model's when asked) samples what the host loop samples: greedy and sampled,
// prompts of several lengths, rows stopping at different steps, the host checking for the end
// every step, every 3 steps, or only at the end.
TEST(Generate, TheDeviceLoopSamplesWhatTheHostLoopSamples) {
  auto model = tiny_model();
  const std::vector<GenerationRequest> requests = {
      {{1, 5, 6, 7}, 3, 0}, {{1, 9}, 4, 1}, {{1, 30, 31, 32, 33, 34}, 5, 0}, {{1, 8, 8}, 3, 2}};
  for (const bool greedy : {true, false}) {
    const SamplingOptions options = ten_tokens(greedy);
    const auto free_run = generate(*model, requests, options, {}, 0);
    // Stop ids that end some rows early and leave others running: a token of each row's run.
    const std::vector<int64_t> stops = {free_run[0][2], free_run[1][6]};
    const auto on_host = generate(*model, requests, options, stops, 0);
    ASSERT_NE(on_host[0].size(), 10u);
    for (const int64_t every : {1, 3, 100}) {
      SamplingOptions device = options;
      device.decode_on_device = true;
      device.finished_check_every = every;
      EXPECT_EQ(generate(*model, requests, device, stops, 0), on_host)
          << (greedy ? "greedy" : "sampled") << ", checked every " << every;
      EXPECT_EQ(generate(*model, requests, device, {}, 0), free_run);
    }
  }
}

// Fewer slots than requests: a finished row takes the next waiting request (its prompt run
// alone, its keys placed to end where every row's end), and the cache shifts its live keys to
// the start when it is full. Every request samples what it samples in one batch of all, greedy
// and sampled, with rows stopping at different steps, checked every step or every 3.
TEST(Generate, RefilledSlotsSampleWhatOneBatchSamples) {
  auto model = tiny_model();
  const std::vector<GenerationRequest> requests = {
      {{1, 5, 6, 7}, 3, 0}, {{1, 9}, 4, 1},  {{1, 30, 31, 32, 33, 34}, 5, 0},
      {{1, 8, 8}, 3, 2},    {{1, 12}, 6, 0}, {{1, 20, 21, 22, 23, 24, 25, 26}, 7, 1},
      {{1, 5, 6, 7}, 3, 1}};
  for (const bool greedy : {true, false}) {
    const SamplingOptions options = ten_tokens(greedy);
    const auto free_run = generate(*model, requests, options, {}, 0);
    // Stops that end rows at different steps (a token of three rows' free runs).
    const std::vector<int64_t> stops = {free_run[0][2], free_run[1][6], free_run[4][4]};
    const auto all_at_once = generate(*model, requests, options, stops, 0);
    size_t ended_early = 0;
    for (const auto& sample : all_at_once) ended_early += sample.size() < 10;
    ASSERT_GE(ended_early, 3u);
    for (const int64_t slots : {1, 2, 3}) {
      for (const int64_t every : {1, 3}) {
        SamplingOptions refilled = options;
        refilled.decode_on_device = true;
        refilled.slots = slots;
        refilled.finished_check_every = every;
        // The free runs in one slot take 7 x 9 steps from index 8, past the cache's 8 + 2 x 10
        // positions: the keys were shifted to the start of the cache at least twice.
        EXPECT_EQ(generate(*model, requests, refilled, stops, 0), all_at_once)
            << (greedy ? "greedy" : "sampled") << ", " << slots << " slots, every " << every;
        EXPECT_EQ(generate(*model, requests, refilled, {}, 0), free_run);
      }
      // The host loop decodes `slots` requests at a time.
      SamplingOptions batched = options;
      batched.slots = slots;
      EXPECT_EQ(generate(*model, requests, batched, stops, 0), all_at_once);
    }
  }
  SamplingOptions negative;
  negative.slots = -1;
  EXPECT_THROW(generate(*model, requests, negative, {}, 0), InputError);
}

}  // namespace
}  // namespace scir
