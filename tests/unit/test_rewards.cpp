#include <gtest/gtest.h>

#include <cmath>

#include "scir/core/errors.h"
#include "scir/dist/serial_comm.h"
#include "scir/rewards/agreement_stats.h"
#include "scir/rewards/consistency.h"
#include "scir/rewards/grm.h"
#include "scir/rewards/grm_pointwise.h"
#include "scir/rewards/sampled_judge.h"
#include "scir/rewards/selection.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/dpo_loss.h"
#include "tiny_model.h"

namespace scir {
namespace {

double logit(double p) { return std::log(p / (1 - p)); }
torch::Tensor scalar(double value, bool grad = false) {
  return torch::full({1}, value, torch::TensorOptions().dtype(torch::kDouble).requires_grad(grad));
}

TEST(Grm, DebiasedPreferenceAveragesBothOrders) {
  for (const auto& [d1, d2] : {std::pair{2.0, -1.0}, {0.3, 0.3}, {-4.0, 5.0}}) {
    const double expected = 0.5 * (1 / (1 + std::exp(-d1)) + 1 - 1 / (1 + std::exp(-d2)));
    EXPECT_NEAR(debiased_preference(scalar(d1), scalar(d2)).item<double>(), expected, 1e-12);
    const BernoulliLogs logs = grm_bernoulli(scalar(d1), scalar(d2));
    EXPECT_NEAR(logs.log_p.exp().item<double>(), expected, 1e-12);
    EXPECT_NEAR(logs.log_not_p.exp().item<double>(), 1 - expected, 1e-12);
  }
  // A judge that always answers "A" has no preference once both orders are asked.
  EXPECT_NEAR(debiased_preference(scalar(3.0), scalar(3.0)).item<double>(), 0.5, 1e-12);
}

TEST(Consistency, HandComputedValue) {
  // P_G = 0.8 (d1 = logit 0.8, d2 = logit 0.2), P_I = 0.6, gamma = 0.1.
  const BernoulliLogs grm = grm_bernoulli(scalar(logit(0.8)), scalar(logit(0.2)));
  const BernoulliLogs irm = irm_bernoulli(scalar(logit(0.6)));
  const ConsistencyTerms terms = consistency_loss(grm, irm, 0.1);
  EXPECT_NEAR(terms.sym.item<double>(), 0.09808292530117267, 1e-12);
  EXPECT_NEAR(terms.ent.item<double>(), 0.6108643020548935, 1e-12);
  EXPECT_NEAR(terms.total.item<double>(), 0.15916935550666203, 1e-12);
}

TEST(Consistency, SymmetricKlHasItsClosedForm) {
  // 1/2 [KL(p||q) + KL(q||p)] = 1/2 (p - q)(logit p - logit q).
  for (const auto& [p, q] : {std::pair{0.9, 0.2}, {0.51, 0.49}, {0.3, 0.35}, {0.01, 0.99}}) {
    const ConsistencyTerms terms =
        consistency_loss(irm_bernoulli(scalar(logit(p))), irm_bernoulli(scalar(logit(q))), 0.0);
    EXPECT_NEAR(terms.sym.item<double>(), 0.5 * (p - q) * (logit(p) - logit(q)), 1e-12)
        << p << " " << q;
    EXPECT_NEAR(terms.total.item<double>(), terms.sym.item<double>(), 1e-15);
  }
}

TEST(Consistency, EqualInputsHaveZeroSymmetricTermAndTheirEntropy) {
  for (double p : {0.5, 0.7, 0.999}) {
    const ConsistencyTerms terms =
        consistency_loss(irm_bernoulli(scalar(logit(p))), irm_bernoulli(scalar(logit(p))), 0.1);
    EXPECT_NEAR(terms.sym.item<double>(), 0.0, 1e-15);
    EXPECT_NEAR(terms.ent.item<double>(), -(p * std::log(p) + (1 - p) * std::log(1 - p)), 1e-12);
  }
}

TEST(Consistency, ExtremeLogitsStayFiniteWithClampedProbabilities) {
  for (double big : {50.0, 1000.0, 1e30}) {
    const torch::Tensor d1 = scalar(big, true), d2 = scalar(-big, true),
                        margin = scalar(-big, true);
    const ConsistencyTerms terms =
        consistency_loss(grm_bernoulli(d1, d2), irm_bernoulli(margin), 0.1);
    terms.total.sum().backward();
    EXPECT_TRUE(std::isfinite(terms.total.item<double>()));
    for (const torch::Tensor& x : {d1, d2, margin})
      EXPECT_TRUE(std::isfinite(x.grad().item<double>()));
    // Clamped at 1e-6: P_G ~ 1, P_I ~ 0 gives 1/2 (p - q)(logit p - logit q) at the clamps.
    const double p = 1 - 1e-6, q = 1e-6;
    EXPECT_NEAR(terms.sym.item<double>(), 0.5 * (p - q) * (logit(p) - logit(q)), 1e-6);
  }
}

TEST(Consistency, GradientsMatchFiniteDifferences) {
  const double values[3] = {0.7, -1.3, 0.4};  // d1, d2, margin
  const auto loss_at = [](double d1, double d2, double m) {
    return consistency_loss(grm_bernoulli(scalar(d1), scalar(d2)), irm_bernoulli(scalar(m)), 0.1)
        .total.item<double>();
  };
  const torch::Tensor d1 = scalar(values[0], true), d2 = scalar(values[1], true),
                      m = scalar(values[2], true);
  consistency_loss(grm_bernoulli(d1, d2), irm_bernoulli(m), 0.1).total.sum().backward();
  const double step = 1e-6;
  const double analytic[3] = {d1.grad().item<double>(), d2.grad().item<double>(),
                              m.grad().item<double>()};
  for (int k = 0; k < 3; ++k) {
    double up[3] = {values[0], values[1], values[2]}, down[3] = {values[0], values[1], values[2]};
    up[k] += step;
    down[k] -= step;
    const double numeric =
        (loss_at(up[0], up[1], up[2]) - loss_at(down[0], down[1], down[2])) / (2 * step);
    EXPECT_NEAR(analytic[k], numeric, 1e-8) << "input " << k;
    EXPECT_GT(std::abs(analytic[k]), 1e-4);
  }
}

TEST(Consistency, StopGradientFreezesTheChosenSide) {
  for (auto mode : {ConsistencyStopGrad::kGrm, ConsistencyStopGrad::kIrm}) {
    const torch::Tensor d1 = scalar(1.0, true), d2 = scalar(-0.5, true), m = scalar(-0.3, true);
    consistency_loss(grm_bernoulli(d1, d2), irm_bernoulli(m), 0.1, mode).total.sum().backward();
    const bool grm_frozen = mode == ConsistencyStopGrad::kGrm;
    EXPECT_EQ(!d1.grad().defined() || d1.grad().item<double>() == 0.0, grm_frozen);
    EXPECT_EQ(!m.grad().defined() || m.grad().item<double>() == 0.0, !grm_frozen);
  }
  EXPECT_EQ(consistency_stopgrad_names().size(), 4u);
  // `reliable` is a side chosen per iteration, never a mode of the loss itself.
  EXPECT_THROW(
      consistency_loss(grm_bernoulli(scalar(1.0, true), scalar(-0.5, true)),
                       irm_bernoulli(scalar(-0.3, true)), 0.1, ConsistencyStopGrad::kReliable),
      InternalError);
  EXPECT_EQ(reliable_side(0.7, 0.6), ConsistencyStopGrad::kGrm);
  EXPECT_EQ(reliable_side(0.6, 0.6), ConsistencyStopGrad::kGrm);  // a tie keeps the judge fixed
  EXPECT_EQ(reliable_side(0.6, 0.7), ConsistencyStopGrad::kIrm);
}

TEST(Selection, AgreeDisagreeTieAndDelta) {
  //                 agree   agree(<)  disagree  IRM tie  IRM tie  agree, weak  both tie
  const std::vector<double> p_g = {0.9, 0.2, 0.8, 0.7, 0.5, 0.58, 0.5};
  const std::vector<double> p_i = {0.7, 0.1, 0.3, 0.5004, 0.5, 0.9, 0.5};
  const PairSelection strict = select_pairs(p_g, p_i, /*delta=*/0.1, TieRule::kGrm);
  EXPECT_EQ(strict.keep, (std::vector<bool>{true, true, false, true, false, false, false}));
  EXPECT_EQ(strict.label, (std::vector<int>{1, 0, -1, 1, -1, -1, -1}));
  EXPECT_EQ(strict.agreements, 4);  // pairs 0, 1, 3 (0.2 x 0.0004 > 0), 5
  const PairSelection loose = select_pairs(p_g, p_i, /*delta=*/0.0, TieRule::kGrm);
  EXPECT_EQ(loose.keep, (std::vector<bool>{true, true, false, true, false, true, false}));
  const PairSelection drop = select_pairs(p_g, p_i, 0.0, TieRule::kDrop);
  EXPECT_EQ(drop.keep, (std::vector<bool>{true, true, false, false, false, true, false}));
  EXPECT_EQ(drop.label, (std::vector<int>{1, 0, -1, -1, -1, 1, -1}));
}

TEST(DpoLoss, VariantsMatchTheirClosedForms) {
  const double chosen = 0.7, rejected = -1.1, beta = 0.1;
  const double h = beta * (chosen - rejected);
  const auto value = [&](DpoLossKind kind) {
    DpoLoss loss{kind, beta, 0.2};
    return loss(scalar(chosen), scalar(rejected)).item<double>();
  };
  EXPECT_NEAR(value(DpoLossKind::kSigmoid), std::log1p(std::exp(-h)), 1e-12);
  EXPECT_NEAR(value(DpoLossKind::kIpo), std::pow(h / beta - 1 / (2 * beta), 2), 1e-12);
  EXPECT_NEAR(value(DpoLossKind::kHinge), 1 - h, 1e-12);
  EXPECT_NEAR(value(DpoLossKind::kRobust),
              0.8 * std::log1p(std::exp(-h)) + 0.2 * std::log1p(std::exp(h)), 1e-12);
  DpoLoss hinge{DpoLossKind::kHinge, 1.0, 0.0};
  EXPECT_EQ(hinge(scalar(3.0), scalar(0.0)).item<double>(), 0.0);  // margin beyond 1
  EXPECT_EQ(dpo_loss_names().back(),
            (std::pair<std::string, DpoLossKind>{"robust", DpoLossKind::kRobust}));
}

}  // namespace
}  // namespace scir

