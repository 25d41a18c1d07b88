// A group of an HDF5 file written in one go: 1-D float64 columns (one row a step, a pair, ...)
// and scalar attributes. Written by one process; the collective pair store comes separately.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace scir {

struct H5Group {
  std::map<std::string, std::vector<double>> columns;
  std::map<std::string, std::vector<std::string>> text_columns;            // variable-length UTF-8
  std::map<std::string, std::vector<std::vector<int32_t>>> token_columns;  // variable-length

  std::map<std::string, double> numbers;     // attributes
  std::map<std::string, std::string> texts;  // attributes
};

enum class H5GroupWrite {
  kReplace,     // the group is replaced if present
  kAddColumns,  // columns and attributes are added to the group if present (a name it has
                // already is replaced)
};

// Creates `file` if missing, writes `group_path` ("/sft/steps"); intermediate groups are
// created. Columns (of every kind) of unequal length are an InternalError.
void write_h5_group(const std::string& file, const std::string& group_path, const H5Group& group,
                    H5GroupWrite mode = H5GroupWrite::kReplace);
// Whether `file` exists and holds `group_path`; a file HDF5 cannot open is an InputError.
bool h5_has_group(const std::string& file, const std::string& group_path);
// An existing `file` that HDF5 cannot open is an InputError naming it (checked before a job
// that would add to it starts); an absent one passes.
void check_h5_file(const std::string& file);
// Reads back what write_h5_group wrote (columns of every kind and numeric attributes).
H5Group read_h5_group(const std::string& file, const std::string& group_path);

}  // namespace scir
