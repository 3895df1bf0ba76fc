#pragma once

namespace tessera::models {

// The orthogonal transform R_n that the int8 model path applies to every matmul input
// before activation quantization, and folds into the weights at load (W' = W R_nᵀ),
// so that W'(R_n x) = W x in exact arithmetic. Outlier coordinates of x are spread
// over their block, so one per-token scale suits every coordinate (docs/numerics.md).
//
// R_n = B·D: D flips the sign of the coordinates a fixed hash selects; B is block
// diagonal with normalised Walsh–Hadamard blocks of decreasing powers of two that
// cover n (172 = 128 + 32 + 8 + 4). R_n depends on n only.
//
// Applies R_n to x[0, n) in place in O(n log n).
void hadamard_rotate(float* x, int n);

}  // namespace tessera::models