namespace scir {
namespace {

TEST(AgreementStats, CalibrationAndAgreementOnConstructedPairs) {
  // Bin [0.9, 1): p = 0.95 and 0.91, labels 1 and 0 -> mean p 0.93, mean label 0.5.
  // Bin [0.2, 0.3): p = 0.25, label 0 -> |0.25 - 0|.
  CalibrationBins bins;
  bins.add(0.95, true);
  bins.add(0.91, false);
  bins.add(0.25, false);
  SerialComm comm;
  bins.all_reduce(comm);
  EXPECT_NEAR(bins.expected_calibration_error(), 2.0 / 3 * 0.43 + 1.0 / 3 * 0.25, 1e-12);
  CalibrationBins perfect;
  perfect.add(1.0, true);  // p = 1 lands in the last bin
  perfect.add(0.0, false);
  EXPECT_NEAR(perfect.expected_calibration_error(), 0.0, 1e-12);

  AgreementStats agreement;
  agreement.add(0.8, 0.6, true);   // agree, right
  agreement.add(0.3, 0.1, true);   // agree, wrong
  agreement.add(0.7, 0.4, false);  // disagree
  agreement.add(0.9, 0.5, true);   // IRM indifferent: no agreement
  agreement.all_reduce(comm);
  EXPECT_EQ(agreement.pairs, 4);
  EXPECT_DOUBLE_EQ(agreement.agree_share(), 0.5);
  EXPECT_DOUBLE_EQ(agreement.acc_agree(), 0.5);
}

}  // namespace
}  // namespace scir

