#include "scir/dist/collective_watchdog.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace scir {

CollectiveWatchdog& CollectiveWatchdog::instance() {
  // Never destroyed: the detached monitor may still be waiting when static objects go.
  static CollectiveWatchdog* watchdog = new CollectiveWatchdog;
  return *watchdog;
}

void CollectiveWatchdog::configure(double timeout_seconds, const std::string& who) {
  std::lock_guard<std::mutex> lock(mutex_);
  timeout_ = timeout_seconds;
  who_ = who;
  if (timeout_ > 0 && !thread_.joinable()) {
    thread_ = std::thread([this] { monitor(); });
    thread_.detach();
  }
  changed_.notify_all();
}

double CollectiveWatchdog::timeout_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return timeout_;
}

void CollectiveWatchdog::set_progress(const std::string& label) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    progress_ = label;
  }
  // Fault injection for the restart tests: die as a SIGKILL would end the process, here.
  static const char* kill_at = std::getenv("SCIR_FAULT_KILL_AT");
  if (kill_at && label == kill_at) std::raise(SIGKILL);
}

CollectiveWatchdog::Watch::Watch(const char* operation) {
  CollectiveWatchdog& watchdog = instance();
  std::lock_guard<std::mutex> lock(watchdog.mutex_);
  if (watchdog.depth_++ == 0) {
    watchdog.operation_ = operation;
    watchdog.started_ = Clock::now();
    watchdog.changed_.notify_all();
  }
}

CollectiveWatchdog::Watch::~Watch() {
  CollectiveWatchdog& watchdog = instance();
  std::lock_guard<std::mutex> lock(watchdog.mutex_);
  if (--watchdog.depth_ == 0) watchdog.operation_ = nullptr;
}

void CollectiveWatchdog::monitor() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (timeout_ <= 0 || operation_ == nullptr) {
      changed_.wait_for(lock, std::chrono::seconds(1));
      continue;
    }
    const auto deadline = started_ + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(timeout_));
    const auto watched = started_;
    if (changed_.wait_until(lock, deadline) == std::cv_status::no_timeout) continue;
    if (operation_ == nullptr || started_ != watched) continue;  // it completed meanwhile
    std::cerr << who_ << "collective " << operation_ << " did not complete within " << timeout_
              << " s (at " << progress_
              << "); another rank failed, hangs or skipped it; ending the job" << std::endl;
    std::fflush(nullptr);
    // Not MPI_Abort: this thread may not call MPI while the main thread is inside it.
    std::_Exit(1);
  }
}

}  // namespace scir
