#pragma once

// How the accelerator top's DMA reads a vector job's W (docs/rtl.md "GEMM engine"):
// the build generates the RTL's localparams from these (tessera_dma.svh, by
// sim/gen/generate_hardware_headers.cpp), and the tlm units issue the same bursts.

#include <cstddef>

namespace tessera::sim::dma {

// K steps of one row tile that one burst of a vector job's W reads: a group of
// beats. 16 beats of a 16-byte word are 256 bytes, so a burst keeps a DRAM row open
// for four of its 64-byte bursts: with 4 beats, the ROWS bursts of a group, a row
// tile (K words) apart, changed DRAM rows on nearly every burst at K = 768 on kv260.
constexpr std::size_t kVectorBurstBeats = 16;
// Groups of vector W words the gather FIFO holds, in flight or queued: the groups
// after the one being gathered hide the memory's latency.
constexpr std::size_t kGatherGroups = 4;

}  // namespace tessera::sim::dma
