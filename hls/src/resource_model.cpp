#include "tessera/hls/resource_model.hpp"

#include <algorithm>

#include "tessera/hls/abft.hpp"

namespace tessera::hls {
namespace {

// Flip-flops of the engine: 691 + 57 per PE fits the 4x4 and 8x8 runs and is within
// 1 % of the 16x16 one (the PE's sum, operand and skew registers; the accumulator
// sits in the DSP slice).
constexpr long kEngineFlipFlops = 691;
constexpr long kFlipFlopsPerPe = 57;
// The engine's DSP slices besides one per PE: m_tiles*k_len, n_tiles*k_len and
// m_tiles*n_tiles*ROWS in its control.
constexpr long kEngineControlDsps = 3;
// Checksums (docs/reliability.md "What it costs"), from two syntheses
// (scripts/synth --checksums, 1024-word buffers): 8x8 86 DSP, 5,934 LUTs, 6,354
// flip-flops against 67, 2,877 and 4,327 without; 16x16 294 DSP, 16,056 LUTs, 20,330
// flip-flops against 259, 16,567 and 15,154. DSP slices: one per checksum PE (the
// checksum row and column, ROWS + COLS, and the vector checksum PE) and two in
// control (the job-size products of a tile's ROWS + 1 result beats).
constexpr long kChecksumControlDsps = 2;
constexpr long kVectorChecksumDsps = 1;
// Flip-flops: per checksum row/column PE and per W lane (the vector adder tree),
// fitted to both syntheses (within 1.5 %).
constexpr long kChecksumFlipFlopsPerPe = 92;
constexpr long kChecksumFlipFlopsPerLane = 9;
// LUTs, calibrated at 8x8: per checksum row/column PE (the PE's share of the checker
// behind the FIFO, the operand sums and the wider result path, from the synthesis
// before the engine had vector checksums: 5,006 LUTs), one per bit of the vector
// adder tree's adders, and the vector checker and parity bits (the rest of what the
// vector checksum added at 8x8). At 16x16 this overestimates: there the checksummed
// engine took fewer LUTs than the plain one (its 17-row read port maps as a case,
// the plain array's 16-row port as an indexed mux), so the LUT cost is an upper
// estimate beyond 8x8.
constexpr long kChecksumLutsPerPe = 134;
constexpr long kVectorCheckerLuts = 304;

// Adder bits of the vector checksum's tree over the array's int8 W lanes: level l of
// `levels` has 2^(levels - l) adders of 8 + l bits.
long vector_tree_adder_bits(ArrayShape array) {
  const int levels = vector_checksum_tree_levels(array);
  long bits = 0;
  for (int l = 1; l <= levels; ++l) bits += (1L << (levels - l)) * (8 + l);
  return bits;
}

// The kv260 top (scripts/synth --preset kv260, Yosys 0.23 synth_xilinx -family xcup
// -uram; docs/rtl.md "Synthesis"): 110,496 LUTs, 42,582 flip-flops and 529 DSP48E2 for
// a 16x16 engine and a 128-lane attention unit with the AXI4 port, DMA, vector gather
// and registers.
constexpr long kTopLuts = 110496;
constexpr long kTopFlipFlops = 42582;
constexpr long kTopDsps = 529;
constexpr int kTopRows = 16;
constexpr int kTopLanes = 128;
// Two int8 multipliers per attention lane (scores and P·V), one slice each.
constexpr long kDspsPerLane = 2;
// The same top with a four-word memory port (gemm_units.memory_port_words 4, kv260's;
// docs/rtl.md "Synthesis"): 110,895 LUTs, 55,000 flip-flops and 530 DSP48E2. The
// difference is the port's: the gather's beat sets (four beats instead of one, in the
// set being gathered and the engine's) and its wider FIFO, lane selects and strobes.
constexpr long kWidePortLuts = 110895 - kTopLuts;
constexpr long kWidePortFlipFlops = 55000 - kTopFlipFlops;
constexpr long kWidePortDsps = 530 - kTopDsps;

}  // namespace

const std::vector<EngineSynthesis>& gemm_engine_calibration() {
  // scripts/synth --array RxC --buffer-words 1024 (docs/rtl.md "Synthesis").
  static const std::vector<EngineSynthesis> points = {
      {4, 4, 1024, {19, 1395, 1600}},
      {8, 8, 1024, {67, 2881, 4327}},
      {16, 16, 1024, {259, 16061, 15154}},
  };
  return points;
}

UnitResources gemm_engine_resources(int rows, int cols, bool checksums) {
  if (checksums) {
    const long edge = rows + cols, lanes = static_cast<long>(rows) * cols;
    const ArrayShape array{rows, cols};
    UnitResources r = gemm_engine_resources(rows, cols, false);
    r.dsp_slices += edge + kChecksumControlDsps + kVectorChecksumDsps;
    r.flip_flops += edge * kChecksumFlipFlopsPerPe + lanes * kChecksumFlipFlopsPerLane;
    r.luts += edge * kChecksumLutsPerPe + vector_tree_adder_bits(array) + kVectorCheckerLuts;
    return r;
  }
  const long pes = static_cast<long>(rows) * cols;
  UnitResources r;
  r.dsp_slices = pes + kEngineControlDsps;
  r.flip_flops = kEngineFlipFlops + kFlipFlopsPerPe * pes;
  // LUTs: linear between the calibration sizes by PE count, and beyond them along
  // the nearest segment.
  const auto& points = gemm_engine_calibration();
  const auto pes_of = [](const EngineSynthesis& p) { return static_cast<long>(p.rows) * p.cols; };
  std::size_t segment = 0;
  while (segment + 2 < points.size() && pes > pes_of(points[segment + 1])) ++segment;
  const EngineSynthesis& low = points[segment];
  const EngineSynthesis& high = points[segment + 1];
  const double slope = static_cast<double>(high.measured.luts - low.measured.luts) /
                       static_cast<double>(pes_of(high) - pes_of(low));
  const double luts =
      static_cast<double>(low.measured.luts) + slope * static_cast<double>(pes - pes_of(low));
  r.luts = std::max(1L, static_cast<long>(luts + 0.5));
  return r;
}

UnitResources memory_port_resources(int rows, int words) {
  if (words <= 1) return {};
  // The beat sets and the FIFO hold rows x rows bytes per beat: scaled by the array's
  // area from the one 16x16 synthesis (an estimate at other sizes).
  const double area = static_cast<double>(rows) * rows / (kTopRows * kTopRows);
  return {kWidePortDsps, static_cast<long>(static_cast<double>(kWidePortLuts) * area + 0.5),
          static_cast<long>(static_cast<double>(kWidePortFlipFlops) * area + 0.5)};
}

UnitResources attention_unit_resources(int lanes) {
  const UnitResources engine = gemm_engine_resources(kTopRows, kTopRows);
  const long wide_dsps = kTopDsps - engine.dsp_slices - kDspsPerLane * kTopLanes;
  const double per_lane = static_cast<double>(lanes) / kTopLanes;
  UnitResources r;
  r.dsp_slices = kDspsPerLane * lanes + wide_dsps;
  r.luts = static_cast<long>(static_cast<double>(kTopLuts - engine.luts) * per_lane + 0.5);
  r.flip_flops =
      static_cast<long>(static_cast<double>(kTopFlipFlops - engine.flip_flops) * per_lane + 0.5);
  return r;
}

}  // namespace tessera::hls
