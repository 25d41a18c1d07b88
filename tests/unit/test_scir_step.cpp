#include <gtest/gtest.h>

#include <cmath>

#include "scir/core/errors.h"
#include "scir/dist/serial_comm.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/scir_step.h"
#include "tiny_model.h"

namespace scir {
namespace {

class ScirStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelConfig config = testing_support::tiny_config();
    config.vocab_size = ByteTokenizer::kVocabSize;
    policy = std::make_shared<Transformer>(config);
    policy->init_weights(5);
    torch::NoGradGuard no_grad;
    for (auto& [name, weight] : policy->named_weights()) {
      if (weight.dim() == 2) weight.mul_(10.0);  // a judge with opinions
    }
  }

  // Pairs whose reference log-probs are the policy's own (pi_ref = pi_theta).
  std::vector<TrainingPair> pairs_with_self_reference() {
    const std::vector<std::array<std::string, 3>> texts = {
        {"sort: 3 1 2", "1 2 3", "1 3 2"}, {"max: 4 9 2", "9", "4"}, {"evens: 1 2 4", "2 4", "4"}};
    std::vector<TrainingPair> pairs;
    for (const auto& [instruction, a, b] : texts) {
      TrainingPair pair;
      pair.instruction = instruction;
      pair.prompt = prompt_ids(tokenizer, ChatTemplate::kPlain, instruction);
      pair.text1 = a;
      pair.text2 = b;
      pair.response1 = tokenizer.encode(a);
      pair.response1.push_back(ByteTokenizer::kEos);
      pair.response2 = tokenizer.encode(b);
      pair.response2.push_back(ByteTokenizer::kEos);
      pairs.push_back(pair);
    }
    torch::NoGradGuard no_grad;
    std::vector<PromptResponse> sequences;
    for (const auto& pair : pairs) sequences.push_back({pair.prompt, pair.response1});
    for (const auto& pair : pairs) sequences.push_back({pair.prompt, pair.response2});
    const auto reference = response_logprobs(*policy, sequences, ByteTokenizer::kPad).sum;
    for (size_t i = 0; i < pairs.size(); ++i) {
      pairs[i].ref_logp1 = reference[i].item<double>();
      pairs[i].ref_logp2 = reference[i + pairs.size()].item<double>();
    }
    return pairs;
  }

  PairwiseJudge judge() const {
    return {tokenizer, ChatTemplate::kPlain, judge_template, 'A', 'B'};
  }

  ByteTokenizer tokenizer;
  JudgeTemplate judge_template = JudgeTemplate::from_text(
      "judge {instruction}\nA: {response_a}\nB: {response_b}\nbetter:", JudgeKind::kPairwise,
      "test");
  std::shared_ptr<Transformer> policy;
  SerialComm comm;
};

TEST_F(ScirStepTest, IrmIsExactlyOneHalfWhenPolicyIsTheReference) {
  const auto pairs = pairs_with_self_reference();
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, ScirSettings{}, comm);
  ASSERT_EQ(stats.p_irm.size(), 3u);
  for (double p : stats.p_irm) EXPECT_EQ(p, 0.5);
  // Tie rule grm: every pair with a judge opinion is kept with the judge's label.
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(stats.p_grm[i], 0.5);
    EXPECT_EQ(stats.kept_label[i], stats.p_grm[i] > 0.5 ? 1 : 0);
  }
  EXPECT_EQ(stats.kept, 3);
  EXPECT_EQ(stats.agreements, 0);  // P_I = 1/2 agrees with nobody
}

TEST_F(ScirStepTest, LossIsDpoOnKeptPlusLambdaConsistency) {
  const auto pairs = pairs_with_self_reference();
  ScirSettings settings;
  settings.lambda = 0.7;
  settings.gamma = 0.2;
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm);
  // h = 0 on every pair (policy = reference): sigmoid DPO is log 2 on each kept pair.
  EXPECT_NEAR(stats.loss_dpo, std::log(2.0), 1e-6);
  EXPECT_NEAR(stats.margin, 0.0, 1e-6);
  // Consistency with P_I = 1/2, from the P_G values the step saw.
  double sym = 0, ent = 0;
  for (double p : stats.p_grm) {
    sym += 0.5 * (p - 0.5) * std::log(p / (1 - p));
    const double mean = (p + 0.5) / 2;
    ent += -(mean * std::log(mean) + (1 - mean) * std::log(1 - mean));
  }
  EXPECT_NEAR(stats.loss_sym, sym / 3, 1e-6);
  EXPECT_NEAR(stats.loss_ent, ent / 3, 1e-6);
  EXPECT_NEAR(stats.loss, std::log(2.0) + 0.7 * (sym / 3 + 0.2 * ent / 3), 1e-5);
}

