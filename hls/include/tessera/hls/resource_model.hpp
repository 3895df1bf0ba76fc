#pragma once

// FPGA resources of the accelerator's units, from the RTL's structure and calibrated
// on Yosys 0.23 synthesis (docs/configs.md "Resources"): what the sweeps report and
// the configuration validator checks against the board.
#include <vector>

namespace tessera::hls {

struct UnitResources {
  long dsp_slices = 0;
  long luts = 0;
  long flip_flops = 0;
};

// One Yosys 0.23 `synth_xilinx -family xc7` run of the GEMM engine (rtl/gemm), as
// scripts/synth reports it.
struct EngineSynthesis {
  int rows, cols, buffer_words;
  UnitResources measured;
};
// The engine sizes the model is calibrated on (docs/rtl.md "Synthesis").
const std::vector<EngineSynthesis>& gemm_engine_calibration();

// One GEMM engine: a DSP slice per PE (the int8 product and its accumulation) and
// three for the control's job-size products; flip-flops per PE plus the control's;
// LUTs interpolated between the calibration sizes (Yosys's mapping of the PEs'
// operand selects is not one formula across sizes).
// With `checksums` (docs/reliability.md): the checksum row and column are ROWS + COLS
// more PEs (one DSP slice each: an operand sum times an int8 still fits one), two
// more DSP slices of control, and per checksum PE the LUTs and flip-flops the 8x8
// synthesis with checksums added (the checker, operand sums and wider result path
// shared out); exact at 8x8 in DSP slices, an extrapolation at other sizes.
UnitResources gemm_engine_resources(int rows, int cols, bool checksums = false);

// One attention unit of `lanes` lanes with its share of the top (port, DMA): two DSP
// slices per lane (score and P·V products) and twelve for the wide fixed-point scale
// products, measured in the kv260 top's synthesis; logic scaled by lanes from that
// one synthesis (an estimate for other sizes).
UnitResources attention_unit_resources(int lanes);

// What a GEMM unit's top adds with a memory port of `words` words (1: nothing, the
// attention unit's share holds the one-word port): measured on the kv260 top with four,
// scaled by the array's area elsewhere (an estimate).
UnitResources memory_port_resources(int rows, int words);

// How far the LUT and flip-flop estimates may be from Yosys (the calibration holds
// them within it, tests/hls/resource_model_test.cpp). A configuration whose estimate
// is over the board by less than this is valid and marked as not fitting; beyond it,
// the validator refuses it.
constexpr double kLogicEstimateError = 0.15;

}  // namespace tessera::hls
