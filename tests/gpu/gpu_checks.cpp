// Checks of the CUDA path against the CPU, for a machine with an NVIDIA GPU (tests/gpu/run.sh):
// the same random model on both devices must give the same logits, response log-probs, greedy
// tokens, gradients and SCIR step; bfloat16 must stay near float32; and the NCCL communicator
// (bootstrapped over SerialComm: one process, one GPU) must move the values it is given and
// give the same optimiser step as SerialComm. GoogleTest assertions; exit 0 when all pass, 1
// when one fails, 77 (CTest's "skipped") without a CUDA device.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "../unit/tiny_model.h"
#include "scir/core/memory_use.h"
#include "scir/core/platform_info.h"
#include "scir/dist/device_comm.h"
#include "scir/dist/serial_comm.h"
#include "scir/model/generation.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/scir_step.h"
#ifdef SCIR_HAVE_NCCL
#include "scir/dist/nccl_comm.h"
#endif

namespace {

using scir::Transformer;

// ||a - b|| / ||b||, in float64 on the CPU.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor y = b.detach().to(torch::kCPU, torch::kDouble);
  return ((x - y).norm() / y.norm().clamp_min(1e-300)).item<double>();
}

// The largest relative error over the gradients of two models of equal shape.
double gradient_error(Transformer& a, Transformer& b) {
  const auto weights_a = a.named_weights(), weights_b = b.named_weights();
  double worst = 0;
  for (const auto& [name, weight] : weights_b) {
    if (!weight.grad().defined()) continue;
    worst = std::max(worst, relative_error(weights_a.at(name).grad(), weight.grad()));
  }
  return worst;
}

std::shared_ptr<Transformer> model_on(const torch::Device& device,
                                      torch::ScalarType dtype = torch::kFloat) {
  scir::ModelConfig config = scir::testing_support::tiny_config();
  config.vocab_size = scir::ByteTokenizer::kVocabSize;  // the judge needs "A" and "B"
  config.bos_token_id = scir::ByteTokenizer::kBos;
  config.eos_token_id = scir::ByteTokenizer::kEos;
  auto model = scir::testing_support::tiny_model(config, dtype, 11);
  model->to(device);
  return model;
}

// Prompts and responses of different lengths (padding in every batch).
std::vector<scir::PromptResponse> sequences(int64_t count, uint64_t seed) {
  const torch::Tensor ids = scir::testing_support::random_ids(count, 24, 256, seed);
  std::vector<scir::PromptResponse> out;
  for (int64_t i = 0; i < count; ++i) {
    const torch::Tensor row = ids[i].contiguous();
    const int64_t* p = row.data_ptr<int64_t>();
    const int64_t prompt = 3 + i % 7, response = 4 + (i * 5) % 9;
    std::vector<int64_t> prompt_ids{scir::ByteTokenizer::kBos};
    prompt_ids.insert(prompt_ids.end(), p, p + prompt);
    out.push_back({prompt_ids, std::vector<int64_t>(p + prompt, p + prompt + response)});
  }
  return out;
}

torch::Tensor sft_loss(Transformer& model, const std::vector<scir::PromptResponse>& batch) {
  const scir::ResponseLogProbs scored =
      scir::response_logprobs(model, batch, scir::ByteTokenizer::kPad);
  double tokens = 0;
  for (int64_t length : scored.lengths) tokens += static_cast<double>(length);
  return -scored.sum.sum() / tokens;
}

std::vector<scir::TrainingPair> training_pairs(const std::vector<scir::PromptResponse>& a,
                                               const std::vector<scir::PromptResponse>& b) {
  std::vector<scir::TrainingPair> pairs;
  for (size_t i = 0; i < a.size(); ++i) {
    std::string text1(a[i].response.size(), 'x'), text2(b[i].response.size(), 'y');
    for (size_t k = 0; k < text1.size(); ++k)
      text1[k] = static_cast<char>('a' + a[i].response[k] % 26);
    for (size_t k = 0; k < text2.size(); ++k)
      text2[k] = static_cast<char>('a' + b[i].response[k] % 26);
    pairs.push_back({"which is better", a[i].prompt, text1, text2, a[i].response, b[i].response,
                     -20.0 - static_cast<double>(i), -21.0 + static_cast<double>(i)});
  }
  return pairs;
}

