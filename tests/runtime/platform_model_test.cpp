// Whole models on the accelerator: the kernel schedule the timing-only bench replays
// on the platform is the one Int8Model issues, a real model through the runtime and
// the ICD is as fast as that replay, and it decodes the same tokens at every
// fidelity, with tlm's simulated time within 5 % of rtl's.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bench/model_bench.hpp"
#include "runtime/decode_workload.hpp"
#include "runtime/device.hpp"
#include "runtime/hls_kernels.hpp"
#include "runtime/int8_model.hpp"
#include "support/memory_bounds.hpp"
#include "support/model_files.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/dma_shape.hpp"

namespace tessera::runtime {
namespace {

using bench::bench_checkpoint;
using bench::bench_shape;
using bench::ModelBenchOptions;
using bench::ModelBenchResult;
using models::model_shape;

// Records the shapes of the calls the int8 model makes.
class RecordingKernels final : public Int8Kernels {
 public:
  void gemm(const hls::GemmArgs& g) override {
    KernelCall call;
    call.m = g.m;
    call.n = g.n;
    call.k = g.k;
    calls.push_back(call);
  }
  void attention(const hls::AttentionArgs& a) override {
    KernelCall call;
    call.kind = KernelCall::Kind::kAttention;
    call.n_queries = a.n_queries;
    call.first_position = a.first_position;
    calls.push_back(call);
  }
  std::vector<KernelCall> calls;
};

TEST(PlatformModel, WorkloadIsTheInt8ModelsKernelSchedule) {
  const models::Checkpoint checkpoint =
      models::Checkpoint::load(testing::real_model_file("stories260K.bin"));
  RecordingKernels recorder;
  Int8Model model(checkpoint, 8, recorder);
  model.forward(1, 3);
  const auto expected = forward_kernels(model_shape("stories260k"), 3, 1);
  ASSERT_EQ(recorder.calls.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(recorder.calls[i].kind, expected[i].kind) << i;
    EXPECT_EQ(recorder.calls[i].m, expected[i].m) << i;
    EXPECT_EQ(recorder.calls[i].n, expected[i].n) << i;
    EXPECT_EQ(recorder.calls[i].k, expected[i].k) << i;
    EXPECT_EQ(recorder.calls[i].first_position, expected[i].first_position) << i;
  }
  EXPECT_EQ(model_shape("stories260k").config.dim, checkpoint.config().dim);
  EXPECT_EQ(model_shape("stories260k").config.hidden_dim, checkpoint.config().hidden_dim);
}

// The real model through the runtime and the ICD takes the time of its timing-only
// shape driven on the platform directly: weights and K/V cache stay on the device,
// and each op is one submission. The two paths differ only in padding (the driver
// sends A padded to whole memory words and reads back whole row tiles; the ICD runs
// A in place and reads back the N results), which keeps them within 2 %.
TEST(PlatformModel, RealModelThroughTheIcdDecodesAsFastAsItsShapeOnThePlatform) {
  const models::Checkpoint checkpoint =
      models::Checkpoint::load(testing::real_model_file("stories260K.bin"));
  for (const char* preset : {"kv260", "u280"}) {
    const hls::HardwareConfig config = hls::load_preset(preset);
    for (int context : {0, 3}) {
      ModelBenchOptions options;
      options.tokens = 4;
      options.context = context;
      const ModelBenchResult real =
          bench_checkpoint(std::string("accel:") + preset + ":tlm", checkpoint, options);
      sim::Platform shape_platform(config, {sim::Fidelity::kTlm, false, "", {}});
      const ModelBenchResult shape =
          bench_shape(shape_platform, model_shape("stories260k"), options);
      EXPECT_NEAR(real.simulated_seconds, shape.simulated_seconds, 0.02 * shape.simulated_seconds)
          << preset << ", context " << context;
      const auto to_device = [](const ModelBenchResult& r) {
        return r.counters.at("host_link").at("bytes_to_device").get<std::uint64_t>();
      };
      EXPECT_LE(to_device(real), to_device(shape)) << preset;
      // The ICD reads back only the N results of a row, not the last tile's padding.
      const auto read = [](const ModelBenchResult& r) {
        return r.counters.at("memory").at("bytes_read").get<std::uint64_t>();
      };
      EXPECT_LE(read(real), read(shape)) << preset;
      EXPECT_GE(read(real), real.bytes_needed) << preset;
    }
  }
}

TEST(PlatformModel, DecodeTimesAreDeterministicAndFromTheSimulation) {
  const hls::HardwareConfig config = hls::load_preset("kv260");
  ModelBenchOptions options;
  options.tokens = 2;
  options.context = 5;
  ModelBenchResult runs[2];
  for (auto& run : runs) {
    sim::Platform platform(config, {sim::Fidelity::kTlm, false, "", {}});
    run = bench_shape(platform, model_shape("stories110m"), options);
  }
  EXPECT_EQ(runs[0].simulated_seconds, runs[1].simulated_seconds);
  EXPECT_GT(runs[0].tokens_per_s(), 0.0);
  const double bw = runs[0].bw_utilization(config);
  EXPECT_GT(bw, 0.0);
  EXPECT_LE(bw, 1.0) << "no design beats the memory's peak";
  EXPECT_LE(runs[0].mac_utilization(config), 1.0);
  // The memory moved at least what the step needs.
  EXPECT_GE(runs[0].counters.at("memory").at("bytes_read").get<std::uint64_t>(),
            runs[0].bytes_needed);
  // A longer context reads more of the KV cache and takes longer.
  options.context = 400;
  sim::Platform platform(config, {sim::Fidelity::kTlm, false, "", {}});
  EXPECT_GT(bench_shape(platform, model_shape("stories110m"), options).simulated_seconds,
            runs[0].simulated_seconds);
}

// llama2-7b decode on u280 streams its weights from every pseudo-channel to every
// unit, so the HBM switch's lateral links bound it (tests/support/memory_bounds):
// the simulated rate stays under that bound and within half of it, and far under
// what the memory delivers to channel-local readers.
TEST(PlatformModel, Llama2DecodeOnU280IsBoundByTheHbmSwitch) {
  const hls::HardwareConfig config = hls::load_preset("u280");
  sim::Platform platform(config, {sim::Fidelity::kTlm, false, "", {}});
  ModelBenchOptions options;  // the CLI's defaults: 4 tokens from an empty cache
  const ModelBenchResult r = bench_shape(platform, model_shape("llama2-7b"), options);
  const double bytes_per_token = static_cast<double>(r.bytes_needed) / r.tokens;
  const double switch_bound = testing::lateral_bound_gbps(config) * 1e9 / bytes_per_token;
  EXPECT_LE(r.tokens_per_s(), switch_bound);
  EXPECT_GE(r.tokens_per_s(), 0.5 * switch_bound);
  EXPECT_LT(r.tokens_per_s(), testing::refresh_bound_gbps(config) * 1e9 / bytes_per_token);
  // The host's share comes from the config's host model.
  EXPECT_GT(r.breakdown.host_glue, 0.0);
  EXPECT_GT(r.breakdown.driver, 0.0);
  EXPECT_NEAR(r.breakdown.total() * r.tokens, r.seconds(), 1e-9 * r.seconds());
}

// kv260's one DDR4 channel serves both units without a switch, and the GEMM unit's
// memory port moves 64 bytes per clock (19.2 GB/s at 300 MHz, the channel's peak). A
// decode step is mostly the vector jobs' W, read in 64-byte gather bursts whose row
// tiles lie K words apart (12 KiB and 32 KiB at stories110m, past the 8 KiB DRAM row):
// each burst opens a row, and four activates per activate window bound them. The
// accelerator's share of a stories110m step streams under the refresh and port bounds
// and at 70 % or more of the activate bound, and the Cortex-A53 host's glue and driver
// time come on top.
TEST(PlatformModel, Stories110mDecodeOnKv260NearsItsMemoryBound) {
  const hls::HardwareConfig config = hls::load_preset("kv260");
  sim::Platform platform(config, {sim::Fidelity::kTlm, false, "", {}});
  const ModelBenchResult r = bench_shape(platform, model_shape("stories110m"), {});
  const double accelerator_gbps = static_cast<double>(r.bytes_needed) / r.simulated_seconds / 1e9;
  EXPECT_LE(accelerator_gbps,
            std::min(testing::refresh_bound_gbps(config), testing::port_bound_gbps(config)));
  const double gather_burst_bytes =
      static_cast<double>(config.gemm.rows) * static_cast<double>(sim::dma::kVectorBurstBeats);
  EXPECT_GE(accelerator_gbps, 0.7 * testing::activate_bound_gbps(config, gather_burst_bytes));
  EXPECT_GT(r.breakdown.host_glue, 0.0);
  EXPECT_NEAR(r.breakdown.host_glue,
              runtime::host_glue_flops_per_token(model_shape("stories110m").config) /
                  (config.host.glue_gflops * 1e9),
              1e-12);
}

TEST(PlatformModel, ModelsLargerThanDeviceMemoryAreRefused) {
  sim::Platform platform(hls::load_preset("kv260"), {sim::Fidelity::kTlm, false, "", {}});
  try {
    bench_shape(platform, model_shape("llama2-7b"), {});
    ADD_FAILURE() << "llama2-7b does not fit 4 GB";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("llama2-7b needs 6.2 GiB of device memory"),
              std::string::npos)
        << e.what();
  }
}

// docs/runtime.md's bound on what a decode step moves over the host link: the matmul
// inputs, the new position's K/V records and the query records up; the matmul
// outputs and the attention result records back; 64 bytes of descriptor per command
// (at most one per GEMM unit per matmul and one per query head). Records are at most
// their lanes rounded up to 64 bytes. The weights never cross after loading.
std::uint64_t host_link_bound_per_token(const models::ModelConfig& c,
                                        const hls::HardwareConfig& hw) {
  const auto u = [](int x) { return static_cast<std::uint64_t>(x); };
  const auto record = [](std::uint64_t bytes) { return (bytes + 63) / 64 * 64; };
  const std::uint64_t hs = u(c.head_size()), kv_dim = u(c.n_kv_heads) * hs;
  const std::uint64_t up = 3 * u(c.dim) + u(c.hidden_dim) + u(c.n_kv_heads) * record(2 * hs + 8) +
                           u(c.n_heads) * record(hs + 4);
  const std::uint64_t down =
      4 * (3 * u(c.dim) + 2 * kv_dim + 2 * u(c.hidden_dim)) + u(c.n_heads) * record(4 * hs + 12);
  const std::uint64_t commands = 7 * u(hw.gemm.count) + u(c.n_heads);
  return u(c.n_layers) * (up + down + 64 * commands) + u(c.dim) + 4 * u(c.vocab_size) +
         64 * u(hw.gemm.count);
}

TEST(PlatformModel, HostLinkBytesPerTokenStayWithinActivationsKvAndCommands) {
  const models::Checkpoint checkpoint =
      models::Checkpoint::load(testing::real_model_file("stories260K.bin"));
  for (const char* preset : {"kv260", "u280"}) {
    DeviceOptions options;
    options.statistics = true;
    const auto device =
        open_device(std::string("accel:") + preset + ":tlm", checkpoint, 16, options);
    int token = 1;
    for (int pos = 0; pos < 16; ++pos) device->forward(token, pos).maxCoeff(&token);
    const auto stats = nlohmann::json::parse(device->statistics_json());
    const double per_token = stats.at("host_link_bytes_per_token").get<double>();
    const std::uint64_t bound =
        host_link_bound_per_token(checkpoint.config(), hls::load_preset(preset));
    EXPECT_LE(per_token, static_cast<double>(bound)) << preset;
    EXPECT_LT(static_cast<double>(bound),
              static_cast<double>(weight_bytes(model_shape("stories260k"))))
        << "the bound would not show that weights stay on the device";
    std::uint64_t block_bytes = 0;
    for (const auto& block : stats.at("blocks")) {
      block_bytes += block.at("host_link_bytes").get<std::uint64_t>();
    }
    EXPECT_EQ(block_bytes, stats.at("host_link_bytes").get<std::uint64_t>()) << preset;
  }
}

// Through the ICD, at every fidelity: the HLS device's logits bit for bit, and tlm's
// simulated time within 5 % of rtl's (func keeps none).
TEST(PlatformModel, RealModelDecodesAlikeAtEveryFidelity) {
  const models::Checkpoint checkpoint =
      models::Checkpoint::load(testing::real_model_file("stories260K.bin"));
  HlsKernels hls_kernels(hls::ArrayShape{16, 16});
  Int8Model hls_model(checkpoint, 6, hls_kernels);
  std::vector<Eigen::VectorXf> expected;
  int token = 1;
  for (int pos = 0; pos < 6; ++pos) {
    expected.push_back(hls_model.forward(token, pos));
    expected.back().maxCoeff(&token);
  }
  double simulated[3] = {};
  const char* fidelities[3] = {"func", "tlm", "rtl"};
  for (int f = 0; f < 3; ++f) {
    const auto device = open_device(std::string("accel:kv260:") + fidelities[f], checkpoint, 6);
    token = 1;
    for (int pos = 0; pos < 6; ++pos) {
      const Eigen::VectorXf& logits = device->forward(token, pos);
      ASSERT_EQ(logits, expected[static_cast<std::size_t>(pos)])
          << fidelities[f] << " at position " << pos;
      logits.maxCoeff(&token);
    }
    const auto seconds = nlohmann::json::parse(device->statistics_json()).at("simulated_seconds");
    if (f == 0) {
      EXPECT_TRUE(seconds.is_null()) << "func keeps no simulated time";
    } else {
      simulated[f] = seconds.get<double>();
    }
  }
  EXPECT_GT(simulated[1], 0.0);
  // tlm models the top the rtl fidelity runs: within the 5 % the CLI's --compare-to
  // allows (docs/platform.md, "rtl fidelity").
  EXPECT_NEAR(simulated[2] / simulated[1], 1.0, 0.05) << "tlm's simulated time against rtl's";
}

}  // namespace
}  // namespace tessera::runtime
