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

}  // namespace scir::h5
