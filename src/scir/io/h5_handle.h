// HDF5 handles closed by scope, and status checks, for the files that write run.h5.
#pragma once

#include <hdf5.h>

#include <string>

#include "scir/core/errors.h"

namespace scir::h5 {

class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id_ < 0) throw InternalError("HDF5: " + what + " failed");
  }
  ~Handle() { close_(id_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

inline void check(herr_t status, const std::string& what) {
  if (status < 0) throw InternalError("HDF5: " + what + " failed");
}

// An existing file opened (H5F_ACC_RDONLY or H5F_ACC_RDWR, with `access` properties): one that
// HDF5 cannot open (truncated, zeroed, not HDF5) is damaged input, an InputError naming it,
// never an internal error that a cluster script would retry.
inline hid_t open_existing_file(const std::string& file, unsigned flags,
                                hid_t access = H5P_DEFAULT) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t id = H5Fopen(file.c_str(), flags, access);
  if (id < 0) {
    throw InputError(file +
                     ": HDF5 cannot open it (truncated, zeroed or not an HDF5 file); "
                     "start over in a new directory, or restore the file");
  }
  return id;
}

}  // namespace scir::h5
