// scir_hpc score: log pi(response | prompt) for every line of a JSONL file, sharded over ranks;
// with --tp T each model copy is cut over T consecutive ranks (tensor parallel) and the lines
// are sharded over the copies.
#include "command.h"
#include "model_options.h"
#include "process_grid_options.h"
#include "scir/dist/agreement.h"
#include "scir/dist/sharding.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_model_io_options(options);
  options.add_bool("append-eos", false, "end each text response with EOS before scoring");
  declare_tensor_parallel_option(options);
}

void run(const OptionSet& options, Comm& comm) {
  ModelIo io;
  std::vector<ScoreRecord> records;
  const std::unique_ptr<ProcessGrid> grid = make_tensor_parallel_grid(options, comm);
  agree_or_throw(comm, [&] {
    io = open_model_io(options);
    TextEncoding encoding = io.encoding();
    encoding.append_eos = options.get_bool("append-eos");
    records = read_score_records(options.get_string("input"), encoding);
    place_model_io(options, *grid, io);
  });
  torch::NoGradGuard no_grad;
  Comm& copies = grid->data();
  const std::vector<size_t> mine = shard_indices(records.size(), copies.rank(), copies.size());
  std::vector<std::pair<size_t, std::string>> lines;
  for (size_t start = 0; start < mine.size(); start += io.batch_size) {
    const size_t end = std::min(mine.size(), start + static_cast<size_t>(io.batch_size));
    std::vector<PromptResponse> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(records[mine[i]].ids);
    const ResponseLogProbs scores =
        response_logprobs(*io.loaded.model, batch, io.loaded.tokenizer->pad_id());
    for (size_t i = start; i < end; ++i) {
      const int64_t row = static_cast<int64_t>(i - start);
      nlohmann::json out = records[mine[i]].source;
      const int64_t length = scores.lengths[row];
      const torch::Tensor tokens =
          scores.token_logps[row].narrow(0, 0, length).to(torch::kCPU, torch::kDouble);
      out["logp"] = scores.sum[row].item<double>();
      out["token_logps"] =
          std::vector<double>(tokens.data_ptr<double>(), tokens.data_ptr<double>() + length);
      out["n_tokens"] = length;
      lines.emplace_back(mine[i], json_line(out));
    }
  }
  // The ranks that hold the same slice gather their lines (every copy scored its share); world
  // rank 0 writes them.
  write_output_lines(options, comm.rank(), gather_in_item_order(copies, lines));
}

}  // namespace

Command score_command() {
  return {"score", "log-probabilities of responses given prompts (JSONL in, JSONL out)", declare,
          run};
}

}  // namespace scir::app
