#include "scir/eval/world_eval.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "scir/dist/sharding.h"
#include "scir/eval/evaluation_record.h"
#include "scir/eval/own_sample_pairs.h"
#include "scir/model/generation.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/rewards/agreement_stats.h"
#include "scir/rewards/consistency.h"

namespace scir {
namespace {

std::vector<std::string> greedy_answers(Transformer& model, const PairwiseJudge& judge,
                                        const std::vector<std::string>& prompts,
                                        const WorldEvalSettings& settings) {
  SamplingOptions options;
  options.greedy = true;
  options.max_new_tokens = settings.max_new_tokens;
  std::vector<std::string> answers;
  for (size_t start = 0; start < prompts.size(); start += settings.batch_size) {
    std::vector<GenerationRequest> batch;
    for (size_t i = start; i < std::min(prompts.size(), start + settings.batch_size); ++i) {
      batch.push_back({prompt_ids(judge.tokenizer, judge.chat_template, prompts[i]), i, 0});
    }
    for (const auto& ids :
         generate(model, batch, options, judge.tokenizer.stop_ids(), judge.tokenizer.pad_id())) {
      answers.push_back(judge.tokenizer.decode(ids));
    }
  }
  return answers;
}

// The family name that starts a world instruction ("sort: 3 1 2" -> "sort").
std::string family_of(const std::string& instruction) {
  return instruction.substr(0, instruction.find(':'));
}

}  // namespace

std::pair<double, double> preference_accuracy(const std::vector<double>& p,
                                              const std::vector<double>& q_first,
                                              const std::vector<double>& q_second) {
  double credit = 0, counted = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (q_first[i] == q_second[i]) continue;
    counted += 1;
    if (p[i] == 0.5) {
      credit += 0.5;
    } else if ((p[i] > 0.5) == (q_first[i] > q_second[i])) {
      credit += 1;
    }
  }
  return {credit, counted};
}

void evaluate_reward_models(Comm& comm, Transformer& model, const ReferenceModel& reference,
                            const PairwiseJudge& judge, const PointwiseJudge* pointwise,
                            const std::vector<LabelledPair>& heldout_pairs,
                            const WorldEvalSettings& settings, WorldEvaluation* result) {
  const auto sum = [&](double value) { return all_reduce_scalar(comm, value, ReduceOp::kSum); };
  // The judge on held-out oracle-labelled pairs.
  std::vector<LabelledPair> pairs;
  for (size_t i : shard_indices(heldout_pairs.size(), comm.rank(), comm.size())) {
    pairs.push_back(heldout_pairs[i]);
  }
  std::vector<JudgedPair> judged;
  std::vector<double> q_a, q_b;
  for (const LabelledPair& pair : pairs) {
    judged.push_back({pair.instruction, pair.response_a, pair.response_b});
    q_a.push_back(pair.q_a);
    q_b.push_back(pair.q_b);
  }
  const std::vector<double> p_grm =
      grm_preferences(model, judge, pointwise, judged, settings.batch_size);
  const auto [grm_credit, grm_count] = preference_accuracy(p_grm, q_a, q_b);
  CalibrationBins grm_bins;
  for (size_t i = 0; i < p_grm.size(); ++i) {
    if (q_a[i] != q_b[i]) grm_bins.add(p_grm[i], q_a[i] > q_b[i]);
  }
  grm_bins.all_reduce(comm);
  result->ece_grm = grm_bins.expected_calibration_error();
  result->acc_grm = sum(grm_credit) / std::max(1.0, sum(grm_count));

  if (reference.present()) {
    // Each pair's two responses (text + EOS) after its prompt, scored by both models.
    std::vector<PromptResponse> first, second;
    std::vector<double> length_a, length_b;
    const auto item = [&](const std::string& instruction, const std::string& response) {
      std::vector<int64_t> ids = judge.tokenizer.encode(response);
      ids.push_back(judge.tokenizer.eos_id());
      return PromptResponse{prompt_ids(judge.tokenizer, judge.chat_template, instruction), ids};
    };
    for (const LabelledPair& pair : pairs) {
      first.push_back(item(pair.instruction, pair.response_a));
      second.push_back(item(pair.instruction, pair.response_b));
      length_a.push_back(static_cast<double>(first.back().response.size()));
      length_b.push_back(static_cast<double>(second.back().response.size()));
    }
    const int64_t pad = judge.tokenizer.pad_id();
    const auto [policy_a, policy_b] =
        paired_response_logprobs(model, first, second, pad, settings.batch_size);
    const auto [reference_a, reference_b] =
        reference.paired_logprobs(first, second, pad, settings.batch_size);
    const torch::Tensor margin = implicit_reward_margin(
        from_doubles(policy_a), from_doubles(policy_b), from_doubles(reference_a),
        from_doubles(reference_b), from_doubles(length_a), from_doubles(length_b), settings.beta,
        /*length_norm=*/false);
    const std::vector<double> p_irm = to_doubles(torch::sigmoid(margin));
    const auto [irm_credit, irm_count] = preference_accuracy(p_irm, q_a, q_b);
    result->acc_irm = sum(irm_credit) / std::max(1.0, sum(irm_count));
    CalibrationBins irm_bins;
    AgreementStats agreement;
    for (size_t i = 0; i < p_irm.size(); ++i) {
      if (q_a[i] == q_b[i]) continue;
      irm_bins.add(p_irm[i], q_a[i] > q_b[i]);
      agreement.add(p_grm[i], p_irm[i], q_a[i] > q_b[i]);
    }
    irm_bins.all_reduce(comm);
    agreement.all_reduce(comm);
    result->ece_irm = irm_bins.expected_calibration_error();
    result->agree_share = agreement.agree_share();
    result->acc_agree = agreement.acc_agree();
  }
}

