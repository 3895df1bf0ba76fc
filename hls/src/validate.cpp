#include <cmath>

#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/gemm_i8.hpp"

namespace tessera::hls {
namespace {

bool scales_valid(const float* scales, long count) {
  for (long i = 0; i < count; ++i) {
    if (!numerics::is_valid_scale(scales[i])) return false;
  }
  return true;
}

}  // namespace

Status validate(const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0 || g.a == nullptr || g.w == nullptr) {
    return Status::kBadShape;
  }
  if (g.k > numerics::kMaxAccumulationDepth) return Status::kAccumulationTooDeep;
  if (g.w_tile < 0) return Status::kBadShape;
  switch (g.epilogue) {
    case Epilogue::kInt32:
      if (g.c_int32 == nullptr) return Status::kBadShape;
      return Status::kOk;
    case Epilogue::kDequantize:
      if (g.c_fp32 == nullptr) return Status::kBadShape;
      break;
    case Epilogue::kRequantize:
      if (g.c_int8 == nullptr) return Status::kBadShape;
      break;
  }
  if (g.row_scale == nullptr || g.col_scale == nullptr) return Status::kBadShape;
  if (!scales_valid(g.row_scale, g.m) || !scales_valid(g.col_scale, g.n)) return Status::kBadScale;
  return Status::kOk;
}

Status validate(const AttentionArgs& g, int head_size_max, int context_max) {
  if (g.q == nullptr || g.q_scale == nullptr || g.k == nullptr || g.k_scale == nullptr ||
      g.v == nullptr || g.v_scale == nullptr || g.out == nullptr || g.norm == nullptr ||
      g.n_queries <= 0 || g.first_position < 0) {
    return Status::kBadShape;
  }
  if (g.n_heads <= 0 || g.n_kv_heads <= 0 || g.n_heads % g.n_kv_heads != 0 || g.head_size <= 0 ||
      g.head_size > head_size_max) {
    return Status::kBadHeads;
  }
  const long positions = static_cast<long>(g.first_position) + g.n_queries;
  if (positions > context_max || positions > numerics::kMaxAttentionContext) {
    return Status::kContextTooLong;
  }
  if (!scales_valid(g.q_scale, static_cast<long>(g.n_queries) * g.n_heads) ||
      !scales_valid(g.k_scale, positions * g.n_kv_heads) ||
      !scales_valid(g.v_scale, positions * g.n_kv_heads)) {
    return Status::kBadScale;
  }
  return Status::kOk;
}

}  // namespace tessera::hls
