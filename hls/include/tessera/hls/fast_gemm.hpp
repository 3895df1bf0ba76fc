#pragma once

// The GEMM engine's integers at CPU speed: C = A * W^T through the call's epilogue,
// computed as blocked int8 x int8 -> int32 dot products the compiler vectorizes,
// with no model of the array. Integer sums do not depend on their order, so every
// result equals gemm_i8's and gemv_i8's on any array (the cycle-by-cycle C models
// stay the specification; tests/hls/fast_gemm_test.cpp holds the two together).
// The hls device and the platform's func and tlm units compute with it.

#include "tessera/hls/gemm_i8.hpp"

namespace tessera::hls {

// Takes row-major W, or W in the device ABI's tiled layout (args.w_tile rows per
// tile). The checks of gemm_i8 (validate()); no constraint on M or K beyond them.
Status fast_gemm(const GemmArgs& args);

}  // namespace tessera::hls
