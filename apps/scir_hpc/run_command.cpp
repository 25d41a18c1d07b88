// scir_hpc run: the whole self-rewarding job. The seed models (embedded world) and then T
// iterations of SCIR (or a baseline, by scir.method), in one run directory; with no options it
// runs the embedded demo (jobs/configs/demo.ini) into runs/demo. scir.iterations = 0 stops
// after the seed models.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "command.h"
#include "scir/core/blas_kernel.h"
#include "scir/core/logging.h"
#include "scir/core/platform_info.h"
#include "scir/data/labelled_pairs.h"
#include "scir/data/text_records.h"
#include "scir/dist/agreement.h"
#include "scir/io/h5_group.h"
#include "scir/io/hdf5_info.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/train/seed_models.h"
#include "scir/train/self_rewarding.h"
#include "seed_options.h"
#include "tensor_parallel_grid.h"
#include "train_options.h"
#include "world_options.h"

namespace scir::app {
namespace {

std::string default_config_path() { return default_template_dir() + "/../configs/demo.ini"; }

void declare(OptionSet& options) {
  options.set_default_config(default_config_path());
  declare_seed_options(options);
  declare_tensor_parallel_option(options);
  const SelfRewardingPlan plan;
  options
      .add_string("resume", "auto",
                  "auto: go on from the finished phases and restart states in --out; no: refuse "
                  "a directory that holds a run already")
      .add_string("scir.method", "scir",
                  "scir, scir_no_cons, scir_no_select, irm_only, grm_online, srlm or oracle")
      .add_int("scir.iterations", plan.iterations, "self-rewarding iterations T (M1 -> M(T+1))")
      .add_double("scir.beta", plan.scir.beta, "beta of the implicit reward and DPO (> 0)")
      .add_double("scir.gamma", plan.scir.gamma, "weight of the entropy term in L_cons (>= 0)")
      .add_double("scir.lambda", plan.scir.lambda, "weight of L_cons in the loss (>= 0)")
      .add_double("scir.delta", plan.scir.delta, "selection margin, in [0, 0.5)")
      .add_double("scir.nll_weight", plan.scir.nll_weight,
                  "weight of the chosen responses' NLL (>= 0)")
      .add_string("scir.irm_ref", "previous",
                  "reference of the implicit reward: previous or current")
      .add_bool("scir.irm_length_norm", false, "divide r by |y| for consistency and selection")
      .add_string("scir.grm", "pairwise",
                  "generative reward model: pairwise (both orders) or pointwise (scores 0-5)")
      .add_double("scir.tau", plan.tau, "temperature of the pointwise P_G (> 0)")
      .add_string("scir.cons_stopgrad", "none", "fixed side of L_cons: none, grm or irm")
      .add_string("scir.tie", "grm", "pairs with P_I = 1/2: grm (keep, GRM's label) or drop")
      .add_string("scir.dpo_loss", "sigmoid", "sigmoid, ipo, hinge or robust")
      .add_double("scir.label_smoothing", 0.1, "eps of the robust DPO loss")
      .add_int("scir.samples", plan.samples, "responses sampled a prompt (N >= 2)")
      .add_int("scir.pairs_per_prompt", plan.pairs_per_prompt,
               "0: all N(N-1)/2 distinct pairs a prompt; K > 0: K random distinct pairs")
      .add_bool("scir.fixed_pool", plan.fixed_pool,
                "every iteration uses pool_1 (default: a fresh pool each)")
      .add_double("scir.temperature", plan.temperature, "sampling temperature")
      .add_double("scir.top_p", plan.top_p, "sampling top-p")
      .add_int("scir.max_new_tokens", plan.max_new_tokens, "new tokens at most a response")
      .add_int("scir.epochs", plan.epochs, "epochs over an iteration's pairs")
      .add_int("scir.batch_pairs", plan.batch_pairs, "pairs a step over all ranks")
      .add_double("scir.lr", plan.lr, "learning rate (constant after warm-up)")
      .add_int("scir.warmup_steps", plan.warmup_steps, "warm-up steps an iteration")
      .add_double("scir.grad_clip", plan.grad_clip, "clip the global gradient norm to this")
      .add_int("scir.log_every", plan.log_every, "steps between progress lines")
      .add_string("srlm.judge", "expected",
                  "SRLM's offline scores: expected (the score token's distribution) or sampled "
                  "(judgements written and parsed, as SRLM ran its judge)")
      .add_int("srlm.judge_samples", plan.sampled_judge.judgements,
               "sampled judgements a response, averaged")
      .add_string("srlm.score_regex", plan.sampled_judge.score_pattern,
                  "regular expression whose first group is a judgement's score")
      .add_double("srlm.judge_temperature", 0.7, "temperature of the sampled judgements")
      .add_double("srlm.judge_top_p", 0.9, "top-p of the sampled judgements")
      .add_int("srlm.judge_max_new_tokens", 256, "new tokens at most a judgement")
      .add_string("model.m1", "",
                  "a user's M1 (HF directory with its tokenizer): no embedded world, no oracle")
      .add_string("model.m0", "",
                  "with model.m1: the base model M0, reference of iteration 1 under "
                  "scir.irm_ref = previous")
      .add_string("model.chat_template", "plain",
                  "with model.m1: how prompts and judge prompts are wrapped: none, plain, "
                  "mistral, chatml, llama3 or model (the model's own template's family)")
      .add_string("data.prompt_pools", "",
                  "with model.m1: JSONL prompt files ({\"prompt\": ...}), one an iteration, "
                  "comma-separated")
      .add_string("data.heldout_pairs_file", "",
                  "with model.m1: JSONL pairs {prompt, response_a, response_b, q_a, q_b} for "
                  "reward accuracy");
  declare_data_parallel_options(options, "scir.");
  options.add_int("scir.state_every", 0,
                  "steps between restart states inside an iteration's training (0: an "
                  "interrupted iteration reruns whole)");
}

SelfRewardingPlan read_plan(const OptionSet& options, const SeedModelsPlan& seeds) {
  SelfRewardingPlan plan;
  const std::string method = options.get_string("scir.method");
  plan.scir.method = parse_scir_method(method, "scir.method");
  plan.offline = method == "srlm"     ? OfflineLabels::kSrlm
                 : method == "oracle" ? OfflineLabels::kOracle
                                      : OfflineLabels::kNone;
  plan.iterations = static_cast<int>(options.get_int("scir.iterations"));
  plan.scir.beta = options.get_double("scir.beta");
  plan.scir.gamma = options.get_double("scir.gamma");
  plan.scir.lambda = options.get_double("scir.lambda");
  plan.scir.delta = options.get_double("scir.delta");
  plan.scir.nll_weight = options.get_double("scir.nll_weight");
  plan.scir.irm_length_norm = options.get_bool("scir.irm_length_norm");
  const std::string grm = options.get_string("scir.grm");
  if (grm != "pairwise" && grm != "pointwise") options.reject("scir.grm", "pairwise or pointwise");
  plan.scir.pointwise_grm = grm == "pointwise";
  plan.tau = options.get_double("scir.tau");
  if (plan.tau <= 0) options.reject("scir.tau", "a number > 0");
  plan.pointwise_template = seeds.pointwise_template;  // read and checked with the seed options
  plan.scir.stop_grad =
      parse_consistency_stopgrad(options.get_string("scir.cons_stopgrad"), "scir.cons_stopgrad");
  plan.scir.tie_rule = parse_tie_rule(options.get_string("scir.tie"), "scir.tie");
  plan.scir.dpo.kind = parse_dpo_loss(options.get_string("scir.dpo_loss"), "scir.dpo_loss");
  plan.scir.dpo.label_smoothing = options.get_double("scir.label_smoothing");
  const std::string reference = options.get_string("scir.irm_ref");
  if (reference != "previous" && reference != "current")
    options.reject("scir.irm_ref", "previous or current");
  plan.irm_reference = reference == "current" ? IrmReference::kCurrent : IrmReference::kPrevious;
  plan.samples = static_cast<int>(options.get_int("scir.samples"));
  plan.pairs_per_prompt = static_cast<int>(options.get_int("scir.pairs_per_prompt"));
  plan.fixed_pool = options.get_bool("scir.fixed_pool");
  if (plan.pairs_per_prompt < 0)
    options.reject("scir.pairs_per_prompt", "an integer >= 0 (0: all pairs)");
  plan.temperature = options.get_double("scir.temperature");
  plan.top_p = options.get_double("scir.top_p");
  plan.max_new_tokens = options.get_int("scir.max_new_tokens");
  plan.epochs = static_cast<int>(options.get_int("scir.epochs"));
  plan.batch_pairs = options.get_int("scir.batch_pairs");
  plan.lr = options.get_double("scir.lr");
  plan.warmup_steps = options.get_int("scir.warmup_steps");
  plan.grad_clip = options.get_double("scir.grad_clip");
  plan.log_every = options.get_int("scir.log_every");
  plan.parallel = read_data_parallel_options(options, "scir.");
  plan.state_every = options.get_int("scir.state_every");
  if (plan.state_every < 0) options.reject("scir.state_every", "an integer >= 0 (0: none)");
  const std::string srlm_judge = options.get_string("srlm.judge");
  if (srlm_judge != "expected" && srlm_judge != "sampled")
    options.reject("srlm.judge", "expected or sampled");
  plan.srlm_sampled_judge = srlm_judge == "sampled";
  plan.sampled_judge.judgements = static_cast<int>(options.get_int("srlm.judge_samples"));
  plan.sampled_judge.score_pattern = options.get_string("srlm.score_regex");
  compile_score_pattern(plan.sampled_judge.score_pattern, "srlm.score_regex");
  plan.sampled_judge.sampling.temperature = options.get_double("srlm.judge_temperature");
  plan.sampled_judge.sampling.top_p = options.get_double("srlm.judge_top_p");
  plan.sampled_judge.sampling.max_new_tokens = options.get_int("srlm.judge_max_new_tokens");
  plan.sampled_judge.batch_size = seeds.eval.batch_size;
  if (plan.sampled_judge.judgements < 1) options.reject("srlm.judge_samples", "an integer >= 1");
  if (plan.sampled_judge.sampling.temperature <= 0)
    options.reject("srlm.judge_temperature", "a number > 0");
  if (plan.sampled_judge.sampling.top_p <= 0 || plan.sampled_judge.sampling.top_p > 1)
    options.reject("srlm.judge_top_p", "a number in (0, 1]");
  if (plan.sampled_judge.sampling.max_new_tokens < 1)
    options.reject("srlm.judge_max_new_tokens", "an integer >= 1");
  plan.seed = seeds.seed;
  plan.eval = seeds.eval;
  plan.eval.pointwise_grm = plan.scir.pointwise_grm;  // the GRM evaluated is the one in use
  plan.eval.tau = plan.tau;
  plan.pairwise_template = seeds.pairwise_template;
  if (plan.iterations < 0)
    options.reject("scir.iterations", "an integer >= 0 (0: seed models only)");
  if (plan.scir.beta <= 0) options.reject("scir.beta", "a number > 0");
  if (plan.scir.gamma < 0) options.reject("scir.gamma", "a number >= 0");
  if (plan.scir.lambda < 0) options.reject("scir.lambda", "a number >= 0");
  // |P - 1/2| < 1/2 for every pair: a margin of 1/2 or more would keep none.
  if (plan.scir.delta < 0 || plan.scir.delta >= 0.5)
    options.reject("scir.delta", "a number in [0, 0.5) (at 0.5 no pair can be kept)");
  if (plan.scir.nll_weight < 0) options.reject("scir.nll_weight", "a number >= 0");
  if (plan.scir.dpo.label_smoothing < 0 || plan.scir.dpo.label_smoothing >= 0.5) {
    options.reject("scir.label_smoothing", "a number in [0, 0.5)");
  }
  if (plan.samples < 2 || plan.samples > 16)
    options.reject("scir.samples", "an integer in [2, 16]");
  const int distinct_pairs = plan.samples * (plan.samples - 1) / 2;
  if (plan.pairs_per_prompt > distinct_pairs) {
    options.reject("scir.pairs_per_prompt",
                   cat("at most the ", distinct_pairs,
                       " distinct pairs of scir.samples = ", plan.samples, " (0: all of them)"));
  }
  // Settings of one variant only, given for another, would be ignored without a word.
  if (options.was_set("scir.label_smoothing") && plan.scir.dpo.kind != DpoLossKind::kRobust)
    options.reject("scir.label_smoothing", "no value unless scir.dpo_loss = robust");
  if (options.was_set("scir.tau") && !plan.scir.pointwise_grm)
    options.reject("scir.tau", "no value unless scir.grm = pointwise");
  if (plan.temperature <= 0) options.reject("scir.temperature", "a number > 0");
  if (plan.top_p <= 0 || plan.top_p > 1) options.reject("scir.top_p", "a number in (0, 1]");
  if (plan.max_new_tokens < 1) options.reject("scir.max_new_tokens", "an integer >= 1");
  if (plan.epochs < 1) options.reject("scir.epochs", "an integer >= 1");
  if (plan.batch_pairs < 1) options.reject("scir.batch_pairs", "an integer >= 1");
  if (plan.lr <= 0) options.reject("scir.lr", "a number > 0");
  if (plan.warmup_steps < 0) options.reject("scir.warmup_steps", "an integer >= 0");
  if (plan.grad_clip <= 0) options.reject("scir.grad_clip", "a number > 0");
  if (plan.log_every < 1) options.reject("scir.log_every", "an integer >= 1");
  return plan;
}

// The embedded world's run directory as the iterations' inputs (after the seed phases).
SelfRewardingInputs world_inputs(const RunDirectory& run, const world::World& world,
                                 const SeedModels& models, int iterations) {
  SelfRewardingInputs inputs;
  inputs.m0_dir = models.m0_dir;
  inputs.m1_dir = models.m1_dir;
  inputs.world = &world;
  for (int t = 1; t <= std::max(1, iterations); ++t)
    inputs.pool_paths.push_back(run.path(cat("data/pool_", t, ".jsonl")));
  inputs.eval_prompts_path = run.path("data/eval_prompts.jsonl");
  inputs.heldout_pairs_path = run.path("data/heldout_pairs.jsonl");
  return inputs;
}

// A user's M1 and prompt files, checked before any work: the models load (configuration,
// tokenizer, weight files) and share a vocabulary, every prompt file reads, and M0 is given
// where the first iteration needs it as the reference.
SelfRewardingInputs user_model_inputs(const OptionSet& options, const SelfRewardingPlan& plan) {
  SelfRewardingInputs inputs;
  inputs.m1_dir = options.get_string("model.m1");
  inputs.m0_dir = options.get_string("model.m0");
  const ModelConfig m1 = check_hf_model(inputs.m1_dir);
  if (!load_tokenizer(inputs.m1_dir)->has_text()) {
    options.reject("model.m1",
                   "a model directory with a tokenizer (the iterations' prompts and "
                   "judge prompts are text)");
  }
  if (plan.offline == OfflineLabels::kOracle)
    options.reject("scir.method", "not oracle with model.m1 (a user's model has no oracle)");
  const bool reference_is_m0 =
      plan.irm_reference == IrmReference::kPrevious && plan.offline == OfflineLabels::kNone;
  if (inputs.m0_dir.empty() && reference_is_m0 && plan.iterations > 0) {
    options.reject("model.m0",
                   "the base model M0 (the reference of iteration 1 under scir.irm_ref = "
                   "previous), or scir.irm_ref = current");
  }
  if (!inputs.m0_dir.empty() && check_hf_model(inputs.m0_dir).vocab_size != m1.vocab_size) {
    options.reject("model.m0", cat("a model with M1's vocabulary of ", m1.vocab_size, " tokens"));
  }
  inputs.chat_template =
      parse_chat_template(options.get_string("model.chat_template"), "model.chat_template");
  resolve_chat_template(inputs.chat_template, *load_tokenizer(inputs.m1_dir));
  inputs.pool_paths = options.get_list("data.prompt_pools");
  const size_t needed = plan.fixed_pool ? 1 : static_cast<size_t>(plan.iterations);
  if (inputs.pool_paths.size() < needed) {
    options.reject("data.prompt_pools", cat(needed, " JSONL prompt file(s), one an iteration"));
  }
  for (const std::string& path : inputs.pool_paths) read_prompt_texts(path);
  inputs.heldout_pairs_path = options.get_string("data.heldout_pairs_file");
  if (!inputs.heldout_pairs_path.empty()) read_labelled_pairs(inputs.heldout_pairs_path);
  return inputs;
}

void run(const OptionSet& options, Comm& comm) {
  SeedModelsPlan seeds;
  SelfRewardingPlan plan;
  std::unique_ptr<RunDirectory> run_dir;
  std::unique_ptr<world::World> world;
  SelfRewardingInputs user_inputs;
  const bool user_model = !options.get_string("model.m1").empty();
  const std::unique_ptr<ProcessGrid> grid = make_tensor_parallel_grid(options, comm);
  const int copies = grid->data().size();
  agree_or_throw(comm, [&] {
    seeds = read_seed_options(options);
    plan = read_plan(options, seeds);
    if (plan.batch_pairs % copies != 0) {
      options.reject("scir.batch_pairs", cat("a multiple of the ", copies,
                                             grid->tensor() ? " model copies" : " ranks"));
    }
    if (user_model) {
      user_inputs = user_model_inputs(options, plan);
      check_tensor_parallel_shape(options, check_hf_model(user_inputs.m1_dir), grid->tp());
    } else {
      check_seed_batches(options, seeds, copies);
      check_tensor_parallel_shape(options, seeds.model, grid->tp());
      if (plan.iterations > seeds.data.iterations) {
        options.reject("scir.iterations",
                       cat("at most data.iterations (", seeds.data.iterations, " prompt pools)"));
      }
      world = std::make_unique<world::World>(seeds.world);
      seeds.eval = plan.eval;  // M1's evaluation judges with the GRM the iterations use
    }
    const std::string resume = options.get_string("resume");
    if (resume != "auto" && resume != "no") options.reject("resume", "auto or no");
    const std::filesystem::path done = std::filesystem::path(options.get_string("out")) / ".done";
    if (resume == "no" && std::filesystem::exists(done) && !std::filesystem::is_empty(done)) {
      throw InputError(cat(options.get_string("out"),
                           ": holds a run already (finished phases in .done/); --resume no "
                           "needs a new directory"));
    }
    run_dir = std::make_unique<RunDirectory>(options.get_string("out"));
  });
  const std::vector<std::string> hosts = all_gather_strings(comm, host_name());
  if (comm.rank() == 0) {
    std::ofstream(run_dir->path("config.ini")) << options.dump_ini();
    H5Group config;
    for (const auto& [key, value] : options.effective_values()) config.texts[key] = value;
    write_h5_group(run_dir->h5(), "/config", config);
    H5Group provenance;
    std::string host_list;
    for (const std::string& host : hosts) host_list += (host_list.empty() ? "" : ",") + host;
    provenance.texts = {{"git_sha", SCIR_GIT_SHA},
                        {"hosts", host_list},
                        {"libtorch_version", torch_version()},
                        {"hdf5_version", hdf5_version()},
                        {"start_time", timestamp_now()},
                        {"command", "scir_hpc run"}};
    provenance.numbers = {{"ranks", static_cast<double>(comm.size())},
                          {"tensor_parallel", static_cast<double>(grid->tp())},
                          {"threads_per_rank", static_cast<double>(torch::get_num_threads())}};
    write_h5_group(run_dir->h5(), "/provenance", provenance);
  }
  log_open_file(run_dir->path("main.log"));
  log_info("BLAS kernel: " + blas_kernel_description());
  const SelfRewardingInputs inputs =
      user_model ? user_inputs
                 : world_inputs(*run_dir, *world, build_seed_models(*grid, *run_dir, seeds),
                                plan.iterations);
  const std::vector<IterationSummary> iterations =
      run_self_rewarding(*grid, *run_dir, inputs, plan);
  if (comm.rank() != 0) return;  // rank 0 alone reads run.h5 and prints the summary
  run_dir->mark_done("run");     // the whole job: sweep runners skip a run marked so
  WorldEvaluation m1;            // a user's M1 has no seed evaluation: its row shows "-"
  m1.mean_quality = m1.acc_grm_heldout = m1.acc_irm_heldout = -1;
  if (!user_model) {
    const H5Group sft = read_h5_group(run_dir->h5(), "/sft/eval");
    m1.mean_quality = sft.numbers.at("mean_quality");
    m1.acc_grm_heldout = sft.numbers.at("acc_grm");
    m1.acc_irm_heldout = sft.numbers.at("acc_irm");
  }
  log_info("summary (" + options.get_string("scir.method") + ")\n" +
           format_summary_table(m1, iterations));
}

}  // namespace

Command run_command() {
  return {"run", "the self-rewarding job: seed models, then T iterations of SCIR or a baseline",
          declare, run};
}

}  // namespace scir::app
