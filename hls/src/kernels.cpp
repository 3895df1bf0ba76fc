#include "tessera/hls/kernels.hpp"

#include <sstream>

namespace tessera::hls {
namespace {

template <int R, int C>
bool try_gemm(ArrayShape array, const GemmArgs& args, Status& status) {
  if (array.rows != R || array.cols != C) return false;
  status = gemm_i8<R, C, kGemmKTile>(args);
  return true;
}

template <int R, int C>
bool try_gemv(ArrayShape array, const GemmArgs& args, Status& status) {
  if (array.rows != R || array.cols != C) return false;
  status = gemv_i8<R, C, kGemmKTile>(args);
  return true;
}

// `where`: " on 16x16", or empty for a kernel that models no array.
void throw_on_error(Status status, const char* kernel, const std::string& where,
                    const GemmArgs& args) {
  if (status == Status::kOk) return;
  throw KernelError(status, std::string(kernel) + " (" + std::to_string(args.m) + "x" +
                                std::to_string(args.n) + "x" + std::to_string(args.k) + where +
                                "): " + describe(status));
}

}  // namespace

std::vector<ArrayShape> supported_arrays() { return {{4, 4}, {8, 8}, {16, 16}, {32, 32}}; }

bool is_supported(ArrayShape shape) {
  for (const ArrayShape& s : supported_arrays()) {
    if (s.rows == shape.rows && s.cols == shape.cols) return true;
  }
  return false;
}

std::string to_string(ArrayShape shape) {
  return std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
}

ArrayShape parse_array_shape(const std::string& text) {
  std::istringstream in(text);
  ArrayShape shape{0, 0};
  char x = 0;
  std::string rest;
  const bool parsed =
      static_cast<bool>(in >> shape.rows >> x >> shape.cols) && x == 'x' && !(in >> rest);
  if (!parsed || !is_supported(shape)) {
    std::string known;
    for (const ArrayShape& s : supported_arrays())
      known += (known.empty() ? "" : ", ") + to_string(s);
    throw std::invalid_argument("array '" + text + "' is not supported (supported: " + known + ")");
  }
  return shape;
}

Status gemm(ArrayShape array, const GemmArgs& args) {
  Status status = Status::kBadArray;
  try_gemm<4, 4>(array, args, status) || try_gemm<8, 8>(array, args, status) ||
      try_gemm<16, 16>(array, args, status) || try_gemm<32, 32>(array, args, status);
  return status;
}

Status gemv(ArrayShape array, const GemmArgs& args) {
  Status status = Status::kBadArray;
  try_gemv<4, 4>(array, args, status) || try_gemv<8, 8>(array, args, status) ||
      try_gemv<16, 16>(array, args, status) || try_gemv<32, 32>(array, args, status);
  return status;
}

Status attention(const AttentionArgs& args) {
  return attention_i8<kAttentionHeadMax, kAttentionContextMax>(args);
}

void gemm_or_throw(ArrayShape array, const GemmArgs& args) {
  throw_on_error(gemm(array, args), "gemm_i8", " on " + to_string(array), args);
}

void gemv_or_throw(ArrayShape array, const GemmArgs& args) {
  throw_on_error(gemv(array, args), "gemv_i8", " on " + to_string(array), args);
}

void fast_gemm_or_throw(const GemmArgs& args) {
  throw_on_error(fast_gemm(args), "fast_gemm", "", args);
}

void attention_or_throw(const AttentionArgs& args) {
  const Status status = attention(args);
  if (status != Status::kOk) {
    throw KernelError(status, "attention_i8 (" + std::to_string(args.n_heads) + " heads, " +
                                  std::to_string(args.n_kv_heads) + " kv heads, head size " +
                                  std::to_string(args.head_size) + ", " +
                                  std::to_string(args.first_position + args.n_queries) +
                                  " positions): " + describe(status));
  }
}

}  // namespace tessera::hls
