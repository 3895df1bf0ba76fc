#pragma once

// The register map of one accelerator unit (docs/rtl.md "Accelerator top and register
// map"). The list of registers is register_map.inc; the build generates the RTL's
// localparams from it (sim/gen/generate_hardware_headers.cpp).

#include <cstdint>

namespace tessera::sim {

// Register offsets of one unit (rtl/top/tessera_accel_top.sv; the list is
// tessera/sim/register_map.inc). ADDR_HI: bits 63:32 of the device addresses.
// ATT_HEAD_SIZE: lanes per attention record, the head size, so a small head moves no
// padding; 0 means head_size_max. ATT_GROUP: query heads of one job: a GQA group's
// heads share their K/V records, so one job reads them once for all; their query
// records follow each other at ATT_Q_ADDR, their results at ATT_OUT_ADDR. 0 means one
// head.
namespace reg {
#define TESSERA_REGISTER(cpp_name, rtl_name, offset, access, meaning) \
  constexpr std::uint8_t cpp_name = offset;
#include "tessera/sim/register_map.inc"
#undef TESSERA_REGISTER
constexpr std::uint32_t kAttGroupMax = 64;      // query records a unit takes per job
constexpr std::uint32_t kIdValue = 0x54535241;  // "TSRA"
constexpr std::uint32_t kVersionValue = 0x00010000;
// STATUS bits; CHECKSUM comes with ERROR when an output tile failed its checksums
// (docs/reliability.md), and the job's results are written all the same.
constexpr std::uint32_t kStatusBusy = 1, kStatusDone = 2, kStatusError = 4, kStatusChecksum = 8;
// FEATURES bits.
constexpr std::uint32_t kFeatureChecksums = 1;
// CTRL bits: START, and VECTOR for a vector-mode (GEMV) job.
constexpr std::uint32_t kCtrlStart = 1, kCtrlVector = 2;
// The platform places unit u's registers at u * kUnitWindow.
constexpr std::uint32_t kUnitWindow = 0x100;
}  // namespace reg

}  // namespace tessera::sim
