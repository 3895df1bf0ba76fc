#include "tessera/models/ggml_types.hpp"

#include <array>
#include <cstring>

namespace tessera::models {
namespace {

std::uint16_t read_u16(const std::uint8_t* bytes) {
  std::uint16_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

void dequantize_f32(const std::uint8_t* in, std::uint64_t blocks, float* out) {
  std::memcpy(out, in, blocks * sizeof(float));
}

void dequantize_f16(const std::uint8_t* in, std::uint64_t blocks, float* out) {
  for (std::uint64_t i = 0; i < blocks; ++i) out[i] = half_to_float(read_u16(in + 2 * i));
}

void dequantize_bf16(const std::uint8_t* in, std::uint64_t blocks, float* out) {
  for (std::uint64_t i = 0; i < blocks; ++i) out[i] = bfloat16_to_float(read_u16(in + 2 * i));
}

// Q8_0: a binary16 scale d, then 32 int8 values q; x = q * d (ggml's dequantize_row_q8_0).
void dequantize_q8_0(const std::uint8_t* in, std::uint64_t blocks, float* out) {
  for (std::uint64_t b = 0; b < blocks; ++b, in += 34, out += 32) {
    const float d = half_to_float(read_u16(in));
    for (int j = 0; j < 32; ++j)
      out[j] = static_cast<float>(static_cast<std::int8_t>(in[2 + j])) * d;
  }
}

// Q4_0: a binary16 scale d, then 16 bytes of 4-bit values biased by 8: byte j holds
// element j in its low nibble and element j + 16 in its high one (ggml's
// dequantize_row_q4_0).
void dequantize_q4_0(const std::uint8_t* in, std::uint64_t blocks, float* out) {
  for (std::uint64_t b = 0; b < blocks; ++b, in += 18, out += 32) {
    const float d = half_to_float(read_u16(in));
    for (int j = 0; j < 16; ++j) {
      const std::uint8_t packed = in[2 + j];
      out[j] = static_cast<float>((packed & 0x0F) - 8) * d;
      out[j + 16] = static_cast<float>((packed >> 4) - 8) * d;
    }
  }
}

// ggml's type_traits (ggml.c): ids, names and block geometry. Ids missing from the
// table were removed from ggml and never appear in files it writes today.
constexpr std::array<GgmlType, 32> kTypes{{
    {kGgmlF32, "F32", 1, 4, dequantize_f32},
    {1, "F16", 1, 2, dequantize_f16},
    {2, "Q4_0", 32, 18, dequantize_q4_0},
    {3, "Q4_1", 32, 20, nullptr},
    {6, "Q5_0", 32, 22, nullptr},
    {7, "Q5_1", 32, 24, nullptr},
    {8, "Q8_0", 32, 34, dequantize_q8_0},
    {9, "Q8_1", 32, 36, nullptr},
    {10, "Q2_K", 256, 84, nullptr},
    {11, "Q3_K", 256, 110, nullptr},
    {12, "Q4_K", 256, 144, nullptr},
    {13, "Q5_K", 256, 176, nullptr},
    {14, "Q6_K", 256, 210, nullptr},
    {15, "Q8_K", 256, 292, nullptr},
    {16, "IQ2_XXS", 256, 66, nullptr},
    {17, "IQ2_XS", 256, 74, nullptr},
    {18, "IQ3_XXS", 256, 98, nullptr},
    {19, "IQ1_S", 256, 50, nullptr},
    {20, "IQ4_NL", 32, 18, nullptr},
    {21, "IQ3_S", 256, 110, nullptr},
    {22, "IQ2_S", 256, 82, nullptr},
    {23, "IQ4_XS", 256, 136, nullptr},
    {24, "I8", 1, 1, nullptr},
    {25, "I16", 1, 2, nullptr},
    {26, "I32", 1, 4, nullptr},
    {27, "I64", 1, 8, nullptr},
    {28, "F64", 1, 8, nullptr},
    {29, "IQ1_M", 256, 56, nullptr},
    {30, "BF16", 1, 2, dequantize_bf16},
    {34, "TQ1_0", 256, 54, nullptr},
    {35, "TQ2_0", 256, 66, nullptr},
    {39, "MXFP4", 32, 17, nullptr},
}};

}  // namespace

const GgmlType* find_ggml_type(std::uint32_t id) {
  for (const GgmlType& type : kTypes) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

std::string readable_ggml_type_names() {
  std::string names;
  for (const GgmlType& type : kTypes) {
    if (!type.readable()) continue;
    if (!names.empty()) names += ", ";
    names += type.name;
  }
  return names;
}

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  std::uint32_t mantissa = bits & 0x3FFu;
  std::uint32_t out;
  if (exponent == 0x1F) {
    out = sign | 0x7F800000u | (mantissa << 13);  // infinity, NaN with its payload
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    out = sign;
  } else {
    // Subnormal half: normalize; every one is a normal float.
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    out = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float value;
  std::memcpy(&value, &out, sizeof value);
  return value;
}

float bfloat16_to_float(std::uint16_t bits) {
  const std::uint32_t widened = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof value);
  return value;
}

}  // namespace tessera::models
