// The HDF5 library this binary runs with.
#pragma once

#include <string>

namespace scir {

std::string hdf5_version();
// True when HDF5 was built with MPI-IO (parallel HDF5), required for the shared run.h5.
bool hdf5_is_parallel();

}  // namespace scir
