#include "scir/dist/guarded_main.h"

#include <iostream>

#include "scir/dist/agreement.h"
#include "scir/dist/mpi_environment.h"

namespace scir {

int run_guarded(Comm& world, const std::string& program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const AgreedError& error) {
    if (world.rank() == 0) std::cerr << program << ": error: " << error.what() << std::endl;
    return error.exit_code();
  } catch (const std::exception& error) {
    const ErrorReport report = report_for(error);
    std::cerr << program
              << ": error: " << (world.size() > 1 ? cat("[rank ", world.rank(), "] ") : "")
              << report.message << std::endl;
    if (world.size() > 1) abort_job(report.exit_code);
    return report.exit_code;
  }
}

}  // namespace scir
