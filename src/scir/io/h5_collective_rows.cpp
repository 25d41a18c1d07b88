#include "scir/io/h5_collective_rows.h"

#include <filesystem>

#include "scir/io/h5_group.h"
#include "scir/io/h5_handle.h"

namespace scir {

void write_h5_strided_rows_collective(MpiComm& comm, const std::string& file,
                                      const std::string& group_path,
                                      const std::map<std::string, std::vector<double>>& columns,
                                      H5GroupWrite mode) {
  using h5::check;
  using h5::Handle;
  using h5::open_existing_file;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  // Same columns everywhere (HDF5 metadata calls are collective), one row count a rank.
  std::string names;
  size_t rows = columns.empty() ? 0 : columns.begin()->second.size();
  for (const auto& [name, values] : columns) {
    names += name + "\n";
    if (values.size() != rows) {
      throw InternalError(cat("HDF5 group ", group_path, ": column ", name, " has ", values.size(),
                              " rows, others ", rows));
    }
  }
  for (const std::string& other : all_gather_strings(comm, names)) {
    if (other != names)
      throw InternalError(cat("HDF5 group ", group_path, ": ranks differ in columns"));
  }
  const torch::Tensor counts =
      comm.all_gather(torch::tensor({static_cast<int64_t>(rows)}, torch::kLong)).reshape({-1});
  int64_t total = 0;
  for (int r = 0; r < comm.size(); ++r) total += counts[r].item<int64_t>();
  for (int r = 0; r < comm.size(); ++r) {  // rank r holds rows r, r + ranks, ...
    const int64_t dealt = total > r ? (total - r + comm.size() - 1) / comm.size() : 0;
    if (counts[r].item<int64_t>() != dealt) {
      throw InternalError(cat("HDF5 group ", group_path, ": rank ", r, " has ",
                              counts[r].item<int64_t>(), " rows, not the ", dealt, " of ", total,
                              " dealt to it"));
    }
  }

  const bool exists =
      all_reduce_scalar(comm, comm.rank() == 0 && std::filesystem::exists(file) ? 1 : 0,
                        ReduceOp::kMax) > 0;
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "file access properties");
  check(H5Pset_fapl_mpio(access, comm.handle(), MPI_INFO_NULL), "MPI-IO file access");
  Handle handle(exists ? open_existing_file(file, H5F_ACC_RDWR, access)
                       : H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access),
                H5Fclose, "opening " + file + " on every rank");
  const bool present = H5Lexists(handle, group_path.c_str(), H5P_DEFAULT) > 0;
  const bool add = mode == H5GroupWrite::kAddColumns && present;
  if (present && !add) {
    check(H5Ldelete(handle, group_path.c_str(), H5P_DEFAULT), "replacing " + group_path);
  }
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "link properties");
  H5Pset_create_intermediate_group(link_properties, 1);
  Handle target(
      add ? H5Gopen2(handle, group_path.c_str(), H5P_DEFAULT)
          : H5Gcreate2(handle, group_path.c_str(), link_properties, H5P_DEFAULT, H5P_DEFAULT),
      H5Gclose, "opening " + group_path);
  Handle transfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "transfer properties");
  check(H5Pset_dxpl_mpio(transfer, H5FD_MPIO_COLLECTIVE), "collective transfer");
  const hsize_t extent = static_cast<hsize_t>(total);
  const hsize_t start = static_cast<hsize_t>(comm.rank()), count = rows;
  const hsize_t stride = static_cast<hsize_t>(comm.size());
  const hsize_t memory_extent = std::max<hsize_t>(1, rows);  // a rank without rows selects none
  for (const auto& [name, values] : columns) {
    if (add && H5Lexists(target, name.c_str(), H5P_DEFAULT) > 0)
      check(H5Ldelete(target, name.c_str(), H5P_DEFAULT), "replacing " + group_path + "/" + name);
    Handle file_space(H5Screate_simple(1, &extent, nullptr), H5Sclose, "dataspace");
    Handle dataset(H5Dcreate2(target, name.c_str(), H5T_IEEE_F64LE, file_space, H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose, "creating " + group_path + "/" + name);
    if (total == 0) continue;  // an empty column: nothing to write (HDF5 refuses the write)
    Handle memory_space(H5Screate_simple(1, &memory_extent, nullptr), H5Sclose, "dataspace");
    if (rows > 0) {
      check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, &stride, &count, nullptr),
            "selecting rows");
    } else {
      check(H5Sselect_none(file_space), "selecting no rows");
      check(H5Sselect_none(memory_space), "selecting no rows");
    }
    const double none = 0;  // a valid buffer for a rank without rows
    check(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory_space, file_space, transfer,
                   rows > 0 ? values.data() : &none),
          "writing " + group_path + "/" + name);
  }
}

void write_h5_strided_rows(Comm& comm, const std::string& file, const std::string& group_path,
                           const std::map<std::string, std::vector<double>>& columns,
                           H5GroupWrite mode) {
  if (auto* mpi = dynamic_cast<MpiComm*>(&comm))
    return write_h5_strided_rows_collective(*mpi, file, group_path, columns, mode);
  if (comm.size() != 1)
    throw InternalError(
        cat("write_h5_strided_rows: no parallel HDF5 over a ", comm.backend(), " communicator"));
  H5Group group;
  group.columns = columns;
  write_h5_group(file, group_path, group, mode);
}

}  // namespace scir
