#pragma once

#include <nlohmann/json.hpp>

#include "sweep/sweep_spec.hpp"

namespace tessera::sweep {

// Runs one point at tlm without weights and returns its result:
//   {"id", "status": "ok" | "over_budget" | "invalid", "message", "resources": {...},
//    "fits_board", "metrics": {...} (ok points only)}
// A configuration the validator rejects for the board's budget is "over_budget" (its
// resources estimated, not timed); for anything else "invalid"; either way the
// validator's message is kept.
nlohmann::ordered_json run_point(const Point& point);

// The columns of results.csv after the point's id, workload and settings, in order.
const std::vector<std::string>& result_columns();

}  // namespace tessera::sweep
