#include "runtime/recovery.hpp"

namespace tessera::runtime {

void gemms_recovering(Int8Kernels& accelerator, Int8Kernels& cpu,
                      const std::vector<hls::GemmArgs>& calls, Recovery& counts) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      accelerator.gemms(calls);
      if (attempt > 0) ++counts.on_accelerator;
      return;
    } catch (const ChecksumMismatch&) {
      ++counts.checksum_errors;
    }
  }
  cpu.gemms(calls);
  ++counts.on_cpu;
}

}  // namespace tessera::runtime
