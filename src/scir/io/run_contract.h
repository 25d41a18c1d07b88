// The run contract: what a run directory holds and what run.h5's groups and columns mean.
// Writers (the pipeline) and readers (analysis/runs.py, which mirrors these tables; the CTest
// run_contract checks that the two agree and that a run's run.h5 has every name) rely on it.
//
// RUN/config.ini  every option, as the run read it    RUN/main.log  rank 0's log
// RUN/run.h5      below                                RUN/.done/    DONE markers (a phase each)
// RUN/data/       the embedded world's data sets (data/world/world_datasets.h)
// RUN/ckpt/       m0, m1 (m1_base), iter_<t>/final = M(t+1), iter_<t>/adapter (with LoRA: the
//                 adapter merged into it, PEFT's format), sft_adapter and judge_sft_adapter
//                 (with sft.lora_rank, judge_sft.lora_rank), m1_adapted (a user's M1 with
//                 model.adapter merged), <phase>_state restart states
//
// run.h5 groups: /config (attributes: every option), /provenance (attributes), /pretrain/steps,
// /sft/steps (/judge_sft/steps), /sft/eval (the SFT model M1's evaluation record; with M1's
// finish, /finish/eval: the finished M1's, its win rate against the SFT model), and for t = 1..T
// /iter_<t>/pairs, /iter_<t>/steps, /iter_<t>/eval (M(t+1)'s evaluation record).
#pragma once

#include <string>

