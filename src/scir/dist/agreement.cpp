#include "scir/dist/agreement.h"

namespace scir {

void agree_or_throw(Comm& comm, const std::function<void()>& check) {
  std::string failure;  // "<exit code> <message>" or empty
  try {
    check();
  } catch (const std::exception& error) {
    const ErrorReport report = report_for(error);
    failure = cat(report.exit_code, " ", report.message);
  }
  const std::vector<std::string> failures = all_gather_strings(comm, failure);
  for (int rank = 0; rank < comm.size(); ++rank) {
    const std::string& text = failures[rank];
    if (text.empty()) continue;
    const auto space = text.find(' ');
    const int exit_code = std::stoi(text.substr(0, space));
    std::string message = text.substr(space + 1);
    if (comm.size() > 1 && failures[0].empty()) message = cat("rank ", rank, ": ", message);
    throw AgreedError(message, exit_code);
  }
}

}  // namespace scir
