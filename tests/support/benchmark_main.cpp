#include "support/benchmark_main.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>

#include "support/model_files.hpp"

namespace tessera::testing {

int run_benchmarks_needing_model(int argc, char** argv, const char* program) {
  try {
    real_model_file("stories260K.bin");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace tessera::testing
