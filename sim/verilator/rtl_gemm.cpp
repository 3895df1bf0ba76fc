#include "tessera/sim/rtl_gemm.hpp"

#include <stdexcept>
#include <string>

#include "verilator/rtl_engines.hpp"

namespace tessera::sim {

namespace {

bool fits(const RtlEngineEntry& engine, hls::ArrayShape array, int buffer_words) {
  return engine.array.rows == array.rows && engine.array.cols == array.cols &&
         (buffer_words == 0 || engine.buffer_words == buffer_words);
}

std::string engine_name(hls::ArrayShape array, int buffer_words) {
  return hls::to_string(array) + " with " + std::to_string(buffer_words) + "-word buffers";
}

// The build's engine of that array and depth (0: the co-verified engine, else the
// deepest), or one naming what the build has.
const RtlEngineEntry& find_engine(hls::ArrayShape array, int buffer_words) {
  const RtlEngineEntry* found = nullptr;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (!fits(engine, array, buffer_words)) continue;
    found = &engine;
    if (buffer_words == 0 && engine.buffer_words == TESSERA_RTL_BUFFER_WORDS) break;
  }
  if (found != nullptr) return *found;
  std::string known;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    known += (known.empty() ? "" : ", ") + engine_name(engine.array, engine.buffer_words);
  }
  throw std::invalid_argument(
      "no Verilated GEMM engine of " +
      (buffer_words == 0 ? hls::to_string(array) : engine_name(array, buffer_words)) +
      " in this build (it has " + known +
      "; the build makes one for every board in configs/ and in TESSERA_RTL_CONFIGS)");
}

}  // namespace

std::vector<hls::ArrayShape> rtl_arrays() {
  std::vector<hls::ArrayShape> arrays;
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (!has_rtl_engine(engine.array, TESSERA_RTL_BUFFER_WORDS)) continue;
    if (arrays.empty() || arrays.back().rows != engine.array.rows ||
        arrays.back().cols != engine.array.cols) {
      arrays.push_back(engine.array);
    }
  }
  return arrays;
}

std::vector<RtlDesign> rtl_fidelity_designs(const hls::HardwareConfig& config) {
  const RtlEngineEntry& engine = find_engine(config.array(), config.gemm.buffer_words);
  return {{TESSERA_RTL_GEMM_MODULE,
           {{"ROWS", engine.array.rows},
            {"COLS", engine.array.cols},
            {"A_DEPTH", engine.buffer_words},
            {"W_DEPTH", engine.buffer_words}}},
          {TESSERA_RTL_ATTENTION_MODULE,
           {{"HS_MAX", TESSERA_RTL_ATTENTION_HEAD_MAX},
            {"CTX_MAX", TESSERA_RTL_ATTENTION_CONTEXT_MAX}}}};
}

bool has_rtl_engine(hls::ArrayShape array, int buffer_words) {
  for (const RtlEngineEntry& engine : rtl_engines()) {
    if (fits(engine, array, buffer_words)) return true;
  }
  return false;
}

std::unique_ptr<RtlGemm> make_rtl_gemm(hls::ArrayShape array, int buffer_words) {
  return find_engine(array, buffer_words).make();
}

std::string rtl_unavailable_reason(const hls::HardwareConfig& config) {
  const hls::ArrayShape array = config.array();
  if (has_rtl_engine(array, config.gemm.buffer_words)) return "";
  std::string why =
      "no Verilated GEMM engine of " + engine_name(array, config.gemm.buffer_words) + " built";
  if (array.rows != array.cols || array.rows > TESSERA_RTL_MAX_ARRAY) {
    why += " (the build verilates square arrays up to " + std::to_string(TESSERA_RTL_MAX_ARRAY) +
           (array.rows == array.cols
                ? "; configure with -DTESSERA_RTL_MAX_ARRAY=" + std::to_string(array.rows) + ")"
                : ")");
  } else {
    why +=
        " (the build makes one for every board in configs/; add this file to "
        "-DTESSERA_RTL_CONFIGS=... and rebuild)";
  }
  return why;
}

}  // namespace tessera::sim