double win_rate_ci95(double mean, double sum_of_squares, double count) {
  if (count < 2) return WorldEvaluation::kNotMeasured;
  const double variance = std::max(0.0, (sum_of_squares - count * mean * mean) / (count - 1));
  return 1.96 * std::sqrt(variance / count);
}

WorldEvaluation evaluate_world(Comm& comm, Transformer& model, Transformer* baseline,
                               const ReferenceModel& reference, const WorldEvalInputs& inputs,
                               const WorldEvalSettings& settings) {
  const auto sum = [&](double value) { return all_reduce_scalar(comm, value, ReduceOp::kSum); };
  WorldEvaluation result;
  // Greedy answers and their oracle quality.
  std::vector<std::string> prompts;
  for (size_t i : shard_indices(inputs.prompts.size(), comm.rank(), comm.size()))
    prompts.push_back(inputs.prompts[i]);
  const std::vector<std::string> answers = greedy_answers(model, inputs.judge, prompts, settings);
  std::vector<std::string> baseline_answers;
  if (baseline) baseline_answers = greedy_answers(*baseline, inputs.judge, prompts, settings);
  std::map<std::string, std::pair<double, double>> by_family;
  double quality = 0, exact = 0, length = 0, wins = 0, wins_squared = 0, baseline_quality = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const double q = inputs.world.quality(prompts[i], answers[i]);
    quality += q;
    exact += q == 1.0 ? 1 : 0;
    length += static_cast<double>(answers[i].size());
    const std::string family = family_of(prompts[i]);
    by_family[family].first += q;
    by_family[family].second += 1;
    if (baseline) {
      const double q_base = inputs.world.quality(prompts[i], baseline_answers[i]);
      baseline_quality += q_base;
      const double win = q > q_base ? 1.0 : q == q_base ? 0.5 : 0.0;
      wins += win;
      wins_squared += win * win;
    }
  }
  const double count = sum(static_cast<double>(prompts.size()));
  result.mean_quality = sum(quality) / count;
  result.exact_share = sum(exact) / count;
  result.mean_length = sum(length) / count;
  if (baseline) {
    result.win_rate_vs_m1 = sum(wins) / count;
    result.win_rate_ci95 = win_rate_ci95(result.win_rate_vs_m1, sum(wins_squared), count);
    result.baseline_quality = sum(baseline_quality) / count;
  }
  for (const std::string& name : inputs.world.knobs().families) {
    const double family_count = sum(by_family[name].second);
    if (family_count > 0)
      result.quality_by_family[name] = sum(by_family[name].first) / family_count;
  }

  evaluate_reward_models(comm, model, reference, inputs.judge, inputs.pointwise,
                         inputs.heldout_pairs, settings, &result);

  // The judge on pairs of the model's own samples: the pairs self-rewarding will label.
  SamplingOptions sampling;
  sampling.temperature = settings.own_temperature;
  sampling.top_p = settings.own_top_p;
  sampling.max_new_tokens = settings.max_new_tokens;
  sampling.seed = settings.seed;
  std::vector<JudgedPair> own;
  std::vector<double> own_q_a, own_q_b;
  std::vector<std::string> own_family;
  const std::vector<size_t> mine = shard_indices(inputs.prompts.size(), comm.rank(), comm.size());
  for (const ScoredSamplePair& pair : own_sample_pairs(
           model, inputs.judge.tokenizer, inputs.judge.chat_template, inputs.world, inputs.prompts,
           mine, settings.own_samples, sampling, settings.batch_size)) {
    const std::string& instruction = inputs.prompts[pair.prompt];
    own.push_back({instruction, pair.first, pair.second});
    own_q_a.push_back(pair.q_first);
    own_q_b.push_back(pair.q_second);
    own_family.push_back(family_of(instruction));
  }
  const std::vector<double> p_own =
      grm_preferences(model, inputs.judge, inputs.pointwise, own, settings.batch_size);
  const auto [own_credit, own_count] = preference_accuracy(p_own, own_q_a, own_q_b);
  result.own_pairs = static_cast<int64_t>(sum(own_count));
  result.acc_grm_own = sum(own_credit) / std::max(1.0, static_cast<double>(result.own_pairs));
  // By family: where the judge fails is where self-rewarding will mislabel.
  for (const std::string& name : inputs.world.knobs().families) {
    std::vector<double> p, first, second;
    for (size_t i = 0; i < own.size(); ++i) {
      if (own_family[i] != name) continue;
      p.push_back(p_own[i]);
      first.push_back(own_q_a[i]);
      second.push_back(own_q_b[i]);
    }
    const auto [credit, counted] = preference_accuracy(p, first, second);
    const double family_count = sum(counted);
    if (family_count == 0) continue;
    result.own_pairs_by_family[name] = static_cast<int64_t>(family_count);
    result.acc_grm_own_by_family[name] = sum(credit) / family_count;
  }
  return result;
}

