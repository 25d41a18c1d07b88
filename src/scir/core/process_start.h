// How every scir binary starts: settings that libraries read only while they load (OpenMP's
// wait policy, OpenBLAS's kernel) are put into the environment, and the process executes
// itself once more with them (argv as given) before anything else runs. Call first in main,
// before MPI starts.
#pragma once

namespace scir {

void restart_with_tuned_environment(char** argv);

}  // namespace scir