const torch::Device kGpu(torch::kCUDA, 0);

// A pairwise judge over bytes with "A" / "B" verdicts (the judge keeps references to the
// tokenizer and template, so all three live together).
struct ByteJudge {
  const scir::ByteTokenizer tokenizer;
  const scir::JudgeTemplate text =
      scir::JudgeTemplate::from_text("Better?\n{instruction}\nA: {response_a}\nB: {response_b}\n",
                                     scir::JudgeKind::kPairwise, "gpu checks");
  const scir::PairwiseJudge judge =
      scir::PairwiseJudge::with_ab_verdicts(tokenizer, scir::ChatTemplate::kNone, text);
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The same random model on the CPU and on the GPU, and a batch with padding.
class CudaAgainstCpu : public ::testing::Test {
 protected:
  std::shared_ptr<Transformer> cpu_model = model_on(torch::kCPU);
  std::shared_ptr<Transformer> gpu_model = model_on(kGpu);
  std::vector<scir::PromptResponse> batch = sequences(6, 3);

  // The batch's prompts as requests with this sample index.
  std::vector<scir::GenerationRequest> requests(uint64_t sample_index) const {
    std::vector<scir::GenerationRequest> out;
    for (size_t i = 0; i < batch.size(); ++i) out.push_back({batch[i].prompt, i, sample_index});
    return out;
  }
  // Temperature 1, top-p 0.9, 12 new tokens.
  static scir::SamplingOptions sampled(uint64_t seed) {
    scir::SamplingOptions options;
    options.temperature = 1.0;
    options.top_p = 0.9;
    options.max_new_tokens = 12;
    options.seed = seed;
    return options;
  }
};

TEST_F(CudaAgainstCpu, Float32LogitsAndResponseLogProbs) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = scir::testing_support::random_ids(3, 10, 256, 5);
  torch::Tensor mask = torch::ones({3, 10}, torch::kLong);
  mask[1].narrow(0, 0, 4).zero_();  // left padding in one row
  EXPECT_LT(relative_error(gpu_model->forward(ids, mask), cpu_model->forward(ids, mask)), 1e-5);
  EXPECT_LT(
      relative_error(scir::response_logprobs(*gpu_model, batch, scir::ByteTokenizer::kPad).sum,
                     scir::response_logprobs(*cpu_model, batch, scir::ByteTokenizer::kPad).sum),
      1e-5);
}

TEST_F(CudaAgainstCpu, GreedyAndSampledTokens) {
  scir::SamplingOptions greedy;
  greedy.greedy = true;
  greedy.max_new_tokens = 12;
  const std::vector<scir::GenerationRequest> requests = this->requests(0);
  const auto on_gpu = scir::generate(*gpu_model, requests, greedy, {}, scir::ByteTokenizer::kPad);
  const auto on_cpu = scir::generate(*cpu_model, requests, greedy, {}, scir::ByteTokenizer::kPad);
  EXPECT_EQ(on_gpu, on_cpu);
  // Sampling decides on the GPU (sample_top_p_rows) and on the host (sample_top_p) by the
  // same rule from the same streams.
  const auto drawn_gpu =
      scir::generate(*gpu_model, requests, sampled(4), {}, scir::ByteTokenizer::kPad);
  const auto drawn_cpu =
      scir::generate(*cpu_model, requests, sampled(4), {}, scir::ByteTokenizer::kPad);
  EXPECT_EQ(drawn_gpu, drawn_cpu);
  EXPECT_NE(drawn_gpu, on_gpu);  // the sampled tokens are not the greedy ones
}

// Two slots refilled as 6 requests finish at different steps, with the decoding step replayed
// from a CUDA graph or eager, sample on the GPU what one batch samples on the CPU.
TEST_F(CudaAgainstCpu, RefilledSlotsAndTheGraphedStepSampleWhatTheCpuSamples) {
  const std::vector<scir::GenerationRequest> requests = this->requests(1);
  const auto free_run =
      scir::generate(*cpu_model, requests, sampled(5), {}, scir::ByteTokenizer::kPad);
  const std::vector<int64_t> stops = {free_run[0][3], free_run[2][7]};
  const auto on_cpu =
      scir::generate(*cpu_model, requests, sampled(5), stops, scir::ByteTokenizer::kPad);
  for (const bool graph : {true, false}) {
    for (const int64_t slots : {0, 2}) {
      scir::SamplingOptions options = sampled(5);
      options.cuda_graph = graph;
      options.slots = slots;
      EXPECT_EQ(scir::generate(*gpu_model, requests, options, stops, scir::ByteTokenizer::kPad),
                on_cpu)
          << (graph ? "graph" : "eager") << ", " << slots << " slots";
    }
  }
}

