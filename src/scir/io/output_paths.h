// Outputs checked before the work that fills them: a file or directory that cannot be created
// (read-only, immutable, a parent that is a file) is an InputError naming the path at once,
// not after a whole pretraining or export.
#pragma once

#include <string>

namespace scir {

// `path` ("-": standard output, always fine) can be written as a file: it is not a directory,
// and its directory exists and takes a new file.
void check_output_file(const std::string& path);
// `path` can be written as a directory (a model, a data set): it is a directory or absent, and
// its parent exists or can be created, and takes a new entry (the staging directory renamed).
void check_output_directory(const std::string& path);

}  // namespace scir
