#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace tessera::cli {

// Progress of one phase on stderr. On a terminal: one line that updates in place
// (phase, step/total, rate, ETA) at most ten times a second. In a log: a line when
// the phase starts and one when it ends, nothing in between.
class Progress {
 public:
  Progress(std::string phase, int total, std::FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(int done);

 private:
  using Clock = std::chrono::steady_clock;
  void finish();

  std::string phase_;
  int total_;
  int done_ = 0;
  std::FILE* out_;
  bool terminal_;
  Clock::time_point start_, last_draw_;
  bool finished_ = false;
};

// A report of phases (phase, step, steps) as Progress lines: one Progress per phase,
// from its start (step 0) to its last step; phases of one step are not shown.
std::function<void(const char* phase, int step, int steps)> progress_by_phase();

}  // namespace tessera::cli
