#pragma once

#include <string>
#include <vector>

namespace tessera::testing {

// Published outputs of llama2.c's run.c on stories260K (shared/models/README.md):
// greedy (-t 0.0) with an empty prompt, the generated ids after BOS.
const std::vector<int>& stories260k_greedy_ids();  // the 256 of -n 256
// stdout of `run stories260K.bin -z tok512.bin -t 0.0 -n 60`.
const std::string& stories260k_greedy_60_text();

}  // namespace tessera::testing