namespace scir {
namespace {

TEST(SrlmLabelling, BestVersusWorstWithTiesDropped) {
  struct Case {
    std::vector<double> scores;
    std::pair<int, int> expected;
  };
  const Case cases[] = {
      {{3.0, 4.5, 1.0, 2.0}, {1, 2}},    // best 4.5, worst 1.0
      {{2.0, 2.0, 2.0, 2.0}, {-1, -1}},  // all tied: no pair
      {{5.0, 1.0, 5.0, 1.0}, {0, 1}},    // equal scores: the first index wins
      {{0.5, 0.4}, {0, 1}},
      {{3.0}, {-1, -1}},               // one response: no pair
      {{NAN, 2.0, 4.0, NAN}, {2, 1}},  // unscored responses take no part
      {{NAN, 2.0, NAN}, {-1, -1}},     // one scored response: no pair
  };
  for (const Case& c : cases) EXPECT_EQ(best_vs_worst(c.scores), c.expected);
}

TEST(ImplicitReward, MarginWithAndWithoutLengthNormalisation) {
  const auto t = [](std::vector<double> v) { return torch::tensor(v, torch::kDouble); };
  const torch::Tensor logp1 = t({-2.0, -6.0}), logp2 = t({-3.0, -1.0});
  const torch::Tensor ref1 = t({-2.5, -4.0}), ref2 = t({-2.0, -1.0});
  const torch::Tensor length1 = t({2, 4}), length2 = t({1, 0});  // 0 counts as 1
  const torch::Tensor plain =
      implicit_reward_margin(logp1, logp2, ref1, ref2, length1, length2, 0.1, false);
  EXPECT_NEAR(plain[0].item<double>(), 0.1 * (0.5 - -1.0), 1e-12);
  EXPECT_NEAR(plain[1].item<double>(), 0.1 * (-2.0 - 0.0), 1e-12);
  const torch::Tensor normed =
      implicit_reward_margin(logp1, logp2, ref1, ref2, length1, length2, 0.1, true);
  EXPECT_NEAR(normed[0].item<double>(), 0.1 * (0.5 / 2 - -1.0 / 1), 1e-12);
  EXPECT_NEAR(normed[1].item<double>(), 0.1 * (-2.0 / 4 - 0.0 / 1), 1e-12);
}

TEST(SampledJudge, ScoreParsedFromTheFirstGroup) {
  const std::regex pattern = compile_score_pattern("Score: ([0-9.]+)");
  struct Case {
    std::string judgement;
    bool parsed;
    double score;
  };
  const Case cases[] = {
      {"The response is relevant and complete.\nScore: 4", true, 4.0},
      {"Score: 3.5 points", true, 3.5},
      {"first Score: 2 then Score: 5", true, 2.0},  // the first match counts
      {"no score here", false, 0},
      {"Score: ", false, 0},
      {"Score: 1.2.3", false, 0},  // matched text that is not a number
      {"", false, 0},
  };
  for (const Case& c : cases) {
    double score = -1;
    EXPECT_EQ(parse_judgement_score(c.judgement, pattern, &score), c.parsed) << c.judgement;
    if (c.parsed) {
      EXPECT_DOUBLE_EQ(score, c.score) << c.judgement;
    }
  }
}

TEST(SampledJudge, PatternsWithoutAGroupOrInvalidAreNamedWhatTheyLack) {
  EXPECT_EQ(score_pattern_problem("Score: ([0-9.]+)"), "");
  EXPECT_EQ(score_pattern_problem("Score: [0-9]+"), "a group around the score");
  EXPECT_EQ(score_pattern_problem("Score: ([0-9]+").rfind("a regular expression (", 0), 0u);
  // Callers check first: a pattern that lacks one is a defect of theirs.
  EXPECT_THROW(compile_score_pattern("("), InternalError);
}

// The scores equal a judgement-by-judgement recomputation with the same random streams: each
// response's mean over its parsed judgements, NaN when none parsed, failures counted.
TEST(SampledJudge, ScoresAverageTheParsedJudgementsOfEachResponse) {
  ByteTokenizer tokenizer;
  ModelConfig config = testing_support::tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  config.bos_token_id = ByteTokenizer::kBos;
  config.eos_token_id = ByteTokenizer::kEos;
  auto model = testing_support::tiny_model(config);
  const JudgeTemplate judge_template = JudgeTemplate::from_text(
      "Rate {response} for {instruction}. Score:", JudgeKind::kPointwise, "test");
  const std::vector<std::string> instructions = {"sort: 3 1", "max: 4 2", "sort: 2 2"};
  const std::vector<std::string> responses = {"1 3", "4", "2"};
  const std::vector<uint64_t> ids = {5, 6, 7};
  SampledJudgeSettings settings;
  settings.judgements = 3;
  settings.score_pattern = "([0-9])";
  settings.sampling.temperature = 1.0;
  settings.sampling.top_p = 1.0;
  settings.sampling.max_new_tokens = 30;
  settings.batch_size = 4;  // batches cut across responses
  const SampledScores got =
      sampled_judge_scores(*model, tokenizer, ChatTemplate::kNone, judge_template, instructions,
                           responses, ids, settings);
  ASSERT_EQ(got.scores.size(), 3u);
  EXPECT_EQ(got.judgements, 9);
  const std::regex pattern = compile_score_pattern(settings.score_pattern);
  int64_t failures = 0;
  for (size_t i = 0; i < 3; ++i) {
    double sum = 0, parsed = 0;
    for (uint64_t k = 0; k < 3; ++k) {
      const GenerationRequest request{
          prompt_ids(tokenizer, ChatTemplate::kNone,
                     judge_template.render_pointwise(instructions[i], responses[i])),
          ids[i], k};
      const auto text = tokenizer.decode(generate(*model, {request}, settings.sampling,
                                                  tokenizer.stop_ids(), tokenizer.pad_id())[0]);
      double score = 0;
      if (parse_judgement_score(text, pattern, &score)) {
        sum += score;
        parsed += 1;
      } else {
        ++failures;
      }
    }
    if (parsed == 0) {
      EXPECT_TRUE(std::isnan(got.scores[i]));
    } else {
      EXPECT_DOUBLE_EQ(got.scores[i], sum / parsed);
    }
  }
  EXPECT_EQ(got.parse_failures, failures);
}

TEST(PointwiseGrm, PreferenceIsSigmoidOfScoreDifferenceOverTau) {
  const torch::Tensor s1 = torch::tensor({4.0, 1.0, 2.5}, torch::kDouble);
  const torch::Tensor s2 = torch::tensor({2.0, 3.0, 2.5}, torch::kDouble);
  const BernoulliLogs logs = pointwise_bernoulli(s1, s2, 0.5);
  const std::vector<double> expected = {1 / (1 + std::exp(-4.0)), 1 / (1 + std::exp(4.0)), 0.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(logs.log_p[i].exp().item<double>(), expected[i], 1e-12);
    EXPECT_NEAR(logs.log_not_p[i].exp().item<double>(), 1 - expected[i], 1e-12);
  }
}

}  // namespace
}  // namespace scir
