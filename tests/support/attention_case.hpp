#pragma once

#include <random>

#include "tessera/hls/attention_i8.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::testing {

struct AttentionShape {
  int n_heads, n_kv_heads, head_size, first_position, n_queries;
};

// Random int8 queries, keys and values over the full int8 range, with scales in the
// ranges real activations have; query scales already carry log2(e)/sqrt(head_size).
models::int8_reference::AttentionInput random_attention_input(const AttentionShape& shape,
                                                              std::mt19937& rng);

// Kernel arguments reading `in` and writing into `out` (resized to fit).
hls::AttentionArgs attention_args(const models::int8_reference::AttentionInput& in,
                                  models::int8_reference::AttentionOutput& out);

}  // namespace tessera::testing
