#include "bench/model_bench.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "runtime/decode_workload.hpp"
#include "runtime/device.hpp"
#include "runtime/opencl_kernels.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::bench {
namespace {

using models::ModelShape;
using runtime::KernelCall;
using runtime::MatrixShape;

using Clock = std::chrono::steady_clock;

void check_positions(const ModelShape& shape, const ModelBenchOptions& o) {
  if (o.tokens <= 0 || o.context < 0 ||
      static_cast<long>(o.context) + o.tokens > shape.config.seq_len) {
    throw std::invalid_argument("context " + std::to_string(o.context) + " + tokens " +
                                std::to_string(o.tokens) + " must fit the model's " +
                                std::to_string(shape.config.seq_len) + " positions");
  }
}

// Bytes and MACs of the measured passes.
void account(ModelBenchResult& r, const ModelBenchOptions& o) {
  const int passes = o.prefill ? 1 : o.tokens, per_pass = o.prefill ? o.tokens : 1;
  for (int p = 0; p < passes; ++p) {
    const int first = o.context + p * per_pass;
    r.bytes_needed +=
        runtime::weight_bytes(r.shape) + runtime::kv_cache_bytes(r.shape, first + per_pass);
    r.useful_macs += runtime::forward_macs(r.shape, first, per_pass);
  }
}

// What the measured passes took, moved and computed.
ModelBenchResult measured_result(const ModelShape& shape, const hls::HardwareConfig& hardware,
                                 const ModelBenchOptions& o, double simulated_seconds,
                                 nlohmann::ordered_json counters, Clock::time_point wall_start) {
  ModelBenchResult r;
  r.shape = shape;
  r.tokens = o.tokens;
  r.simulated_seconds = simulated_seconds;
  r.counters = std::move(counters);
  account(r, o);
  r.breakdown = runtime::decode_time_breakdown(
      hardware, r.counters, o.tokens,
      runtime::host_glue_flops_per_token(shape.config, shape.ffn_matrices));
  if (!r.timed()) r.breakdown = {};  // host time would be all an untimed run shows
  r.host_seconds = r.breakdown.host() * o.tokens;
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  return r;
}

}  // namespace

double ModelBenchResult::tokens_per_s() const { return seconds() > 0 ? tokens / seconds() : 0.0; }

double ModelBenchResult::achievable_bw_utilization() const {
  const double possible = achievable_gbps() * 1e9 * seconds();
  return possible > 0 ? static_cast<double>(bytes_needed) / possible : 0.0;
}

double ModelBenchResult::bw_utilization(const hls::HardwareConfig& config) const {
  const double peak = config.memory.bandwidth_gbps * 1e9 * seconds();
  return peak > 0 ? static_cast<double>(bytes_needed) / peak : 0.0;
}

double ModelBenchResult::mac_utilization(const hls::HardwareConfig& config) const {
  const double peak =
      static_cast<double>(config.macs_per_cycle()) * config.clock_mhz * 1e6 * seconds();
  return peak > 0 ? static_cast<double>(useful_macs) / peak : 0.0;
}