namespace scir::run_contract {

struct Column {
  const char* name;
  const char* shape;  // "pairs", "pairs, vlen int32", "steps", "scalar"
  const char* phase;  // the phase that writes it
  const char* meaning;
};

// /iter_<t>/pairs: one row a pair, in the iteration's pair order (prompt, pair in the prompt).
// Attributes srlm_judgements and srlm_parse_failures count SRLM's sampled judgements; with
// scir.cons_stopgrad = reliable, acc_grm_heldout0 and acc_irm_heldout0 (reference phase).
inline constexpr Column kPairColumns[] = {
    // name | shape | phase | meaning
    {"prompt_id", "pairs", "generate", "row of the iteration's prompt file"},
    {"rank", "pairs", "generate", "the rank that sampled the pair"},
    {"resp1_tokens", "pairs, vlen int32", "generate", "response 1's ids, EOS included"},
    {"resp2_tokens", "pairs, vlen int32", "generate", "response 2's ids, EOS included"},
    {"resp1_text", "pairs, vlen utf-8", "generate", "response 1 decoded"},
    {"resp2_text", "pairs, vlen utf-8", "generate", "response 2 decoded"},
    {"resp1_length", "pairs", "generate", "tokens of response 1"},
    {"resp2_length", "pairs", "generate", "tokens of response 2"},
    {"oracle_q1", "pairs", "generate", "oracle quality of response 1 (NaN: no oracle)"},
    {"oracle_q2", "pairs", "generate", "oracle quality of response 2 (NaN: no oracle)"},
    {"logp_ref1", "pairs", "reference", "log pi_ref(response 1 | prompt)"},
    {"logp_ref2", "pairs", "reference", "log pi_ref(response 2 | prompt)"},
    {"p_grm0", "pairs", "reference", "P_G(1 > 2) of M(t) before training"},
    {"p_irm0", "pairs", "reference", "P_I(1 > 2) of M(t) before training"},
    {"label_fixed", "pairs", "label", "srlm/oracle: 1 or 0, -1 a tie; online methods: -1"},
    {"kept_last", "pairs", "train", "1 when its last training step kept it"},
    {"label_last", "pairs", "train", "1: response 1 preferred at its last step, 0: 2, -1: dropped"},
    {"step_consumed", "pairs", "train", "the last step that trained on it (-1: none)"},
};

// /iter_<t>/steps: one row a training step of the iteration (METHOD.md section 4.6).
inline constexpr Column kStepColumns[] = {
    {"step", "steps", "train", "step index in the iteration, from 0"},
    {"loss", "steps", "train", "total loss L"},
    {"loss_dpo", "steps", "train", "mean L_DPO over the kept pairs"},
    {"loss_sym", "steps", "train", "mean L_sym over all pairs"},
    {"loss_ent", "steps", "train", "mean L_ent over all pairs"},
    {"consistency_rate", "steps", "train", "share of pairs on which P_G and P_I agree"},
    {"kept_share", "steps", "train", "share of pairs kept"},
    {"cons_share", "steps", "train", "share of pairs in L_cons (the confidence gate's; 0: none)"},
    {"margin", "steps", "train", "mean chosen - rejected log-ratio over the kept pairs"},
    {"logp_chosen", "steps", "train", "mean log pi of the kept chosen responses"},
    {"logp_rejected", "steps", "train", "mean log pi of the kept rejected responses"},
    {"grad_norm", "steps", "train", "global gradient norm before clipping"},
    {"lr", "steps", "train", "learning rate"},
    {"tokens_per_s", "steps", "train", "response and judge tokens through the model a second"},
    {"acc_grm_step", "steps", "train", "P_G right on the step's pairs of unequal oracle quality"},
    {"acc_irm_step", "steps", "train", "P_I right on those pairs"},
    {"acc_labels_step", "steps", "train", "the labels trained on right, on those kept"},
};

// The evaluation record: attributes of /iter_<t>/eval (M(t+1)) and /sft/eval (M1); the same
// names in `scir_hpc eval`'s JSON line and the summary table's header (eval/evaluation_record),
// plus quality_<family>: mean oracle quality of a task family's greedy answers.
inline constexpr Column kEvaluationFields[] = {
    {"win_rate_vs_m1", "scalar", "evaluate", "oracle win rate against the baseline, M1 in a run"},
    {"win_rate_ci95", "scalar", "evaluate", "half-width of its 95% interval over the prompts"},
    {"mean_quality", "scalar", "evaluate", "mean oracle quality of greedy answers"},
    {"exact_share", "scalar", "evaluate", "share of greedy answers with quality 1"},
    {"mean_length", "scalar", "evaluate", "mean tokens of greedy answers"},
    {"acc_grm", "scalar", "evaluate", "judge accuracy on the held-out labelled pairs"},
    {"acc_grm_own", "scalar", "evaluate", "judge accuracy on pairs of the model's own samples"},
    {"own_pairs", "scalar", "evaluate", "own-sample pairs the judge was scored on"},
    {"acc_irm", "scalar", "evaluate", "implicit reward accuracy on the held-out pairs"},
    {"acc_agree", "scalar", "evaluate", "accuracy where GRM and IRM agree"},
    {"agree_share", "scalar", "evaluate", "share of held-out pairs where GRM and IRM agree"},
    {"ece_grm", "scalar", "evaluate", "calibration error of P_G on the held-out pairs"},
    {"ece_irm", "scalar", "evaluate", "calibration error of P_I on the held-out pairs"},
};

// Attributes of /iter_<t>/eval beyond the evaluation record: the iteration's training.
inline constexpr Column kIterationFields[] = {
    {"pairs", "scalar", "evaluate", "pairs of the iteration"},
    {"agreement_start", "scalar", "evaluate",
     "share of pairs with P_G, P_I agreeing before training (NaN: P_I's reference is M(t))"},
    {"train_consistency_rate", "scalar", "evaluate", "mean consistency_rate over the steps"},
    {"train_kept_share", "scalar", "evaluate", "mean kept_share over the steps"},
    {"srlm_judgements", "scalar", "evaluate", "SRLM's sampled judgements"},
    {"srlm_parse_failures", "scalar", "evaluate", "of those, judgements without a score"},
    {"pairs_informative_share", "scalar", "evaluate", "share of pairs of unequal oracle quality"},
    {"acc_grm0_pairs", "scalar", "evaluate", "P_G before training right, on those pairs"},
    {"acc_irm0_pairs", "scalar", "evaluate", "P_I before training right, on those pairs"},
    {"agree0_share_pairs", "scalar", "evaluate", "share of those where P_G and P_I agree"},
    {"acc_agree0_pairs", "scalar", "evaluate", "their shared preference right, where they agree"},
    {"acc_labels_last_pairs", "scalar", "evaluate", "label_last right, on those kept"},
    {"acc_grm_heldout0", "scalar", "evaluate",
     "cons_stopgrad reliable: P_G of M(t) right on the held-out pairs (else NaN)"},
    {"acc_irm_heldout0", "scalar", "evaluate", "the same for P_I, with the iteration's reference"},
};

// Paths inside a run directory.
inline std::string iteration_group(int t) { return "/iter_" + std::to_string(t); }
inline std::string iteration_checkpoint(int t) {  // M(t+1)
  return "ckpt/iter_" + std::to_string(t) + "/final";
}
inline std::string iteration_adapter(int t) {  // the LoRA adapter of iteration t, PEFT's format
  return "ckpt/iter_" + std::to_string(t) + "/adapter";
}
inline std::string state_directory(const std::string& phase) { return "ckpt/" + phase + "_state"; }
inline std::string seed_checkpoint(const std::string& name) { return "ckpt/" + name; }  // m0, m1
// A user's M1 with model.adapter merged into it, the iterations' M1.
inline constexpr const char* kAdaptedM1 = "ckpt/m1_adapted";
// The LoRA adapter of a seed model's training phase (sft, judge_sft), PEFT's format.
inline std::string phase_adapter(const std::string& phase) { return "ckpt/" + phase + "_adapter"; }
inline std::string prompt_pool_file(int t) { return "pool_" + std::to_string(t) + ".jsonl"; }
inline constexpr const char* kDataDirectory = "data";
inline constexpr const char* kCorpusFile = "corpus.jsonl";
inline constexpr const char* kIftFile = "ift.jsonl";
inline constexpr const char* kEftFile = "eft.jsonl";
inline constexpr const char* kEvalPromptsFile = "eval_prompts.jsonl";
inline constexpr const char* kHeldoutPairsFile = "heldout_pairs.jsonl";
inline constexpr const char* kJudgePromptsFile = "judge_prompts.jsonl";
inline constexpr const char* kOwnEftFile = "eft_own.jsonl";
// M1's finish (finish.method = oracle): its prompts, its own run directory (one oracle-labelled
// iteration from the SFT model: RUN/finish/run.h5, RUN/finish/ckpt/iter_1/final = the M1 the
// iterations start from) and that model's evaluation record in the run's run.h5.
inline constexpr const char* kFinishPromptsFile = "finish_prompts.jsonl";
inline constexpr const char* kFinishDirectory = "finish";
inline constexpr const char* kFinishEvalGroup = "/finish/eval";

}  // namespace scir::run_contract
