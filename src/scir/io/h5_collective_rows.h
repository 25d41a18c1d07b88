// Rows of one HDF5 group written by every rank at once (parallel HDF5, MPI-IO, collective
// transfers), dealt out as shard_indices deals items: rank r's i-th row is row r + i * ranks of
// the group, so the group holds the rows in item order whatever the rank count. A rank may
// have no rows; every rank must call with the same column names. Float64 columns only:
// parallel HDF5 does not write variable-length data; rank 0 adds those afterwards
// (write_h5_group with H5GroupWrite::kAddColumns).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scir/dist/mpi_comm.h"
#include "scir/io/h5_group.h"

namespace scir {

// Creates `file` if missing. kReplace replaces `group_path` if present; kAddColumns adds the
// columns to it (a column of the same name is replaced; the row count must be the group's).
void write_h5_strided_rows_collective(MpiComm& comm, const std::string& file,
                                      const std::string& group_path,
                                      const std::map<std::string, std::vector<double>>& columns,
                                      H5GroupWrite mode = H5GroupWrite::kReplace);
// The same over any communicator: collective over MPI, a plain write for a single process.
void write_h5_strided_rows(Comm& comm, const std::string& file, const std::string& group_path,
                           const std::map<std::string, std::vector<double>>& columns,
                           H5GroupWrite mode = H5GroupWrite::kReplace);

}  // namespace scir
