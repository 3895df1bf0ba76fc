#pragma once

namespace tessera::testing {

// main() of a Google Benchmark binary that needs the stories260K model: without it,
// one line saying where to get it and exit code 1 instead of a crash mid-run.
int run_benchmarks_needing_model(int argc, char** argv, const char* program);

}  // namespace tessera::testing
