// Rows of one HDF5 group written by every rank at once (parallel HDF5, MPI-IO, collective
// transfers): each rank's rows go to [offset, offset + count), the offset being the exclusive
// scan of the ranks' counts, so the group holds rank 0's rows, then rank 1's, and so on. A rank
// may have no rows; every rank must call with the same column names. Float64 columns only:
// parallel HDF5 does not write variable-length data; rank 0 adds those afterwards
// (write_h5_group with H5GroupWrite::kAddColumns).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scir/dist/mpi_comm.h"

namespace scir {

// Creates `file` if missing and replaces `group_path` if present. Returns this rank's offset.
int64_t write_h5_rows_collective(MpiComm& comm, const std::string& file,
                                 const std::string& group_path,
                                 const std::map<std::string, std::vector<double>>& columns);
// The same over any communicator: collective over MPI, a plain write for a single process.
int64_t write_h5_rows(Comm& comm, const std::string& file, const std::string& group_path,
                      const std::map<std::string, std::vector<double>>& columns);

}  // namespace scir
