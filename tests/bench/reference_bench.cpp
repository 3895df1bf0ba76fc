// Decode throughput of the fp32 reference on stories260K, one thread: a 256-token
// greedy story per iteration. BM_NaiveLoops runs the same steps through plain scalar
// loops in llama2.c run.c's order, the baseline the reference must at least match.
#include <benchmark/benchmark.h>

#include "support/benchmark_main.hpp"
#include "support/model_files.hpp"
#include "support/naive_llama.hpp"
#include "tessera/models/reference_model.hpp"
#include "tessera/models/sampler.hpp"

namespace {

constexpr int kSteps = 256;

void BM_ReferenceDecode(benchmark::State& state) {
  const auto ckpt =
      tessera::models::Checkpoint::load(tessera::testing::real_model_file("stories260K.bin"));
  // Positions restart at 0 each story and overwrite the cache before reading it,
  // so one model serves every iteration and loading stays out of the timing.
  tessera::models::ReferenceModel model(ckpt, kSteps);
  for (auto _ : state) {
    int token = 1;
    for (int pos = 0; pos < kSteps; ++pos)
      token = tessera::models::argmax(model.forward(token, pos));
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
  state.SetLabel("items/s = tokens/s");
}
BENCHMARK(BM_ReferenceDecode)->Unit(benchmark::kMillisecond);

void BM_NaiveLoops(benchmark::State& state) {
  const auto path = tessera::testing::real_model_file("stories260K.bin");
  tessera::testing::NaiveLlama model(path);
  for (auto _ : state) {
    int token = 1;
    for (int pos = 0; pos < kSteps; ++pos) {
      const auto& logits = model.forward(token, pos);
      token = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
  state.SetLabel("items/s = tokens/s");
}
BENCHMARK(BM_NaiveLoops)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return tessera::testing::run_benchmarks_needing_model(argc, argv, "reference_bench");
}
