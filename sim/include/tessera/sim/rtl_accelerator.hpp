#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tessera/hls/array_config.hpp"
#include "tessera/hls/attention_i8.hpp"

namespace tessera::sim {

// Register offsets of the accelerator top (rtl/top/tessera_accel_top.sv, docs/rtl.md).
namespace reg {
constexpr std::uint8_t kId = 0x00, kVersion = 0x04, kConfig = 0x08, kCtrl = 0x10, kStatus = 0x14,
                       kMTiles = 0x18, kNTiles = 0x1c, kK = 0x20, kAAddr = 0x24, kWAddr = 0x28,
                       kCAddr = 0x2c, kCyclesLo = 0x40, kCyclesHi = 0x44, kStallLo = 0x48,
                       kStallHi = 0x4c, kLoadWaitLo = 0x50, kLoadWaitHi = 0x54, kAttCtrl = 0x60,
                       kAttStatus = 0x64, kAttPositions = 0x68, kAttQAddr = 0x6c, kAttKvAddr = 0x70,
                       kAttOutAddr = 0x74, kAttCyclesLo = 0x78, kAttCyclesHi = 0x7c;
constexpr std::uint32_t kIdValue = 0x54535241;  // "TSRA"
constexpr std::uint32_t kStatusBusy = 1, kStatusDone = 2, kStatusError = 4;
}  // namespace reg

struct MemoryModel {
  int read_latency = 4;           // cycles from request to response
  double write_ready_rate = 1.0;  // chance per cycle that a write is accepted
  std::uint32_t seed = 1;
};

struct AcceleratorRun {
  std::vector<std::int32_t> c;  // M x N
  std::uint64_t cycles = 0;     // CYCLES register: start to done
  std::uint64_t stall_cycles = 0;
  std::uint64_t load_wait_cycles = 0;
};

// The Verilated accelerator top with a device memory model and a host driver that
// uses only the register map: it packs tiled operands into device memory, programs
// the registers, waits for STATUS.DONE and unpacks the results.
class RtlAccelerator {
 public:
  virtual ~RtlAccelerator() = default;
  virtual hls::ArrayShape array() const = 0;
  virtual std::uint32_t read_register(std::uint8_t offset) = 0;
  virtual void write_register(std::uint8_t offset, std::uint32_t value) = 0;
  virtual AcceleratorRun gemm(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                              const MemoryModel& memory) = 0;
  // Runs an attention call one (query, head) job at a time through the ATT_*
  // registers and the record layouts of docs/rtl.md; returns the unit cycles.
  virtual std::uint64_t attention(const hls::AttentionArgs& args, const MemoryModel& memory) = 0;
  virtual int head_size_max() const = 0;
};

std::unique_ptr<RtlAccelerator> make_rtl_accelerator();  // the 8x8 top

}  // namespace tessera::sim