// The confidence gate: only pairs on which both reward models are at least `cons_gate` away
// from 1/2 enter L_cons, which is still averaged over every pair of the batch.
TEST_F(ScirStepTest, ConfidenceGateKeepsOnlyConfidentPairsInTheConsistencyLoss) {
  auto pairs = pairs_with_self_reference();
  // P_I: sigmoid(0.1 x 5) on pair 1 (0.12 from 1/2), sigmoid(0.1 x 0.5) on pair 2 (0.0125),
  // 1/2 on pair 3, which the gate therefore always leaves out.
  pairs[0].ref_logp1 -= 5.0;
  pairs[1].ref_logp1 -= 0.5;
  ScirSettings settings;
  settings.gamma = 0.2;
  settings.lambda = 0.7;
  settings.cons_gate = 0.005;
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm);
  EXPECT_NEAR(stats.p_irm[0], 1 / (1 + std::exp(-0.5)), 1e-6);
  EXPECT_NEAR(stats.p_irm[1], 1 / (1 + std::exp(-0.05)), 1e-6);
  EXPECT_EQ(stats.p_irm[2], 0.5);
  const auto logit = [](double p) { return std::log(p / (1 - p)); };
  double sym = 0, ent = 0, entering = 0;
  for (size_t k = 0; k < 3; ++k) {
    const double g = stats.p_grm[k], i = stats.p_irm[k], mean = (g + i) / 2;
    if (std::abs(g - 0.5) < 0.005 || std::abs(i - 0.5) < 0.005) continue;
    entering += 1;
    sym += 0.5 * (g - i) * (logit(g) - logit(i));
    ent += -(mean * std::log(mean) + (1 - mean) * std::log(1 - mean));
  }
  ASSERT_GE(entering, 1) << "the test needs a judge confident on pair 1 or 2";
  EXPECT_EQ(stats.gated, entering);
  EXPECT_NEAR(stats.loss_sym, sym / 3, 1e-6);
  EXPECT_NEAR(stats.loss_ent, ent / 3, 1e-6);
  EXPECT_NEAR(stats.loss, stats.loss_dpo + 0.7 * (sym / 3 + 0.2 * ent / 3), 1e-5);
  // Without the gate every pair enters.
  settings.cons_gate = 0;
  EXPECT_EQ(scir_step(*policy, judge(), pairs, settings, comm).gated, 3);
}

TEST_F(ScirStepTest, TieRuleDropLeavesOnlyTheConsistencyLoss) {
  const auto pairs = pairs_with_self_reference();
  ScirSettings settings;
  settings.tie_rule = TieRule::kDrop;
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm);
  EXPECT_EQ(stats.kept, 0);
  EXPECT_NEAR(stats.loss, settings.lambda * (stats.loss_sym + settings.gamma * stats.loss_ent),
              1e-6);
  EXPECT_GT(stats.loss, 0);
  // The consistency loss alone still moves the judge.
  double gradient = 0;
  for (const auto& [name, weight] : policy->named_weights()) {
    if (weight.grad().defined()) gradient += weight.grad().abs().sum().item<double>();
  }
  EXPECT_GT(gradient, 0);
}

TEST_F(ScirStepTest, LabelledDpoStepRaisesTheChosenOverTheRejected) {
  auto pairs = pairs_with_self_reference();
  for (auto& pair : pairs) pair.fixed_label = 1;
  ScirSettings settings;
  settings.method = {LabelSource::kOracle, false};
  settings.nll_weight = 0.5;
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm);
  EXPECT_EQ(stats.kept, 3);
  // log 2 plus the NLL term: 0.5 x (mean NLL a token of the chosen responses).
  double chosen_nll = 0, chosen_tokens = 0;
  for (const auto& pair : pairs) {
    chosen_nll -= pair.ref_logp1;
    chosen_tokens += pair.response1.size();
  }
  EXPECT_NEAR(stats.loss, std::log(2.0) + 0.5 * chosen_nll / chosen_tokens, 1e-5);
  // One small gradient step widens every pair's margin.
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, weight] : policy->named_weights()) {
      if (weight.grad().defined()) weight.sub_(1e-3 * weight.grad());
    }
  }
  const ScirStepStats after = scir_step(*policy, judge(), pairs, settings, comm);
  EXPECT_GT(after.margin, 0.0);
  EXPECT_LT(after.loss_dpo, std::log(2.0));
}

