#include "scir/tokenizer/ids_only_tokenizer.h"

#include "scir/core/errors.h"

namespace scir {
namespace {

[[noreturn]] void refuse_text(const std::string& model_dir) {
  throw InputError(cat(model_dir,
                       ": no tokenizer (expected tokenizer.model, tokenizer.json or "
                       "scir_tokenizer.json), so text cannot be used: give token ids "
                       "(prompt_ids, response_ids) instead"));
}

}  // namespace

std::vector<int64_t> IdsOnlyTokenizer::encode(const std::string&) const { refuse_text(model_dir_); }

std::string IdsOnlyTokenizer::decode(const std::vector<int64_t>&) const { refuse_text(model_dir_); }

}  // namespace scir
