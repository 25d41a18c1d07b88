// A process-wide watchdog over blocking collectives. MpiComm marks each collective it enters;
// a monitor thread ends the process when one has not completed within the timeout, after
// printing which operation it was and what the process was doing (the last progress label, e.g.
// "[sft] step 12"). Ending the process ends the job: mpirun takes down the other ranks when one
// exits without finalising. A rank that died or skipped a collective thus costs the timeout,
// not the allocation.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace scir {

class CollectiveWatchdog {
 public:
  static CollectiveWatchdog& instance();

  // timeout_seconds <= 0 turns the watchdog off. `who` prefixes the report ("scir_hpc: error:
  // [rank 1] "). The monitor thread starts on the first call with a timeout.
  void configure(double timeout_seconds, const std::string& who);
  double timeout_seconds() const;
  // What the process is doing now; reported when a collective times out. When the environment
  // variable SCIR_FAULT_KILL_AT equals the label, the process kills itself with SIGKILL (the
  // kill-and-resume tests use it to stop a job at an exact point).
  void set_progress(const std::string& label);

  // Marks a collective from construction to destruction (nested marks count as the outermost).
  class Watch {
   public:
    explicit Watch(const char* operation);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
  };

 private:
  CollectiveWatchdog() = default;
  void monitor();

  using Clock = std::chrono::steady_clock;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
  double timeout_ = 0;
  std::string who_;
  std::string progress_ = "start";
  const char* operation_ = nullptr;
  int depth_ = 0;
  Clock::time_point started_;
};

}  // namespace scir
