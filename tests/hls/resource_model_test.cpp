// The resource model (hls/resource_model.hpp) against Yosys: the synthesis runs it is
// calibrated on, and, in the synth label, a fresh scripts/synth report of this build.
#include "tessera/hls/resource_model.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::hls {
namespace {

void expect_within(long estimate, long measured, double fraction, const char* what) {
  EXPECT_LE(std::abs(static_cast<double>(estimate - measured)),
            fraction * static_cast<double>(measured))
      << what << ": estimate " << estimate << ", Yosys " << measured;
}

// DSP slices exact, logic within 15 % at every calibration size (docs/configs.md
// "Resources"): the DSP and flip-flop counts are formulas of the RTL's structure, so
// this is a check of them; LUTs interpolate these points.
TEST(ResourceModel, ReproducesItsCalibrationPoints) {
  for (const EngineSynthesis& point : gemm_engine_calibration()) {
    SCOPED_TRACE(std::to_string(point.rows) + "x" + std::to_string(point.cols));
    const UnitResources model = gemm_engine_resources(point.rows, point.cols);
    EXPECT_EQ(model.dsp_slices, point.measured.dsp_slices);
    expect_within(model.flip_flops, point.measured.flip_flops, 0.15, "flip-flops");
    expect_within(model.luts, point.measured.luts, 0.15, "LUTs");
  }
  // With checksums, matrix and vector (scripts/synth --checksums: 86 DSP, 5,934 LUTs,
  // 6,354 flip-flops).
  const UnitResources checked = gemm_engine_resources(8, 8, /*checksums=*/true);
  EXPECT_EQ(checked.dsp_slices, 86);
  expect_within(checked.luts, 5934, 0.15, "LUTs with checksums");
  expect_within(checked.flip_flops, 6354, 0.15, "flip-flops with checksums");
  // The kv260 top (scripts/synth --preset kv260: 530 DSP48E2, 110,895 LUTs, 55,000
  // flip-flops with its four-word memory port; 529, 110,496 and 42,582 with one) is
  // its engine, its attention unit and the port.
  HardwareConfig kv260 = load_preset("kv260");
  ASSERT_EQ(kv260.gemm.memory_port_words, 4);
  const UnitResources wide = kv260.resources_needed();
  EXPECT_EQ(wide.dsp_slices, 530);
  expect_within(wide.luts, 110895, 0.15, "kv260 LUTs");
  expect_within(wide.flip_flops, 55000, 0.15, "kv260 flip-flops");
  kv260.gemm.memory_port_words = 1;
  const UnitResources narrow = kv260.resources_needed();
  EXPECT_EQ(narrow.dsp_slices, 529);
  expect_within(narrow.luts, 110496, 0.15, "kv260 LUTs, one-word port");
  expect_within(narrow.flip_flops, 42582, 0.15, "kv260 flip-flops, one-word port");
}

TEST(ResourceModel, GrowsWithTheArrayBeyondTheCalibration) {
  const UnitResources small = gemm_engine_resources(2, 2);
  const UnitResources large = gemm_engine_resources(32, 32);
  EXPECT_EQ(small.dsp_slices, 7);
  EXPECT_EQ(large.dsp_slices, 1027);
  EXPECT_GT(small.luts, 0);
  EXPECT_GT(large.luts, gemm_engine_resources(16, 16).luts);
  EXPECT_EQ(attention_unit_resources(64).dsp_slices, 2 * 64 + 14);
}

// TESSERA_SYNTH_REPORT names a scripts/synth JSON report of this build's engine
// (ctest -L synth sets it after rtl.synth_8x8): the model must match it as it
// matches its calibration.
TEST(ResourceModel, MatchesTheSynthesisReport) {
  const char* path = std::getenv("TESSERA_SYNTH_REPORT");
  if (path == nullptr) GTEST_SKIP() << "no TESSERA_SYNTH_REPORT (ctest -L synth sets it)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const auto report = nlohmann::json::parse(in);
  const std::string array = report.at("array");
  const int rows = std::stoi(array.substr(0, array.find('x')));
  const int cols = std::stoi(array.substr(array.find('x') + 1));
  const UnitResources model = gemm_engine_resources(rows, cols, report.value("checksums", false));
  EXPECT_EQ(model.dsp_slices, report.at("dsp").get<long>());
  expect_within(model.flip_flops, report.at("ff").get<long>(), 0.15, "flip-flops");
  expect_within(model.luts, report.at("lut").get<long>(), 0.15, "LUTs");
}

}  // namespace
}  // namespace tessera::hls
