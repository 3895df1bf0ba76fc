#pragma once

#include <verilated_fst_c.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {

// An optional FST waveform of a Verilated model: open with a path to record, or with
// an empty path to record nothing (the model then runs at full speed). Opening the
// path already open goes on writing the same file, so a device's jobs make one
// waveform; only times inside the window are kept. A file still open when the
// process exits is closed then (the ICD keeps its devices to the end).
class FstTrace {
 public:
  template <typename Model>
  void open(Model& model, const std::string& path) {
    if (file_ && path == path_) return;
    close();
    if (path.empty()) return;
    file_ = std::make_unique<VerilatedFstC>();
    model.trace(file_.get(), 99);
    file_->open(path.c_str());
    path_ = path;
    register_open(this);
  }
  // Half a clock period in picoseconds (the context's time unit): each cycle dumps
  // the low and the high half of the clock.
  static std::uint64_t half_period_ps(double clock_mhz) {
    return clock_mhz > 0
               ? std::max<std::uint64_t>(1, static_cast<std::uint64_t>(5e5 / clock_mhz + 0.5))
               : 1;
  }
  // Opens (or goes on with) the options' waveform for a job, moves the context's time
  // to the job's start on the device's timeline and keeps the options' window.
  // Returns the half period of the options' clock.
  template <typename Model>
  std::uint64_t begin_job(Model& model, VerilatedContext& context,
                          const RtlStreamOptions& options) {
    open(model, options.fst_path);
    const std::uint64_t half = half_period_ps(options.clock_mhz);
    if (options.start_ps > context.time()) context.time(options.start_ps);
    const auto to_time = [half](std::uint64_t cycle) {
      const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
      return cycle > max / (2 * half) ? max : cycle * 2 * half;
    };
    start_ = to_time(options.fst_window.start_cycle);
    stop_ = to_time(options.fst_window.stop_cycle);
    return half;
  }
  void close() {
    if (!file_) return;
    unregister(this);
    file_->close();
    file_.reset();
    path_.clear();
  }
  void dump(std::uint64_t time) {
    if (file_ && time >= start_ && time < stop_) file_->dump(time);
  }
  FstTrace() = default;
  FstTrace(const FstTrace&) = delete;
  FstTrace& operator=(const FstTrace&) = delete;
  ~FstTrace() { close(); }

 private:
  struct OpenTraces {
    std::mutex mutex;
    std::set<FstTrace*> traces;
  };
  // Never destroyed: traces may close after static destruction has begun.
  static OpenTraces& open_traces() {
    static auto* open = new OpenTraces;
    return *open;
  }
  static void register_open(FstTrace* trace) {
    static std::once_flag at_exit;
    std::call_once(at_exit, [] { std::atexit(close_all); });
    OpenTraces& open = open_traces();
    std::lock_guard lock(open.mutex);
    open.traces.insert(trace);
  }
  static void unregister(FstTrace* trace) {
    OpenTraces& open = open_traces();
    std::lock_guard lock(open.mutex);
    open.traces.erase(trace);
  }
  static void close_all() {
    std::set<FstTrace*> traces;
    {
      OpenTraces& open = open_traces();
      std::lock_guard lock(open.mutex);
      traces.swap(open.traces);
    }
    for (FstTrace* trace : traces) {
      trace->file_->close();
      trace->file_.reset();
    }
  }

  std::unique_ptr<VerilatedFstC> file_;
  std::string path_;
  std::uint64_t start_ = 0;
  std::uint64_t stop_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace tessera::sim
