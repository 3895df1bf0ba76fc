// The HLS C models' speed on the CPU (they are simulators, so this is simulation
// speed, not hardware speed) and the int8 model path's tokens/s on stories260K.
#include <benchmark/benchmark.h>

#include <random>

#include "runtime/device.hpp"
#include "support/benchmark_main.hpp"
#include "support/model_files.hpp"
#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/sampler.hpp"

namespace {

using namespace tessera;

std::vector<std::int8_t> random_int8(std::size_t n) {
  std::mt19937 rng(1);
  return testing::random_int8(n, rng, -127, 127);
}

// Arguments: M, N, K, array size.
void BM_GemmI8(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)),
            k = static_cast<int>(state.range(2)), array = static_cast<int>(state.range(3));
  const auto a = random_int8(static_cast<std::size_t>(m) * static_cast<std::size_t>(k));
  const auto w = random_int8(static_cast<std::size_t>(n) * static_cast<std::size_t>(k));
  std::vector<std::int32_t> c(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  for (auto _ : state) {
    hls::gemm_or_throw({array, array}, g);
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * m * n * k);
  state.SetLabel("items/s = MAC/s");
}
BENCHMARK(BM_GemmI8)
    ->Args({1, 64, 64, 16})
    ->Args({1, 172, 64, 16})
    ->Args({64, 64, 64, 16})
    ->Args({256, 256, 256, 16})
    ->Args({256, 256, 256, 32});

// Arguments: context positions, query heads, kv heads, head size (one decode step).
void BM_AttentionI8(benchmark::State& state) {
  const int positions = static_cast<int>(state.range(0)), heads = static_cast<int>(state.range(1)),
            kv = static_cast<int>(state.range(2)), hs = static_cast<int>(state.range(3));
  const auto q = random_int8(static_cast<std::size_t>(heads * hs));
  const auto k = random_int8(static_cast<std::size_t>(positions * kv * hs));
  const auto v = random_int8(k.size());
  std::vector<float> q_scale(static_cast<std::size_t>(heads), 0.01f);
  std::vector<float> kv_scale(static_cast<std::size_t>(positions * kv), 0.02f);
  std::vector<std::int32_t> out(static_cast<std::size_t>(heads * hs));
  std::vector<numerics::AttentionNorm> norm(static_cast<std::size_t>(heads));
  hls::AttentionArgs args;
  args.q = q.data();
  args.q_scale = q_scale.data();
  args.k = k.data();
  args.k_scale = kv_scale.data();
  args.v = v.data();
  args.v_scale = kv_scale.data();
  args.n_queries = 1;
  args.first_position = positions - 1;
  args.n_heads = heads;
  args.n_kv_heads = kv;
  args.head_size = hs;
  args.out = out.data();
  args.norm = norm.data();
  for (auto _ : state) {
    hls::attention_or_throw(args);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * positions * heads);
  state.SetLabel("items/s = (position, head) pairs/s");
}
BENCHMARK(BM_AttentionI8)->Args({256, 8, 4, 8})->Args({512, 8, 4, 8})->Args({1024, 32, 32, 128});

// Arguments: 0 = fp32 reference, 1 = hls. A 256-token greedy story per iteration.
void BM_DeviceDecode(benchmark::State& state) {
  const auto ckpt = models::Checkpoint::load(testing::real_model_file("stories260K.bin"));
  auto device = runtime::open_device(state.range(0) == 0 ? "reference" : "hls", ckpt, 256);
  for (auto _ : state) {
    int token = 1;
    for (int pos = 0; pos < 256; ++pos) token = models::argmax(device->forward(token, pos));
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetLabel(state.range(0) == 0 ? "reference, items/s = tokens/s" : "hls, items/s = tokens/s");
}
BENCHMARK(BM_DeviceDecode)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return tessera::testing::run_benchmarks_needing_model(argc, argv, "hls_bench");
}
