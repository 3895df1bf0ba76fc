#include <stdexcept>
#include <string>

#include "tessera/sim/rtl_accelerator.hpp"
#include "verilator/rtl_tops.hpp"

namespace tessera::sim {
namespace {

std::string describe(const RtlTopSizes& s) {
  return std::to_string(s.rows) + "x" + std::to_string(s.rows) + " with " +
         std::to_string(s.buffer_words) + "-word buffers" + (s.checksums ? ", checksums" : "") +
         ", " + std::to_string(s.head_size_max) + " attention lanes and " +
         std::to_string(s.context_max) + " positions, a " + std::to_string(s.memory_port_bytes) +
         "-byte memory port";
}

const RtlTopEntry* find_top(const RtlTopSizes& sizes) {
  for (const RtlTopEntry& top : rtl_tops()) {
    if (top.sizes == sizes) return &top;
  }
  return nullptr;
}

}  // namespace

std::vector<std::pair<std::string, int>> RtlTopSizes::parameters() const {
  return {{"ROWS", rows},
          {"COLS", rows},
          {"A_DEPTH", buffer_words},
          {"W_DEPTH", buffer_words},
          {"HS_MAX", head_size_max},
          {"CTX_MAX", context_max},
          {"CHECKSUMS", checksums ? 1 : 0},
          {"MEM_BYTES", memory_port_bytes}};
}

RtlTopSizes rtl_top_sizes(const hls::HardwareConfig& config) {
  RtlTopSizes sizes;
  sizes.rows = config.gemm.rows;
  sizes.buffer_words = config.gemm.buffer_words;
  sizes.checksums = config.gemm.checksums;
  sizes.head_size_max = config.attention.head_size_max;
  sizes.context_max = config.attention.context_max;
  sizes.memory_port_bytes = config.gemm.port_bytes();
  return sizes;
}

std::unique_ptr<RtlAccelerator> make_rtl_accelerator() {
  const RtlTopEntry& top = rtl_tops().front();
  return top.make(top.sizes);
}

std::string rtl_unavailable_reason(const hls::HardwareConfig& config) {
  const RtlTopSizes sizes = rtl_top_sizes(config);
  if (find_top(sizes) != nullptr) return "";
  std::string known;
  for (const RtlTopEntry& top : rtl_tops()) {
    known += (known.empty() ? "" : "; ") + describe(top.sizes);
  }
  std::string why = "no Verilated accelerator top of " + describe(sizes) + " in this build";
  if (config.gemm.rows != config.gemm.cols || config.gemm.rows > TESSERA_RTL_MAX_ARRAY) {
    return why + " (the build verilates square arrays up to " +
           std::to_string(TESSERA_RTL_MAX_ARRAY) + ")";
  }
  return why + " (it has " + known +
         "; the build makes one for every board in configs/: add this file to "
         "-DTESSERA_RTL_CONFIGS=... and rebuild)";
}

std::vector<RtlDesign> rtl_fidelity_designs(const hls::HardwareConfig& config) {
  const RtlTopSizes sizes = rtl_top_sizes(config);
  if (find_top(sizes) == nullptr) throw std::invalid_argument(rtl_unavailable_reason(config));
  return {{TESSERA_RTL_TOP_MODULE, sizes.parameters()}};
}

std::unique_ptr<RtlAccelerator> make_rtl_accelerator(const hls::HardwareConfig& config) {
  const RtlTopSizes sizes = rtl_top_sizes(config);
  const RtlTopEntry* top = find_top(sizes);
  if (top == nullptr) throw std::invalid_argument(rtl_unavailable_reason(config));
  return top->make(sizes);
}

}  // namespace tessera::sim
