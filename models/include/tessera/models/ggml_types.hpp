#pragma once

#include <cstdint>
#include <string>

namespace tessera::models {

// A ggml tensor type as GGUF files store it: elements come in blocks of
// `block_elements`, each `block_bytes` long. `dequantize` is null for the types
// tessera knows the size of but does not read (k-quants, i-quants, integers), so that
// such files can still be inspected and rejected by name.
struct GgmlType {
  std::uint32_t id;
  const char* name;
  std::uint32_t block_elements;
  std::uint32_t block_bytes;
  // Writes `blocks` whole blocks from `in` as fp32 to `out`.
  void (*dequantize)(const std::uint8_t* in, std::uint64_t blocks, float* out);

  bool readable() const { return dequantize != nullptr; }
};

// F32: its bytes are the fp32 values, usable in place from a mapping.
constexpr std::uint32_t kGgmlF32 = 0;

// The ggml type with this id, or null for an id ggml does not define (or removed).
const GgmlType* find_ggml_type(std::uint32_t id);

// The names of the types tessera dequantizes, comma-separated, for messages.
std::string readable_ggml_type_names();

// IEEE 754 binary16 and bfloat16 bit patterns to fp32: both widen exactly.
float half_to_float(std::uint16_t bits);
float bfloat16_to_float(std::uint16_t bits);

}  // namespace tessera::models
