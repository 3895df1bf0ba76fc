#pragma once

#include <cstdint>

namespace tessera::sim {

// Cycle model of the RTL attention unit (rtl/attention, docs/rtl.md), the timing of
// the tlm fidelity. One job is one query head over T positions:
//   LOAD T / (positions per cycle) + WEIGH T + DIVIDE 33 + ACCUMULATE T + 1
// = 3T + 34 cycles when keys and values arrive one position per cycle.
// tests/rtl holds it to the Verilated unit.
std::uint64_t attention_job_cycles(int positions, double positions_per_cycle = 1.0);

// A whole call (queries j = 0..n_queries-1 at first_position + j, every query head).
std::uint64_t attention_call_cycles(int n_queries, int first_position, int n_heads,
                                    double positions_per_cycle = 1.0);

}  // namespace tessera::sim
