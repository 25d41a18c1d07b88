// The seed models of the embedded world, as phases of a run directory: the world's data sets
// (RUN/data), M0 = pretraining of a fresh model on the base corpus (RUN/ckpt/m0), M1 = SFT of
// M0 on IFT + EFT (RUN/ckpt/m1), and M1's evaluation (run.h5 /sft/eval). Each phase ends with a
// DONE marker; a re-run skips the phases already done.
// With judge_sft.steps > 0, SFT writes RUN/ckpt/m1_base instead; that model samples responses
// to RUN/data/judge_prompts.jsonl, whose oracle-labelled pairs become RUN/data/eft_own.jsonl
// (train/own_sample_eft), and M1 = m1_base trained further on IFT + EFT + those.
#pragma once

#include <string>

#include "scir/data/judge_template.h"
#include "scir/data/world/world_datasets.h"
#include "scir/dist/process_grid.h"
#include "scir/eval/world_eval.h"
#include "scir/io/run_directory.h"
#include "scir/model/model_config.h"
#include "scir/train/lm_trainer.h"
#include "scir/train/own_sample_eft.h"

namespace scir {

struct SeedModelsPlan {
  world::WorldKnobs world;
  world::DatasetSizes data;
  uint64_t seed = 0;  // of the data sets and the initial weights
  ModelConfig model;  // vocabulary, BOS and EOS are the byte tokenizer's
  LmTrainOptions pretrain;
  LmTrainOptions sft;
  LmTrainOptions judge_sft;  // steps == 0: no second SFT stage
  OwnSampleEftSettings own_eft;
  WorldEvalSettings eval;
  std::string pairwise_template;   // path
  std::string pointwise_template;  // path (pointwise EFT data)
  // The precision the models load and train in (bfloat16: float32 master weights).
  torch::ScalarType dtype = torch::kFloat;
};

struct SeedModels {
  std::string data_dir, m0_dir, m1_dir;
};

// Every rank of the grid's job calls this; with a tensor group the models are cut over it and
// the model copies divide the work (restart states inside a phase need tp = 1).
SeedModels build_seed_models(const ProcessGrid& grid, const RunDirectory& run,
                             const SeedModelsPlan& plan);

}  // namespace scir
