#include "run_options.h"

#include <filesystem>
#include <set>

#include "build_commit.h"
#include "finish_options.h"
#include "lora_options.h"
#include "process_grid_options.h"
#include "rerun_contract.h"
#include "scir/core/option_binding.h"
#include "scir/data/labelled_pairs.h"
#include "scir/data/text_records.h"
#include "scir/dist/agreement.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/peft_adapter.h"
#include "scir/tokenizer/chat_template.h"
#include "seed_options.h"
#include "train_options.h"
#include "world_options.h"

namespace scir::app {
namespace {

std::string default_config_path() { return default_template_dir() + "/../configs/demo.ini"; }

// The iterations' settings as they are before any option is read.
SelfRewardingPlan default_plan() {
  SelfRewardingPlan plan;
  plan.sampled_judge.sampling.max_new_tokens = 256;  // a judgement reasons before its score
  return plan;
}

// Every run option that fills the plan and the user-model inputs: name, default (the field's
// value), help and range, once. `pools` holds data.prompt_pools' text.
void bind_run_options(OptionBinder& bind, SelfRewardingPlan& plan, SelfRewardingInputs& inputs,
                      std::string& pools) {
  ScirSettings& scir = plan.scir;
  SampledJudgeSettings& judge = plan.sampled_judge;
  const OptionRange positive = OptionRange::above(0, "a number > 0");
  const OptionRange not_negative = OptionRange::at_least(0, "a number >= 0");
  const OptionRange at_least_one = OptionRange::at_least(1, "an integer >= 1");
  const OptionRange probability = {0, 1, true, false, "a number in (0, 1]"};
  bind.choice("scir.method", scir.method, method_rows(),
              "the method (srlm and oracle: labels fixed first)")
      .integer("scir.iterations", plan.iterations, "self-rewarding iterations T (M1 -> M(T+1))",
               OptionRange::at_least(0, "an integer >= 0 (0: seed models only)"))
      .number("scir.beta", scir.beta, "beta of the implicit reward and DPO (> 0)", positive)
      .number("scir.gamma", scir.gamma, "weight of the entropy term in L_cons (>= 0)", not_negative)
      .number("scir.lambda", scir.lambda, "weight of L_cons in the loss (>= 0)", not_negative)
      // |P - 1/2| < 1/2 for every pair: a margin of 1/2 or more would keep none.
      .number("scir.delta", scir.delta, "selection margin, in [0, 0.5)",
              {0, 0.5, false, true, "a number in [0, 0.5) (at 0.5 no pair can be kept)"})
      .number("scir.cons_gate", scir.cons_gate,
              "confidence gate of L_cons: a pair enters it only when |P_G - 1/2| and |P_I - 1/2| "
              "both reach this, in [0, 0.5) (0: every pair)",
              {0, 0.5, false, true, "a number in [0, 0.5) (at 0.5 no pair can enter L_cons)"})
      .number("scir.nll_weight", scir.nll_weight, "weight of the chosen responses' NLL (>= 0)",
              not_negative)
      .choice("scir.irm_ref", plan.irm_reference,
              {{"previous", IrmReference::kPrevious},
               {"current", IrmReference::kCurrent},
               {"first", IrmReference::kFirst},
               {"m1", IrmReference::kM1}},
              "reference of the implicit reward in iteration t: previous (M(t-1)), current "
              "(M(t)), first (iteration 1's reference, M0, for every t) or m1 (M1 for every t)")
      .flag("scir.irm_length_norm", scir.irm_length_norm,
            "divide r by |y| for consistency and selection")
      .choice("scir.grm", scir.pointwise_grm, {{"pairwise", false}, {"pointwise", true}},
              "generative reward model: pairwise (both orders) or pointwise (scores 0-5)")
      .number("scir.tau", plan.tau, "temperature of the pointwise P_G (> 0)", positive)
      .choice("scir.cons_stopgrad", scir.stop_grad, consistency_stopgrad_names(),
              "fixed side of L_cons (reliable: the reward model more accurate on the labelled "
              "held-out pairs, measured at the start of each iteration)")
      .choice("scir.tie", scir.tie_rule, tie_rule_names(),
              "pairs with P_I = 1/2: grm (keep, GRM's label) or drop")
      .choice("scir.dpo_loss", scir.dpo.kind, dpo_loss_names(), "the DPO loss")
      .number("scir.label_smoothing", scir.dpo.label_smoothing, "eps of the robust DPO loss",
              {0, 0.5, false, true, "a number in [0, 0.5)"})
      .integer("scir.samples", plan.samples, "responses sampled a prompt (N >= 2)",
               OptionRange::within(2, 16, "an integer in [2, 16]"))
      .integer("scir.pairs_per_prompt", plan.pairs_per_prompt,
               "0: all N(N-1)/2 distinct pairs a prompt; K > 0: K random distinct pairs",
               OptionRange::at_least(0, "an integer >= 0 (0: all pairs)"))
      .choice("scir.oracle_pairs", plan.oracle_pairs, oracle_pairs_names(),
              "with scir.method = oracle: which samples of a prompt are paired (all distinct "
              "pairs; the oracle's best against its worst; or against every worse response)")
      .flag("scir.fixed_pool", plan.fixed_pool,
            "every iteration uses pool_1 (default: a fresh pool each)")
      .number("scir.temperature", plan.temperature, "sampling temperature", positive)
      .number("scir.top_p", plan.top_p, "sampling top-p", probability)
      .integer("scir.max_new_tokens", plan.max_new_tokens, "new tokens at most a response",
               at_least_one)
      .integer("scir.epochs", plan.epochs, "epochs over an iteration's pairs", at_least_one)
      .integer("scir.batch_pairs", plan.batch_pairs, "pairs a step over all ranks", at_least_one)
      .number("scir.lr", plan.lr, "learning rate (constant after warm-up)", positive)
      .integer("scir.warmup_steps", plan.warmup_steps, "warm-up steps an iteration",
               OptionRange::at_least(0, "an integer >= 0"))
      .number("scir.grad_clip", plan.grad_clip, "clip the global gradient norm to this", positive)
      .integer("scir.log_every", plan.log_every, "steps between progress lines", at_least_one)
      .flag("scir.activation_checkpointing", plan.activation_checkpointing,
            "the SCIR step keeps only each decoder layer's input and recomputes the layer in the "
            "backward (less memory, one more forward)")
      .choice("srlm.judge", plan.srlm_sampled_judge, {{"expected", false}, {"sampled", true}},
              "SRLM's offline scores: expected (the score token's distribution) or sampled "
              "(judgements written and parsed, as SRLM ran its judge)")
      .integer("srlm.judge_samples", judge.judgements, "sampled judgements a response, averaged",
               at_least_one)
      .text("srlm.score_regex", judge.score_pattern,
            "regular expression whose first group is a judgement's score")
      .number("srlm.judge_temperature", judge.sampling.temperature,
              "temperature of the sampled judgements", positive)
      .number("srlm.judge_top_p", judge.sampling.top_p, "top-p of the sampled judgements",
              probability)
      .integer("srlm.judge_max_new_tokens", judge.sampling.max_new_tokens,
               "new tokens at most a judgement", at_least_one)
      .text("model.m1", inputs.m1_dir,
            "a user's M1 (HF directory with its tokenizer): no embedded world, no oracle")
      .text("model.adapter", inputs.m1_adapter_dir,
            "with model.m1: a PEFT LoRA adapter directory merged into M1 before the iterations "
            "(written to RUN/ckpt/m1_adapted)")
      .text("model.m0", inputs.m0_dir,
            "with model.m1: the base model M0, reference of iteration 1 under scir.irm_ref = "
            "previous (of every iteration under first)")
      .choice("model.chat_template", inputs.chat_template, chat_template_names(),
              "with model.m1: how prompts and judge prompts are wrapped (model: the model's own "
              "template's family)")
      .text("data.prompt_pools", pools,
            "with model.m1: JSONL prompt files ({\"prompt\": ...}), one an iteration, "
            "comma-separated")
      .text("data.heldout_pairs_file", inputs.heldout_pairs_path,
            "with model.m1: JSONL pairs {prompt, response_a, response_b, q_a, q_b} for reward "
            "accuracy");
}

}  // namespace

void declare_run_options(OptionSet& options) {
  options.set_default_config(default_config_path());
  declare_seed_options(options);
  declare_finish_options(options);
  declare_tensor_parallel_option(options);
  options.add_string("resume", "auto",
                     "auto: go on from the finished phases and restart states in --out; no: "
                     "refuse a directory that holds a run already");
  SelfRewardingPlan plan = default_plan();
  SelfRewardingInputs inputs;
  std::string pools;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_run_options(declaring, plan, inputs, pools);
  declare_data_parallel_options(options, "scir.");
  declare_lora_options(options, "scir.");
  declaring.integer("scir.state_every", plan.state_every,
                    "steps between restart states inside an iteration's training (0: an "
                    "interrupted iteration reruns its training whole)");
}

namespace {

// srlm.* set SRLM's offline judge, and all but srlm.judge its sampled variant: under another
// method or the expected-score judge they would be ignored without a word.
void reject_inapplicable_srlm_options(const OptionSet& options, const SelfRewardingPlan& plan) {
  for (const auto& [key, value] : options.effective_values()) {
    if (key.rfind("srlm.", 0) != 0 || !options.was_set(key)) continue;
    if (plan.scir.method.labels != LabelSource::kSrlm)
      options.reject(key, "no value unless scir.method = srlm");
    if (key != "srlm.judge" && !plan.srlm_sampled_judge)
      options.reject(key, "no value unless srlm.judge = sampled");
  }
}

// The options of a user's M1 (model.*, data.prompt_pools, data.heldout_pairs_file) have no use
// in a run of the embedded world, which makes its own models and data.
void reject_user_model_options_without_m1(const OptionSet& options) {
  for (const char* key : {"model.m0", "model.adapter", "model.chat_template", "data.prompt_pools",
                          "data.heldout_pairs_file"}) {
    if (options.was_set(key)) options.reject(key, "no value without model.m1");
  }
}

// A user's M1 replaces the embedded world: the options of its world, data sets, model shape and
// seed-model training (world.*, data.* but the user's files, model.* but the user's models,
// pretrain.*, sft.*, judge_sft.*, finish.*) would be ignored without a word.
void reject_seed_options_with_m1(const OptionSet& options) {
  const std::set<std::string> user_keys = {"model.m1",          "model.m0",
                                           "model.adapter",     "model.chat_template",
                                           "data.prompt_pools", "data.heldout_pairs_file"};
  for (const auto& [key, value] : options.effective_values()) {
    if (!options.was_given(key) || user_keys.count(key)) continue;
    for (const char* group :
         {"world.", "data.", "model.", "pretrain.", "sft.", "judge_sft.", "finish."}) {
      if (key.rfind(group, 0) == 0)
        options.reject(
            key, "no value with model.m1 (an option of the embedded world and its seed models)");
    }
  }
}

// The plan (and the user-model options into `inputs`), every option in range and the checks
// across options made.
SelfRewardingPlan read_plan(const OptionSet& options, const SeedModelsPlan& seeds,
                            SelfRewardingInputs& inputs) {
  SelfRewardingPlan plan = default_plan();
  std::string pools;
  OptionBinder reading = OptionBinder::reading(options);
  bind_run_options(reading, plan, inputs, pools);
  plan.parallel = read_data_parallel_options(options, "scir.");
  plan.lora = read_lora_options(options, "scir.");
  reading.integer("scir.state_every", plan.state_every, "",
                  OptionRange::at_least(0, "an integer >= 0 (0: none)"));
  const std::string pattern_problem = score_pattern_problem(plan.sampled_judge.score_pattern);
  if (!pattern_problem.empty()) options.reject("srlm.score_regex", pattern_problem);
  const int distinct_pairs = plan.samples * (plan.samples - 1) / 2;
  if (plan.pairs_per_prompt > distinct_pairs) {
    options.reject("scir.pairs_per_prompt",
                   cat("at most the ", distinct_pairs,
                       " distinct pairs of scir.samples = ", plan.samples, " (0: all of them)"));
  }
  // Settings of one variant only, given for another, would be ignored without a word.
  if (options.was_set("scir.label_smoothing") && plan.scir.dpo.kind != DpoLossKind::kRobust)
    options.reject("scir.label_smoothing", "no value unless scir.dpo_loss = robust");
  const bool oracle = plan.scir.method.labels == LabelSource::kOracle;
  if (options.was_set("scir.oracle_pairs") && !oracle)
    options.reject("scir.oracle_pairs", "no value unless scir.method = oracle");
  if (plan.oracle_pairs != OraclePairs::kAll && plan.pairs_per_prompt > 0)
    options.reject("scir.pairs_per_prompt", "0 (all) unless scir.oracle_pairs = all");
  if (srlm_pairs_best_vs_worst(plan) && plan.pairs_per_prompt > 0) {
    options.reject("scir.pairs_per_prompt",
                   "0 (all) when SRLM scores pointwise (its one pair a prompt is the best "
                   "against the worst)");
  }
  if (plan.scir.stop_grad == ConsistencyStopGrad::kReliable && !plan.scir.method.consistency) {
    options.reject("scir.cons_stopgrad",
                   "not reliable unless the method has L_cons (scir, scir_no_select)");
  }
  if (options.was_set("scir.cons_gate") && !plan.scir.method.consistency)
    options.reject("scir.cons_gate",
                   "no value unless the method has L_cons (scir, scir_no_select)");
  if (options.was_set("scir.tau") && !plan.scir.pointwise_grm)
    options.reject("scir.tau", "no value unless scir.grm = pointwise");
  reject_inapplicable_srlm_options(options, plan);
  // Read and checked with the seed options: templates, seed and evaluation settings.
  plan.pointwise_template = seeds.pointwise_template;
  plan.pairwise_template = seeds.pairwise_template;
  plan.seed = seeds.seed;
  plan.dtype = seeds.dtype;
  plan.eval = seeds.eval;
  plan.eval.pointwise_grm = plan.scir.pointwise_grm;  // the GRM evaluated is the one in use
  plan.eval.tau = plan.tau;
  // The implicit reward evaluated is the one trained: its beta is scir.beta, never a second value.
  if (options.was_set("eval.beta"))
    options.reject("eval.beta", "no value in run (the implicit reward evaluated uses scir.beta)");
  plan.eval.beta = plan.scir.beta;
  plan.sampled_judge.batch_size = seeds.eval.batch_size;
  return plan;
}

// A user's M1 and prompt files, checked before any work: the models load (configuration,
// tokenizer, weight files) and share a vocabulary, every prompt file reads, and M0 is given
// where the first iteration needs it as the reference.
SelfRewardingInputs user_model_inputs(const OptionSet& options, const SelfRewardingPlan& plan,
                                      SelfRewardingInputs inputs) {
  const ModelConfig m1 = check_hf_model(inputs.m1_dir);
  if (!inputs.m1_adapter_dir.empty()) check_peft_adapter_fits(inputs.m1_adapter_dir, m1);
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(inputs.m1_dir);
  if (!tokenizer->has_text()) {
    options.reject("model.m1",
                   "a model directory with a tokenizer (the iterations' prompts and "
                   "judge prompts are text)");
  }
  if (plan.scir.method.labels == LabelSource::kOracle)
    options.reject("scir.method", "not oracle with model.m1 (a user's model has no oracle)");
  const bool reference_is_m0 = reads_m0(plan);
  if (!inputs.m0_dir.empty() && !reference_is_m0) {
    options.reject("model.m0",
                   "no value unless M0 is read: it is a reference only under scir.irm_ref = "
                   "previous or first with an online method (not srlm or oracle)");
  }
  if (inputs.m0_dir.empty() && reference_is_m0) {
    options.reject("model.m0",
                   "the base model M0 (the reference of iteration 1 under scir.irm_ref = "
                   "previous or first), or scir.irm_ref = current or m1");
  }
  if (!inputs.m0_dir.empty() && check_hf_model(inputs.m0_dir).vocab_size != m1.vocab_size) {
    options.reject("model.m0", cat("a model with M1's vocabulary of ", m1.vocab_size, " tokens"));
  }
  resolve_chat_template(inputs.chat_template, *tokenizer);
  inputs.pool_paths = options.get_list("data.prompt_pools");
  const size_t needed = plan.fixed_pool ? 1 : static_cast<size_t>(plan.iterations);
  if (inputs.pool_paths.size() < needed) {
    options.reject("data.prompt_pools", cat(needed, " JSONL prompt file(s), one an iteration"));
  }
  if (plan.max_new_tokens > m1.max_position_embeddings) {
    options.reject("scir.max_new_tokens",
                   cat("at most M1's context of ", m1.max_position_embeddings, " tokens"));
  }
  // A prompt and its response must fit M1's context: found now, not in the generate phase.
  const int64_t longest_prompt = m1.max_position_embeddings - plan.max_new_tokens;
  for (const std::string& path : inputs.pool_paths) {
    const std::vector<std::string> prompts = read_prompt_texts(path);
    for (size_t line = 0; line < prompts.size(); ++line) {
      const size_t length = prompt_ids(*tokenizer, inputs.chat_template, prompts[line]).size();
      if (static_cast<int64_t>(length) > longest_prompt) {
        throw InputError(cat(path, ": prompt ", line + 1, " has ", length, " tokens; at most ",
                             longest_prompt, " fit M1's context of ", m1.max_position_embeddings,
                             " with scir.max_new_tokens = ", plan.max_new_tokens));
      }
    }
  }
  if (!inputs.heldout_pairs_path.empty()) read_labelled_pairs(inputs.heldout_pairs_path);
  if (plan.scir.stop_grad == ConsistencyStopGrad::kReliable && inputs.heldout_pairs_path.empty()) {
    options.reject("scir.cons_stopgrad",
                   "not reliable without data.heldout_pairs_file (the labelled pairs that measure "
                   "which reward model is more accurate)");
  }
  return inputs;
}

}  // namespace

RunJob read_run_job(const OptionSet& options, const ProcessGrid& grid) {
  RunJob job;
  const int copies = grid.data().size();
  job.user_model = !options.get_string("model.m1").empty();
  agree_or_throw(grid.job(), [&] {
    job.seeds = read_seed_options(options);
    SelfRewardingInputs bound;  // the model.* and data.* options of a user's M1
    job.plan = read_plan(options, job.seeds, bound);
    if (job.plan.batch_pairs % copies != 0) {
      options.reject("scir.batch_pairs",
                     cat("a multiple of the ", copies, grid.tensor() ? " model copies" : " ranks"));
    }
    if (job.user_model) {
      reject_seed_options_with_m1(options);
      job.inputs = user_model_inputs(options, job.plan, bound);
      const ModelConfig m1 = check_hf_model(job.inputs.m1_dir);
      check_tensor_parallel_shape(options, m1, grid.tp());
      check_lora_fits(options, "scir.lora_rank", job.plan.lora.rank, job.plan.lora.targets, m1);
    } else {
      reject_user_model_options_without_m1(options);
      check_seed_batches(options, job.seeds, copies);
      check_tensor_parallel_shape(options, job.seeds.model, grid.tp());
      for (const auto& [key, lora] : {std::pair{"scir.lora_rank", &job.plan.lora},
                                      {"sft.lora_rank", &job.seeds.sft.lora},
                                      {"judge_sft.lora_rank", &job.seeds.judge_sft.lora}})
        check_lora_fits(options, key, lora->rank, lora->targets, job.seeds.model);
      if (job.plan.iterations > job.seeds.data.iterations) {
        options.reject("scir.iterations", cat("at most data.iterations (",
                                              job.seeds.data.iterations, " prompt pools)"));
      }
      job.seeds.eval = job.plan.eval;  // M1's evaluation judges with the GRM the iterations use
      const M1FinishSettings finish = read_finish_options(options);
      if (finish.enabled) {
        if (job.seeds.data.finish_prompts == 0)
          options.reject("data.finish_prompts", "an integer > 0 when finish.method = oracle");
        if (finish.batch_pairs % copies != 0) {
          options.reject("finish.batch_pairs", cat("a multiple of the ", copies,
                                                   grid.tensor() ? " model copies" : " ranks"));
        }
        job.finish = true;
        job.finish_plan = finish_plan(finish, job.plan, job.seeds.seed);
      }
    }
    const bool resume =
        read_choice(options, "resume", OptionNames<bool>{{"auto", true}, {"no", false}});
    job.directory = options.get_string("out");
    const std::filesystem::path done = std::filesystem::path(job.directory) / ".done";
    if (!resume && std::filesystem::exists(done) && !std::filesystem::is_empty(done)) {
      throw InputError(cat(job.directory,
                           ": holds a run already (finished phases in .done/); --resume no "
                           "needs a new directory"));
    }
    if (resume) {
      check_rerun_options(job.directory, options.effective_values());
      // A damaged run.h5 is found now, not when the first phase adds to it.
      check_h5_file((std::filesystem::path(job.directory) / "run.h5").string());
    }
    const RunDirectory created(job.directory);  // an unwritable --out fails here, on every rank
  });
  job.config_ini = options.dump_ini();
  for (const auto& [key, value] : options.effective_values()) job.config[key] = value;
  job.git_sha = kBuildCommit;
  job.method = options.get_string("scir.method");
  return job;
}

}  // namespace scir::app