TEST_F(CudaAgainstCpu, SftLossGradients) {
  sft_loss(*gpu_model, batch).backward();
  sft_loss(*cpu_model, batch).backward();
  EXPECT_LT(gradient_error(*gpu_model, *cpu_model), 1e-4);
}

TEST_F(CudaAgainstCpu, ScirStepLossKeptPairsAndGradients) {
  const ByteJudge byte_judge;
  const scir::PairwiseJudge& judge = byte_judge.judge;
  const auto pairs = training_pairs(batch, sequences(6, 9));
  scir::SerialComm comm;
  const scir::ScirSettings settings;
  const scir::ScirStepStats on_gpu = scir::scir_step(*gpu_model, judge, pairs, settings, comm);
  const scir::ScirStepStats on_cpu = scir::scir_step(*cpu_model, judge, pairs, settings, comm);
  EXPECT_LT(std::abs(on_gpu.loss - on_cpu.loss) / std::abs(on_cpu.loss), 1e-5);
  EXPECT_EQ(on_gpu.kept, on_cpu.kept);
  EXPECT_LT(gradient_error(*gpu_model, *cpu_model), 1e-4);
}

TEST_F(CudaAgainstCpu, Bfloat16LogProbsStayNearFloat32) {
  torch::NoGradGuard no_grad;
  auto bf16_model = model_on(kGpu, torch::kBFloat16);
  EXPECT_LT(
      relative_error(scir::response_logprobs(*bf16_model, batch, scir::ByteTokenizer::kPad).sum,
                     scir::response_logprobs(*cpu_model, batch, scir::ByteTokenizer::kPad).sum),
      3e-2);
}

// One SCIR training step of a Mistral-7B shape (random weights) in bfloat16 on one GPU, as a run
// takes it: activation checkpointing, log-probs and losses in float32, float32 master weights and
// AdamW moments. It must fit, give a finite loss and move the weights; its peak is printed.
TEST(MistralSevenBillionShape, OneScirStepWithActivationCheckpointingFitsOneGpu) {
  scir::ModelConfig config = scir::testing_support::mistral_7b_config();
  config.max_position_embeddings = 4096;
  config.bos_token_id = scir::ByteTokenizer::kBos;
  config.eos_token_id = scir::ByteTokenizer::kEos;
  const auto started = std::chrono::steady_clock::now();
  auto model = std::make_shared<Transformer>(config, torch::kBFloat16);  // LibTorch's own init
  model->to(kGpu);
  model->set_activation_checkpointing(true);
  const double load_seconds = seconds_since(started);

  // Eight pairs of 64-token prompts and 192-token responses; pi_ref = pi_theta.
  const int64_t count = 8;
  const torch::Tensor ids = scir::testing_support::random_ids(2 * count, 256, 32000, 17);
  std::vector<scir::PromptResponse> first, second;
  for (int64_t i = 0; i < 2 * count; ++i) {
    const torch::Tensor row = ids[i].contiguous();
    const int64_t* p = row.data_ptr<int64_t>();
    (i < count ? first : second)
        .push_back({std::vector<int64_t>(p, p + 64), std::vector<int64_t>(p + 64, p + 256)});
  }
  for (int64_t i = 0; i < count; ++i) second[i].prompt = first[i].prompt;
  auto pairs = training_pairs(first, second);
  const auto [ref1, ref2] =
      scir::paired_response_logprobs(*model, first, second, scir::ByteTokenizer::kPad, 4);
  for (int64_t i = 0; i < count; ++i) pairs[i].ref_logp1 = ref1[i], pairs[i].ref_logp2 = ref2[i];

  const ByteJudge byte_judge;
  const scir::PairwiseJudge& judge = byte_judge.judge;
  scir::SerialComm host;
  scir::DeviceComm comm(host, 0);
  const torch::Tensor before = model->named_weights().at("lm_head.weight").detach().clone();
  scir::reset_device_peak(kGpu);
  const auto step_started = std::chrono::steady_clock::now();
  const scir::ScirSettings settings;
  const scir::ScirStepStats stats = scir::scir_step(*model, judge, pairs, settings, comm);
  scir::AdamWSettings adamw;
  adamw.lr = 1e-5;
  scir::DataParallelOptimizer optimizer(comm, model->parameters(), adamw, {});
  const double norm = optimizer.step(1.0, "7B-shape check");
  scir::synchronize_device(kGpu);
  const double step_seconds = seconds_since(step_started);
  const scir::DeviceMemory memory = scir::device_memory(kGpu);
  std::cout << "Mistral-7B shape, " << config.parameter_count() << " parameters, bfloat16: "
            << "built and moved in " << load_seconds << " s; SCIR step of " << count
            << " pairs (64 + 192 tokens) with the optimiser step in " << step_seconds << " s, loss "
            << stats.loss << ", kept " << stats.kept << ", gradient norm " << norm
            << ", peak GPU memory " << scir::megabytes(static_cast<double>(memory.peak)) << " ("
            << optimizer.describe_memory() << ")\n";
  EXPECT_TRUE(std::isfinite(stats.loss));
  EXPECT_TRUE(std::isfinite(norm));
  EXPECT_GT(relative_error(model->named_weights().at("lm_head.weight"), before), 0);
}

