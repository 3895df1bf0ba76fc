#pragma once

// How the accelerator top's DMA reads a vector job's W (docs/rtl.md "GEMM engine"):
// the build generates the RTL's localparams from these (tessera_dma.svh, by
// sim/gen/generate_hardware_headers.cpp), and the tlm units issue the same bursts.

#include <cstddef>

#include "tessera/hls/array_config.hpp"

namespace tessera::sim::dma {

// K steps of one row tile that one burst of a vector job's W reads: a group of
// beats, 64 bytes at 16x16. The ROWS bursts of a group are a row tile (K words) apart,
// so at large K the DRAM reopens a row for nearly every burst: 16 K steps (256 B)
// made a stories110m decode on kv260 3.5 % faster at rtl, but its 16 KiB FIFO (read
// through a register, in block RAM) and the beat assembly took 3,302 more LUTs (2.8 %
// of the K26's), and the longer gather lag cost stories260K's small jobs 2.2 %
// (docs/rtl.md "GEMM engine").
constexpr std::size_t kVectorBurstBeats = hls::kWidePortWords;
// Groups of vector W words the gather FIFO holds on a one-word memory port, in
// flight or queued: the groups after the one being gathered hide the memory's
// latency. A four-word port's FIFO has as many entries, each a group's K steps of a
// row tile, so its one-beat bursts hide the latency at a beat a clock.
constexpr std::size_t kGatherGroups = 4;

}  // namespace tessera::sim::dma
