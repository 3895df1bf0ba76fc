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

std::vector<RtlDesign> rtl_fidelity_designs(const hls::HardwareConfig& config) {
  const RtlEngineEntry& engine =
      find_engine(config.array(), config.gemm.buffer_words, config.gemm.checksums);
  return {{TESSERA_RTL_GEMM_MODULE,
           {{"ROWS", engine.array.rows},
            {"COLS", engine.array.cols},
            {"A_DEPTH", engine.buffer_words},
            {"W_DEPTH", engine.buffer_words},
            {"CHECKSUMS", engine.checksums ? 1 : 0}}},
          {TESSERA_RTL_ATTENTION_MODULE,
           {{"HS_MAX", TESSERA_RTL_ATTENTION_HEAD_MAX},
            {"CTX_MAX", TESSERA_RTL_ATTENTION_CONTEXT_MAX}}}};
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

std::string rtl_unavailable_reason(const hls::HardwareConfig& config) {
  const hls::ArrayShape array = config.array();
  const bool checksums = config.gemm.checksums;
  if (has_rtl_engine(array, config.gemm.buffer_words, checksums)) return "";
  std::string why = "no Verilated GEMM engine of " +
                    engine_name(array, config.gemm.buffer_words, checksums) + " built";
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
