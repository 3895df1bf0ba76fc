#include "cli/progress.hpp"

#include <unistd.h>

namespace tessera::cli {

Progress::Progress(std::string phase, int total, std::FILE* out)
    : phase_(std::move(phase)),
      total_(total),
      out_(out),
      terminal_(isatty(fileno(out)) != 0),
      start_(Clock::now()),
      last_draw_(start_) {
  if (!terminal_) std::fprintf(out_, "%s: %d steps\n", phase_.c_str(), total_);
}

Progress::~Progress() { finish(); }

void Progress::update(int done) {
  done_ = done;
  if (!terminal_) return;
  const auto now = Clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  std::fprintf(out_, "\r%s: %d/%d, %.1f/s, ETA %.0f s   ", phase_.c_str(), done, total_, rate, eta);
  std::fflush(out_);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  if (terminal_) std::fprintf(out_, "\r\033[K");  // the updating line gives way
  std::fprintf(out_, "%s: %d/%d steps in %.1f s\n", phase_.c_str(), done_, total_, seconds);
}

std::function<void(const char*, int, int)> progress_by_phase() {
  auto current = std::make_shared<std::unique_ptr<Progress>>();
  return [current](const char* phase, int step, int steps) {
    if (steps <= 1) return;
    if (step == 0 || !*current) *current = std::make_unique<Progress>(phase, steps);
    if (step > 0) (*current)->update(step);
    if (step == steps) current->reset();
  };
}

}  // namespace tessera::cli