ModelBenchResult bench_shape(sim::Platform& platform, const ModelShape& shape,
                             const ModelBenchOptions& o) {
  check_positions(shape, o);
  if (platform.options().compute) {
    throw std::invalid_argument("bench_shape: the platform must run timing only");
  }
  const std::uint64_t needed =
      runtime::weight_bytes(shape) + runtime::kv_cache_bytes(shape, o.context + o.tokens);
  if (needed > platform.config().memory.bytes) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "%s needs %.1f GiB of device memory for its int8 weights and KV cache; %s has "
                  "%.1f GiB",
                  shape.name.c_str(), static_cast<double>(needed) / (1 << 30),
                  platform.config().name.c_str(),
                  static_cast<double>(platform.config().memory.bytes) / (1 << 30));
    throw std::invalid_argument(text);
  }
  sim::PlatformDriver driver(platform);
  std::vector<sim::PlatformDriver::DeviceMatrix> weights;
  for (const MatrixShape& m : runtime::weight_shapes(shape)) {
    weights.push_back(driver.upload_weights(nullptr, m.n, m.k));
  }
  const models::ModelConfig& c = shape.config;
  std::vector<sim::PlatformDriver::DeviceKvCache> caches;
  for (int l = 0; l < c.n_layers; ++l) {
    caches.push_back(driver.allocate_kv_cache(c.n_kv_heads, c.head_size(), o.context + o.tokens));
    caches.back().positions_uploaded = o.context;  // filled before the measurement
  }
  platform.run_until_idle();  // the weights have arrived
  platform.reset_counters();
  const double begin = platform.now_seconds();
  const auto measured = Clock::now();
  const int passes = o.prefill ? 1 : o.tokens, per_pass = o.prefill ? o.tokens : 1;
  runtime::PhaseSteps progress(o.progress, o.prefill ? "prefill" : "decode", passes);
  for (int p = 0; p < passes; ++p) {
    const std::vector<KernelCall> calls =
        runtime::forward_kernels(shape, o.context + p * per_pass, per_pass);
    for (std::size_t i = 0; i < calls.size();) {
      const KernelCall& call = calls[i];
      if (call.kind == KernelCall::Kind::kAttention) {
        hls::AttentionArgs a;
        a.n_queries = call.n_queries;
        a.first_position = call.first_position;
        a.n_heads = c.n_heads;
        a.n_kv_heads = c.n_kv_heads;
        a.head_size = c.head_size();
        driver.attention(a, caches[static_cast<std::size_t>(call.layer)]);
        ++i;
        continue;
      }
      std::vector<sim::PlatformDriver::GemmCall> batch;
      for (; i < calls.size() && calls[i].kind == KernelCall::Kind::kGemm &&
             calls[i].batch == call.batch;
           ++i) {
        hls::GemmArgs g;
        g.m = calls[i].m;
        g.n = calls[i].n;
        g.k = calls[i].k;
        batch.push_back({g, &weights[static_cast<std::size_t>(calls[i].matrix)]});
      }
      driver.gemms(batch);
    }
    progress.step();
  }
  return measured_result(shape, platform.config(), o, platform.now_seconds() - begin,
                         nlohmann::ordered_json::parse(sim::to_json(platform.counters())),
                         measured);
}

namespace {

// The accelerator's simulated seconds in its statistics (null, untimed, as 0).
double simulated_seconds(const nlohmann::ordered_json& statistics) {
  const auto& seconds = statistics.at("simulated_seconds");
  return seconds.is_number() ? seconds.get<double>() : 0.0;
}

// The accelerator's statistics (runtime::Device::statistics_json()) at this point.
nlohmann::ordered_json statistics(const runtime::Device& device) {
  return nlohmann::ordered_json::parse(device.statistics_json());
}

}  // namespace

ModelBenchResult bench_checkpoint(const std::string& device_name,
                                  const models::Checkpoint& checkpoint,
                                  const ModelBenchOptions& o) {
  const ModelShape shape = models::model_shape("model file", checkpoint.config());
  check_positions(shape, o);
  if (o.prefill) {
    throw std::invalid_argument(
        "prefill of a model file: the int8 model decodes one token at a "
        "time; use --model-shape for prefill blocks");
  }
  runtime::DeviceOptions device_options;
  device_options.progress = o.progress;
  const std::unique_ptr<runtime::Device> device =
      runtime::open_device(device_name, checkpoint, o.context + o.tokens, device_options);
  int token = 1;  // BOS, then greedy
  auto step = [&](int pos) {
    const Eigen::VectorXf& logits = device->forward(token, pos);
    Eigen::Index best = 0;
    logits.maxCoeff(&best);
    token = static_cast<int>(best);
  };
  runtime::PhaseSteps fill(o.progress, "context fill", o.context);
  for (int pos = 0; pos < o.context; ++pos) {
    step(pos);
    fill.step();
  }
  const nlohmann::ordered_json before = statistics(*device);
  const auto measured = Clock::now();
  std::vector<int> generated;
  runtime::PhaseSteps decode(o.progress, "decode", o.tokens);
  for (int i = 0; i < o.tokens; ++i) {
    step(o.context + i);
    generated.push_back(token);
    decode.step();
  }
  const nlohmann::ordered_json after = statistics(*device);
  ModelBenchResult result =
      measured_result(shape, hls::load_preset(runtime::parse_accelerator_name(device_name).preset),
                      o, simulated_seconds(after) - simulated_seconds(before),
                      runtime::counters_difference(after.at("accelerator_counters"),
                                                   before.at("accelerator_counters")),
                      measured);
  result.generated = std::move(generated);
  return result;
}

}  // namespace tessera::bench
