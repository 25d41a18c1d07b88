// What the self-rewarding iterations run with: the plan (every setting of METHOD.md sections
// 2-5 the iterations read) and the inputs (the models and prompt files they start from).
#pragma once

#include <string>
#include <vector>

#include "scir/data/world/world.h"
#include "scir/eval/world_eval.h"
#include "scir/model/lora_adapter.h"
#include "scir/rewards/sampled_judge.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/scir_step.h"

namespace scir {

// The implicit reward's reference in iteration t: M(t-1), M(t), iteration 1's reference for
// every iteration (M0, or M1 before its finish), or M1 for every iteration.
enum class IrmReference { kPrevious, kCurrent, kFirst, kM1 };
// Which of a prompt's samples the oracle method pairs: every distinct pair, the best against the
// worst (SRLM's construction, scored by the oracle), or the best against each worse response.
enum class OraclePairs { kAll, kBestVsWorst, kBestVsRest };

struct SelfRewardingPlan {
  int iterations = 2;
  ScirSettings scir;  // its method row says where the labels come from
  IrmReference irm_reference = IrmReference::kPrevious;
  int samples = 4;           // N responses a prompt
  int pairs_per_prompt = 0;  // 0: all distinct pairs; K > 0: K random distinct pairs a prompt
  bool fixed_pool = false;   // every iteration draws from pool_1 instead of a fresh pool_t
  OraclePairs oracle_pairs = OraclePairs::kAll;  // read only with the oracle's labels
  double temperature = 0.7;
  double top_p = 0.9;
  int64_t max_new_tokens = 32;
  int epochs = 1;
  int64_t batch_pairs = 16;  // pairs a step over all ranks
  double lr = 1e-5;
  double grad_clip = 1.0;
  int64_t warmup_steps = 0;
  uint64_t seed = 0;
  int64_t log_every = 10;
  WorldEvalSettings eval;
  std::string pairwise_template;
  std::string pointwise_template;  // used when scir.pointwise_grm is set
  double tau = 1.0;                // temperature of the pointwise P_G
  // SRLM's offline scores: false reads the score token's distribution (expected score), true
  // samples judgements and parses their scores, as SRLM ran its judge.
  bool srlm_sampled_judge = false;
  SampledJudgeSettings sampled_judge;
  DataParallelSettings parallel;
  // Restart states of an iteration's training every state_every steps (0: none; an interrupted
  // train phase then reruns whole), in RUN/ckpt/iter_t_state.
  int64_t state_every = 0;
  bool activation_checkpointing = false;  // the policy recomputes each layer in the backward
  // LoRA (rank > 0): each iteration trains adapters on the frozen M(t), writes them in PEFT's
  // format beside the checkpoint and merges them into M(t+1).
  LoraSettings lora;
  // The precision the models load, sample, score and train in (bfloat16: float32 master
  // weights, gradients reduced in float32; log-probs and losses in float32 either way).
  torch::ScalarType dtype = torch::kFloat;
};

// Whether iteration t's implicit reward has the model the iteration starts from as its
// reference (irm_ref current, m1 in iteration 1, or the offline methods' DPO reference): P_I
// is then 1/2 on every pair before training.
inline bool reference_is_current(const SelfRewardingPlan& plan, int t) {
  return plan.irm_reference == IrmReference::kCurrent ||
         (plan.irm_reference == IrmReference::kM1 && t == 1) || plan.scir.method.labels_fixed();
}

// The model s whose implicit reward reference iteration t uses: M(s), s in 0..t.
inline int reference_model_index(const SelfRewardingPlan& plan, int t) {
  if (reference_is_current(plan, t)) return t;
  switch (plan.irm_reference) {
    case IrmReference::kFirst:
      return 0;
    case IrmReference::kM1:
      return 1;
    default:
      return t - 1;
  }
}

// Whether any iteration reads M0 (the reference of iteration 1 under irm_ref previous or first).
inline bool reads_m0(const SelfRewardingPlan& plan) {
  return plan.iterations > 0 && !reference_is_current(plan, 1) &&
         plan.irm_reference != IrmReference::kM1;
}

// Whether SRLM scores the N responses of a prompt and pairs the best against the worst: with a
// pointwise judge (expected scores) or sampled judgements. With neither, its pairs are all pairs
// and P_G before training labels them.
inline bool srlm_pairs_best_vs_worst(const SelfRewardingPlan& plan) {
  return plan.scir.method.labels == LabelSource::kSrlm &&
         (plan.scir.pointwise_grm || plan.srlm_sampled_judge);
}

// What the iterations start from and read: the embedded world's run directory, or a user's
// model with its prompt files.
struct SelfRewardingInputs {
  std::string m0_dir;  // reference of iteration 1 under irm_ref previous or first ("": none)
  std::string m1_dir;
  // With a user's M1: a PEFT LoRA adapter merged into it before the iterations ("": none).
  std::string m1_adapter_dir;
  const world::World* world = nullptr;  // the oracle; null for a user's model (no oracle)
  std::vector<std::string> pool_paths;  // iteration t reads pool_paths[t - 1] ([0] when fixed)
  std::string eval_prompts_path;        // held-out prompts (world only)
  std::string heldout_pairs_path;       // labelled pairs for reward accuracy ("": none)
  ChatTemplate chat_template = ChatTemplate::kPlain;
};

}  // namespace scir
