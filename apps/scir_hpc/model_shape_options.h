// The [model] options: the shape of a freshly initialised Llama/Mistral model.
#pragma once

#include "scir/core/config.h"
#include "scir/model/model_config.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir::app {

void declare_model_shape_options(OptionSet& options);
// BOS, EOS and (when model.vocab_size is 0) the vocabulary come from the tokenizer.
ModelConfig read_model_shape_options(const OptionSet& options, const Tokenizer& tokenizer);

}  // namespace scir::app