TEST_F(ScirStepTest, MethodsChooseTheirLabels) {
  const auto pairs = pairs_with_self_reference();
  ScirSettings no_select;
  no_select.method = {LabelSource::kMeanPreference, true};
  EXPECT_EQ(scir_step(*policy, judge(), pairs, no_select, comm).kept, 3);
  ScirSettings irm_only;
  irm_only.method = {LabelSource::kImplicitReward, false};
  const ScirStepStats irm = scir_step(*policy, judge(), pairs, irm_only, comm);
  EXPECT_EQ(irm.kept, 0);  // P_I = 1/2 everywhere: no label from the IRM
  EXPECT_EQ(irm.loss, 0.0);
  ScirSettings no_cons;
  no_cons.method = {LabelSource::kAgreement, false};
  const ScirStepStats without = scir_step(*policy, judge(), pairs, no_cons, comm);
  EXPECT_NEAR(without.loss, std::log(2.0), 1e-6);  // no consistency term
}

}  // namespace
}  // namespace scir

namespace scir {
namespace {

TEST_F(ScirStepTest, PointwiseScoresAreTheExpectedDigitAndDrivePG) {
  const JudgeTemplate rate = JudgeTemplate::from_text(
      "rate {instruction}\nanswer: {response}\nscore:", JudgeKind::kPointwise, "test");
  const PointwiseJudge pointwise{tokenizer, ChatTemplate::kPlain, rate,
                                 PointwiseJudge::digit_tokens(tokenizer), 0.5};
  torch::NoGradGuard no_grad;
  const torch::Tensor scores =
      expected_scores(*policy, pointwise, {"max: 4 9 2", "sort: 2 1"}, {"9", "2 1"});
  for (int i = 0; i < 2; ++i) {
    const std::vector<std::string> instruction = {"max: 4 9 2", "sort: 2 1"};
    const std::vector<std::string> response = {"9", "2 1"};
    const auto ids = prompt_ids(tokenizer, ChatTemplate::kPlain,
                                rate.render_pointwise(instruction[i], response[i]));
    const torch::Tensor input = torch::tensor(ids, torch::kLong).unsqueeze(0);
    const torch::Tensor logits =
        policy->forward(input, torch::ones_like(input))[0][input.size(1) - 1];
    double expected = 0, total = 0;
    for (int k = 0; k < 6; ++k) total += std::exp(logits['0' + k].item<double>());
    for (int k = 0; k < 6; ++k) expected += k * std::exp(logits['0' + k].item<double>()) / total;
    EXPECT_NEAR(scores[i].item<double>(), expected, 1e-5);
    EXPECT_GE(scores[i].item<double>(), 0.0);
    EXPECT_LE(scores[i].item<double>(), 5.0);
  }
  // In the step, P_G comes from the scores: sigmoid((s1 - s2) / tau).
  auto pairs = pairs_with_self_reference();
  ScirSettings settings;
  settings.pointwise_grm = true;
  torch::AutoGradMode grad(true);
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm, &pointwise);
  const torch::Tensor s =
      expected_scores(*policy, pointwise, {pairs[0].instruction, pairs[0].instruction},
                      {pairs[0].text1, pairs[0].text2});
  EXPECT_NEAR(stats.p_grm[0], 1 / (1 + std::exp(-(s[0] - s[1]).item<double>() / 0.5)), 1e-5);
  EXPECT_THROW(scir_step(*policy, judge(), pairs, settings, comm), InternalError);
}

// The named methods are distinct rows, and a row no name holds runs as well: labels from the
// implicit reward with the consistency loss computes the judge for L_cons alone.
TEST_F(ScirStepTest, AMethodIsARowOfSwitches) {
  const auto& rows = method_rows();
  ASSERT_EQ(rows.size(), 7u);
  for (size_t a = 0; a < rows.size(); ++a) {
    for (size_t b = a + 1; b < rows.size(); ++b)
      EXPECT_FALSE(rows[a].second == rows[b].second) << rows[a].first << " " << rows[b].first;
  }
  EXPECT_FALSE((MethodRow{LabelSource::kImplicitReward, false}.judge_in_step()));
  EXPECT_FALSE((MethodRow{LabelSource::kOracle, true}.judge_in_step()));
  const auto pairs = pairs_with_self_reference();
  ScirSettings settings;
  settings.method = {LabelSource::kImplicitReward, true};
  const ScirStepStats stats = scir_step(*policy, judge(), pairs, settings, comm);
  EXPECT_EQ(stats.kept, 0);  // P_I = 1/2 on every pair: no label
  for (double p : stats.p_grm) EXPECT_NE(p, 0.5);
  EXPECT_NEAR(stats.loss, settings.lambda * (stats.loss_sym + settings.gamma * stats.loss_ent),
              1e-6);
  EXPECT_GT(stats.loss, 0);
}

}  // namespace
}  // namespace scir
