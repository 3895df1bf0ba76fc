#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/array_config.hpp"
#include "tessera/hls/attention_i8.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::sim {

struct MemoryModel {
  int read_latency = 4;           // cycles from request to response
  double read_ready_rate = 1.0;   // chance per cycle that a read request is accepted
  double write_ready_rate = 1.0;  // chance per cycle that a write is accepted
  std::uint32_t seed = 1;
  // Where the driver puts a job's first operand (the rest follow): above 4 GiB, or
  // across the boundary, to exercise the 64-bit addresses.
  std::uint64_t operand_address = 0x1000;
};

struct AcceleratorRun {
  std::vector<std::int32_t> c;  // M x N
  std::uint64_t cycles = 0;     // CYCLES register: start to done
  std::uint64_t stall_cycles = 0;
  std::uint64_t load_wait_cycles = 0;
  hls::ChecksumReport checks;  // CHECKSUM_FAILS and CHECKSUM_TILE
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
  // A vector job (CTRL.VECTOR): c = W a for one K-byte a; needs K >= the array's rows.
  virtual AcceleratorRun gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                              const MemoryModel& memory) = 0;
  // Runs an attention call one (query, head) job at a time through the ATT_*
  // registers and the record layouts of docs/rtl.md; returns the unit cycles.
  virtual std::uint64_t attention(const hls::AttentionArgs& args, const MemoryModel& memory) = 0;
  virtual int head_size_max() const = 0;
  // For register-level tests: the host writing device memory between jobs, and the
  // clock running with the memory model answering the top's ports.
  virtual void write_memory(std::uint64_t address, const std::vector<std::uint8_t>& bytes) = 0;
  virtual void run(int cycles) = 0;
  // The fault the engine's hooks strike in the coming GEMM jobs (simulation only), with
  // the tiles numbered in each job's order; none when null.
  virtual void arm_fault(const hls::EngineFault* fault) = 0;
};

std::unique_ptr<RtlAccelerator> make_rtl_accelerator();  // the 8x8 top, with checksums

}  // namespace tessera::sim