#ifdef SCIR_HAVE_NCCL
TEST(NcclComm, CollectivesOverOneRankMoveTheValuesTheyAreGiven) {
  scir::SerialComm bootstrap;
  scir::NcclComm nccl(bootstrap, 0);
  const auto options = torch::TensorOptions(kGpu).dtype(torch::kFloat);
  const torch::Tensor values = torch::randn({1000}, options);
  torch::Tensor summed = values.clone();
  nccl.all_reduce(summed, scir::ReduceOp::kSum);
  torch::Tensor averaged = values.clone();
  nccl.all_reduce(averaged, scir::ReduceOp::kAverage);
  EXPECT_EQ(relative_error(summed, values), 0);
  EXPECT_EQ(relative_error(averaged, values), 0);
  torch::Tensor half = values.to(torch::kBFloat16);
  nccl.broadcast(half, 0);
  const torch::Tensor gathered = nccl.all_gather(values.view({10, 100}));
  const auto varied = nccl.all_gather_varied(torch::empty({0, 3}, options));
  EXPECT_TRUE(gathered.sizes().equals({1, 10, 100}));
  ASSERT_EQ(varied.size(), 1u);
  EXPECT_TRUE(varied[0].sizes().equals({0, 3}));
  EXPECT_EQ(relative_error(gathered[0].view({1000}), values), 0);
  EXPECT_EQ(relative_error(half, values.to(torch::kBFloat16)), 0);
  EXPECT_EQ(relative_error(nccl.reduce_scatter(values, scir::ReduceOp::kSum), values), 0);
}

TEST(NcclComm, OptimiserStepOverNcclBucketsEqualsTheSerialStep) {
  scir::SerialComm bootstrap;
  scir::NcclComm nccl(bootstrap, 0);
  auto over_nccl = model_on(kGpu), over_serial = model_on(kGpu);
  const auto batch = sequences(4, 21);
  sft_loss(*over_nccl, batch).backward();
  sft_loss(*over_serial, batch).backward();
  const scir::AdamWSettings adamw;
  scir::DataParallelSettings parallel;
  parallel.sync.bucket_elements = 777;  // several buckets of odd size
  scir::DataParallelOptimizer step_nccl(nccl, over_nccl->parameters(), adamw, parallel);
  scir::DataParallelOptimizer step_serial(bootstrap, over_serial->parameters(), adamw, parallel);
  step_nccl.step(1.0, "gpu check");
  step_serial.step(1.0, "gpu check");
  const auto serial_weights = over_serial->named_weights();
  for (const auto& [name, weight] : over_nccl->named_weights())
    EXPECT_EQ(relative_error(weight, serial_weights.at(name)), 0) << name;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::cout << "no CUDA device visible: GPU checks skipped\n";
    return 77;
  }
#ifndef SCIR_HAVE_NCCL
  std::cout << "NCCL communicator not compiled in this build: its checks skipped\n";
#endif
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS() == 0 ? 0 : 1;
}
