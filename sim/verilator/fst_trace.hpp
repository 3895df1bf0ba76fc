#pragma once

#include <verilated_fst_c.h>

#include <memory>
#include <string>

namespace tessera::sim {

// An optional FST waveform of a Verilated model: open with a path to record, or with
// an empty path to record nothing (the model then runs at full speed).
class FstTrace {
 public:
  template <typename Model>
  void open(Model& model, const std::string& path) {
    close();
    if (path.empty()) return;
    file_ = std::make_unique<VerilatedFstC>();
    model.trace(file_.get(), 99);
    file_->open(path.c_str());
  }
  void close() {
    if (file_) file_->close();
    file_.reset();
  }
  void dump(std::uint64_t time) {
    if (file_) file_->dump(time);
  }
  ~FstTrace() { close(); }

 private:
  std::unique_ptr<VerilatedFstC> file_;
};

}  // namespace tessera::sim
