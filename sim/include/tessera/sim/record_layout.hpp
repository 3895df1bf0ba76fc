#pragma once

// The attention records' layout: offsets and sizes in terms of the records' lane
// count (head_max). The list is record_layout.inc; the build generates the RTL's
// localparams from it (sim/gen/generate_hardware_headers.cpp).

#include <cstddef>

namespace tessera::sim::record {

// LANES * head_max + BYTES.
struct Extent {
  int lanes;
  int bytes;
  constexpr std::size_t at(int head_max) const {
    return static_cast<std::size_t>(lanes) * static_cast<std::size_t>(head_max) +
           static_cast<std::size_t>(bytes);
  }
};

#define TESSERA_RECORD(cpp_name, rtl_name, lanes, bytes) \
  constexpr Extent cpp_name##Bytes{lanes, bytes};
#define TESSERA_RECORD_FIELD(cpp_name, rtl_name, lanes, bytes) \
  constexpr Extent cpp_name{lanes, bytes};
#include "tessera/sim/record_layout.inc"
#undef TESSERA_RECORD_FIELD
#undef TESSERA_RECORD

}  // namespace tessera::sim::record
