// The options of M1's finish (finish.*, pipeline/m1_finish.h): declared once, read and checked.
#pragma once

#include "scir/core/config.h"
#include "scir/core/option_binding.h"
#include "scir/pipeline/m1_finish.h"

namespace scir::app {

// Which samples of a prompt the oracle pairs, by name (scir.oracle_pairs and finish.pairs).
const OptionNames<OraclePairs>& oracle_pairs_names();

void declare_finish_options(OptionSet& options);
// finish.* other than finish.method are refused unless finish.method = oracle.
M1FinishSettings read_finish_options(const OptionSet& options);

}  // namespace scir::app
