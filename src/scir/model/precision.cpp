#include "scir/model/precision.h"

#include "scir/core/errors.h"

namespace scir {

torch::ScalarType dtype_from_name(const std::string& name, const std::string& option) {
  if (name == "float32") return torch::kFloat;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kHalf;
  throw InputError(
      cat("option '--", option, "': expected float32, bfloat16 or float16, got '", name, "'"));
}

}  // namespace scir
