#include "tessera/sim/rtl_gemm.hpp"

#include <stdexcept>
#include <string>

#include "verilator/rtl_engines.hpp"

namespace tessera::sim {

std::vector<hls::ArrayShape> rtl_arrays() {
  std::vector<hls::ArrayShape> arrays;
  for (const RtlEngineEntry& engine : rtl_engines()) arrays.push_back(engine.array);
  return arrays;
}

std::vector<std::string> rtl_fidelity_designs() {
  return {TESSERA_RTL_GEMM_MODULE, TESSERA_RTL_ATTENTION_MODULE};
}

bool has_rtl_engine(hls::ArrayShape array) {
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (engine.array.rows == array.rows && engine.array.cols == array.cols) return true;
  }
  return false;
}

std::unique_ptr<RtlGemm> make_rtl_gemm(hls::ArrayShape array) {
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (engine.array.rows == array.rows && engine.array.cols == array.cols) return engine.make();
  }
  std::string known;
  for (const auto& a : rtl_arrays()) known += (known.empty() ? "" : ", ") + hls::to_string(a);
  throw std::invalid_argument("no RTL engine for array " + hls::to_string(array) +
                              " in this build (have: " + known + ")");
}

}  // namespace tessera::sim
