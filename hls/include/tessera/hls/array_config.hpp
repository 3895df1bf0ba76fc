#pragma once

#include <string>
#include <vector>

namespace tessera::hls {

// Geometry of the systolic array. The HLS kernels take it as template parameters;
// these are the instantiations built into tessera (a hardware preset names one).
struct ArrayShape {
  int rows = 16;
  int cols = 16;
};

constexpr ArrayShape kDefaultArray{16, 16};
constexpr int kGemmKTile = 64;          // K elements per operand-buffer fill
constexpr int kAttentionHeadMax = 256;  // largest head size the attention unit holds
constexpr int kAttentionContextMax = 4096;
// K steps of one row tile that one burst of a vector job's W reads (the DMA's gather
// group, tessera/sim/dma_shape.hpp), and so the words a wide memory port's beat holds.
constexpr int kWidePortWords = 4;

std::vector<ArrayShape> supported_arrays();
bool is_supported(ArrayShape shape);
std::string to_string(ArrayShape shape);
// Parses "RxC" (for example "16x16"); throws std::invalid_argument naming the
// supported shapes for anything else.
ArrayShape parse_array_shape(const std::string& text);

}  // namespace tessera::hls