std::string format_world_evaluation(const WorldEvaluation& evaluation) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << "family      mean quality  judge on own pairs (pairs)\n";
  for (const auto& [name, quality] : evaluation.quality_by_family) {
    out << "  " << name << std::string(10 - std::min<size_t>(9, name.size()), ' ') << quality;
    const auto judged = evaluation.acc_grm_own_by_family.find(name);
    if (judged != evaluation.acc_grm_own_by_family.end()) {
      out << "         " << judged->second << " (" << evaluation.own_pairs_by_family.at(name)
          << ")";
    }
    out << "\n";
  }
  out << "mean quality " << evaluation.mean_quality << "  exact " << evaluation.exact_share
      << "  mean length " << evaluation.mean_length << "\n";
  if (!std::isnan(evaluation.win_rate_vs_m1)) {
    out << "win rate vs baseline " << evaluation.win_rate_vs_m1 << " +- "
        << evaluation.win_rate_ci95 << " (baseline quality " << evaluation.baseline_quality
        << ")\n";
  }
  out << "judge accuracy: held-out pairs " << evaluation.acc_grm << ", own-sample pairs "
      << evaluation.acc_grm_own << " (" << evaluation.own_pairs << " pairs)\n";
  if (!std::isnan(evaluation.acc_irm)) {
    out << "implicit reward accuracy: held-out pairs " << evaluation.acc_irm << "\n"
        << "GRM and IRM agree on " << evaluation.agree_share << " of held-out pairs, right on "
        << evaluation.acc_agree << " of those; ECE: GRM " << evaluation.ece_grm << ", IRM "
        << evaluation.ece_irm << "\n";
  }
  const nlohmann::json json = evaluation_json(evaluation);
  out << json.dump() << "\n";
  return out.str();
}

}  // namespace scir
