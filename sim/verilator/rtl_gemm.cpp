#include "tessera/sim/rtl_gemm.hpp"

#include <stdexcept>
#include <string>

#include "verilator/rtl_engines.hpp"

namespace tessera::sim {

namespace {

bool fits(const RtlEngineEntry& engine, hls::ArrayShape array, int buffer_words, bool checksums) {
  return engine.array.rows == array.rows && engine.array.cols == array.cols &&
         (buffer_words == 0 || engine.buffer_words == buffer_words) &&
         engine.checksums == checksums;
}

std::string engine_name(hls::ArrayShape array, int buffer_words, bool checksums) {
  return hls::to_string(array) +
         (buffer_words == 0 ? "" : " with " + std::to_string(buffer_words) + "-word buffers") +
         (checksums ? " and checksums" : "");
}

// The build's engine of that array, depth (0: the co-verified engine, else the
// deepest) and checksums, or one naming what the build has.
const RtlEngineEntry& find_engine(hls::ArrayShape array, int buffer_words, bool checksums) {
  const RtlEngineEntry* found = nullptr;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (!fits(engine, array, buffer_words, checksums)) continue;
    found = &engine;
    if (buffer_words == 0 && engine.buffer_words == TESSERA_RTL_BUFFER_WORDS) break;
  }
  if (found != nullptr) return *found;
  std::string known;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    known += (known.empty() ? "" : ", ") +
             engine_name(engine.array, engine.buffer_words, engine.checksums);
  }
  throw std::invalid_argument(
      "no Verilated GEMM engine of " + engine_name(array, buffer_words, checksums) +
      " in this build (it has " + known +
      "; the build makes one for every board in configs/ and in TESSERA_RTL_CONFIGS)");
}

}  // namespace

std::vector<hls::ArrayShape> rtl_arrays() {
  std::vector<hls::ArrayShape> arrays;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (engine.checksums || !has_rtl_engine(engine.array, TESSERA_RTL_BUFFER_WORDS)) continue;
    if (arrays.empty() || arrays.back().rows != engine.array.rows ||
        arrays.back().cols != engine.array.cols) {
      arrays.push_back(engine.array);
    }
  }
  return arrays;
}

bool has_rtl_engine(hls::ArrayShape array, int buffer_words, bool checksums) {
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (fits(engine, array, buffer_words, checksums)) return true;
  }
  return false;
}

std::unique_ptr<RtlGemm> make_rtl_gemm(hls::ArrayShape array, int buffer_words, bool checksums) {
  return find_engine(array, buffer_words, checksums).make();
}

}  // namespace tessera::sim
