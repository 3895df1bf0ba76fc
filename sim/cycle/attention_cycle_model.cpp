#include "tessera/sim/attention_cycle_model.hpp"

#include <cmath>
#include <stdexcept>

namespace tessera::sim {

std::uint64_t attention_job_cycles(int positions, double positions_per_cycle) {
  if (positions <= 0 || !(positions_per_cycle > 0)) {
    throw std::invalid_argument("attention_job_cycles: positions and rate must be positive");
  }
  const auto t = static_cast<std::uint64_t>(positions);
  const auto load =
      static_cast<std::uint64_t>(std::ceil(static_cast<double>(positions) / positions_per_cycle));
  return load + 2 * t + 34;
}

std::uint64_t attention_call_cycles(int n_queries, int first_position, int n_heads,
                                    double positions_per_cycle) {
  std::uint64_t total = 0;
  for (int j = 0; j < n_queries; ++j) {
    total += static_cast<std::uint64_t>(n_heads) *
             attention_job_cycles(first_position + j + 1, positions_per_cycle);
  }
  return total;
}

}  // namespace tessera::sim
