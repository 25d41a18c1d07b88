// A group of an HDF5 file written in one go: 1-D float64 columns (one row a step, a pair, ...)
// and scalar attributes. Written by one process; the collective pair store comes separately.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace scir {

struct H5Group {
  std::map<std::string, std::vector<double>> columns;
  std::map<std::string, double> numbers;     // attributes
  std::map<std::string, std::string> texts;  // attributes
};

// Creates `file` if missing, replaces `group_path` ("/sft/steps") if present; intermediate
// groups are created. Columns of unequal length are an InternalError.
void write_h5_group(const std::string& file, const std::string& group_path, const H5Group& group);
// Reads back what write_h5_group wrote (columns and numeric attributes only).
H5Group read_h5_group(const std::string& file, const std::string& group_path);

}  // namespace scir
