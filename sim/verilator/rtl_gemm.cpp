#include "tessera/sim/rtl_gemm.hpp"

#include <stdexcept>

namespace tessera::sim {

// One factory per verilated array size (gemm_engine_instance.cpp.in).
#define TESSERA_DECLARE_ENGINE(size) std::unique_ptr<RtlGemm> make_gemm_engine_##size##x##size();
TESSERA_DECLARE_ENGINE(4)
TESSERA_DECLARE_ENGINE(8)
TESSERA_DECLARE_ENGINE(16)
#undef TESSERA_DECLARE_ENGINE

std::vector<hls::ArrayShape> rtl_arrays() { return {{4, 4}, {8, 8}, {16, 16}}; }

bool has_rtl_engine(hls::ArrayShape array) {
  for (const hls::ArrayShape& a : rtl_arrays()) {
    if (a.rows == array.rows && a.cols == array.cols) return true;
  }
  return false;
}

std::unique_ptr<RtlGemm> make_rtl_gemm(hls::ArrayShape array) {
  if (array.rows == array.cols) {
    switch (array.rows) {
      case 4:
        return make_gemm_engine_4x4();
      case 8:
        return make_gemm_engine_8x8();
      case 16:
        return make_gemm_engine_16x16();
      default:
        break;
    }
  }
  std::string known;
  for (const auto& a : rtl_arrays()) known += (known.empty() ? "" : ", ") + hls::to_string(a);
  throw std::invalid_argument("no RTL engine for array " + hls::to_string(array) +
                              " in this build (have: " + known + ")");
}

}  // namespace tessera::sim
