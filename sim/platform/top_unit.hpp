#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "platform/units.hpp"
#include "tessera/sim/rtl_accelerator.hpp"

namespace tessera::sim {

// A unit of the platform at the rtl fidelity: the Verilated accelerator top of the
// board's sizes (make_rtl_accelerator), programmed through its registers, with its
// memory port bridged to the device memory, so DMA, registers and compute are RTL.
// A GEMM unit runs its jobs on a top's engine, an attention unit on a top's attention
// port; every unit is a top of its own (the top runs one job at a time, and the
// platform's units run theirs side by side: docs/platform.md, "rtl fidelity").
class TopUnit final : public Unit {
 public:
  enum class Kind { kGemm, kAttention };
  TopUnit(sc_core::sc_module_name name, int index, Kind kind, const hls::HardwareConfig& config,
          const PlatformOptions& options, std::unique_ptr<RtlAccelerator> top,
          FaultInjector& faults);
  ~TopUnit() override;

 private:
  class Bridge;
  std::uint8_t ctrl_offset() const override;
  std::uint8_t status_offset() const override;
  std::uint8_t cycles_offset() const override;
  JobResult run_job() override;
  JobResult run_gemm();
  JobResult run_attention();
  // Writes the unit's job registers to the top, then `ctrl` with START, and clocks
  // the top until that job is done; returns its status register. `work`: the job's
  // words and compute cycles, whose multiple bounds a job that has not hung.
  std::uint32_t run_top(std::uint32_t ctrl, std::uint64_t work);

  Kind kind_;
  hls::HardwareConfig config_;
  std::unique_ptr<RtlAccelerator> top_;
  std::unique_ptr<Bridge> bridge_;
  FaultInjector& faults_;
  RtlStreamOptions waveform_;  // the unit's FST file, window and clock
  // The job registers as the top holds them (all zero out of reset).
  std::array<std::uint32_t, reg::kUnitWindow / 4> top_registers_{};
};

}  // namespace tessera::sim
