#include "runtime/partitioned_device.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "runtime/block_ops.hpp"
#include "runtime/cpu_rate.hpp"
#include "runtime/hls_kernels.hpp"
#include "runtime/int8_model.hpp"
#include "runtime/opencl_kernels.hpp"
#include "runtime/recovery.hpp"
#include "runtime/time_breakdown.hpp"
#include "tessera/models/int8_reference.hpp"
#include "tessera/models/reference_model.hpp"

namespace tessera::runtime {
namespace {

using Clock = std::chrono::steady_clock;
std::size_t sz(long n) { return static_cast<std::size_t>(n); }

struct LayerStats {
  std::uint64_t device_ns = 0, kernel_ns = 0, bytes = 0, macs = 0, kernels = 0;
};

struct TraceEvent {
  std::string name, category;
  int lane;  // 0 host, 1 accelerator, 2 CPU fallback
  double start_us, duration_us;
  int layer;
  int position;         // the token position being computed
  std::string op;       // the model op the event belongs to
  std::uint64_t bytes;  // moved by a transfer (0 for kernels and host work)
};

// Routes each block's kernel calls to its device, checks them against the int8
// reference, and keeps statistics and a timeline.
class RoutingKernels final : public Int8Kernels {
 public:
  // `count_link_bytes`: ask the accelerator for its host-link bytes around every op
  // (for per-block statistics).
  RoutingKernels(const Placement& placement, OpenClKernels* accel, OpenClKernels* cpu, bool check,
                 bool count_link_bytes)
      : placement_(placement),
        accel_(accel),
        cpu_(cpu),
        check_(check),
        count_link_bytes_(count_link_bytes) {
    stats_.resize(placement.layers.size());
    last_host_ = Clock::now();
  }

  void preload(const models::QuantizedModel& model, const PhaseProgress& progress) override {
    PhaseSteps upload(progress, "upload", static_cast<int>(model.layers.size()) + 2);
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
      begin_layer(static_cast<int>(l));
      const models::QuantizedLayer& w = model.layers[l];
      for (const models::QuantizedMatrix* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
        device().load_weights(*m);
      }
      upload.step();
    }
    begin_layer(static_cast<int>(model.layers.size()));
    device().load_weights(model.classifier);
    upload.step();
    for (OpenClKernels* k : {accel_, cpu_}) {
      if (k == nullptr) continue;
      k->finish();  // the weights are on the device before the first token
      k->clear_commands();
    }
    upload.step();
  }

  void begin_position(int pos) { position_ = pos; }
  void begin_layer(int layer) override {
    layer_ = layer;
    op_ = 0;
  }

  void gemm(const hls::GemmArgs& args) override { gemms({args}); }
  void gemms(const std::vector<hls::GemmArgs>& calls) override {
    run([&](OpenClKernels& k) { gemms_recovering(k, calls); });
    for (const auto& g : calls) {
      current_stats().macs += sz(g.m) * sz(g.n) * sz(g.k);
      if (check_) check_gemm(g);
    }
    ++op_;
  }
  void attention(const hls::AttentionArgs& a) override {
    run([&](OpenClKernels& k) { k.attention(a); });
    for (int j = 0; j < a.n_queries; ++j) {
      current_stats().macs += 2ull * sz(a.n_heads) * sz(a.head_size) * sz(a.first_position + j + 1);
    }
    if (check_) check_attention(a);
    ++op_;
  }

  std::string op_name() const {
    if (layer_ + 1 == static_cast<int>(placement_.layers.size())) return classifier_op_name();
    const std::vector<BlockOp>& ops = block_ops();
    return op_ < static_cast<int>(ops.size()) ? ops[sz(op_)].name : "?";
  }

  const std::vector<LayerStats>& stats() const { return stats_; }
  const std::vector<TraceEvent>& trace() const { return trace_; }
  std::uint64_t checked() const { return checked_; }
  std::uint64_t mismatches() const { return mismatches_; }
  const std::string& first_mismatch() const { return first_mismatch_; }

  const Recovery& recovery() const { return recovery_; }

 private:
  Backend backend() const { return placement_.layers[sz(layer_)]; }
  OpenClKernels& device() { return backend() == Backend::kAccelerator ? *accel_ : *cpu_; }
  LayerStats& current_stats() { return stats_[sz(layer_)]; }

  void gemms_recovering(OpenClKernels& k, const std::vector<hls::GemmArgs>& calls) {
    if (backend() != Backend::kAccelerator) {
      k.gemms(calls);
      return;
    }
    Int8Kernels& cpu = cpu_ != nullptr ? static_cast<Int8Kernels&>(*cpu_) : host_fallback_;
    runtime::gemms_recovering(k, cpu, calls, recovery_);
  }

  // Runs the calls on the block's device. The host time since the last call and then
  // the op's device commands go on the timeline: commands at their profiled times
  // relative to the op's first (they overlap where the device ran them together), the
  // op taking from its first command's queueing to its last one's end.
  template <typename Call>
  void run(Call&& call) {
    const auto now = Clock::now();
    const double host_us = std::chrono::duration<double, std::micro>(now - last_host_).count();
    trace_.push_back({"host", "host", 0, cursor_us_, host_us, layer_, position_, op_name(), 0});
    cursor_us_ += host_us;
    OpenClKernels& k = device();
    const bool accel = backend() == Backend::kAccelerator;
    std::uint64_t link_before = 0;
    if (accel && count_link_bytes_) link_before = k.device_counters()->host_link_bytes;
    k.clear_commands();
    call(k);
    LayerStats& s = current_stats();
    std::uint64_t first = UINT64_MAX, last = 0, kernel_first = UINT64_MAX, kernel_last = 0;
    for (const OpenClKernels::Command& c : k.commands()) {
      first = std::min(first, c.queued_ns);
      last = std::max(last, c.end_ns);
      if (c.kind != "write" && c.kind != "read") {
        kernel_first = std::min(kernel_first, c.start_ns);
        kernel_last = std::max(kernel_last, c.end_ns);
        ++s.kernels;
      }
      if (!accel) s.bytes += c.bytes;
    }
    for (const OpenClKernels::Command& c : k.commands()) {
      const bool transfer = c.kind == "write" || c.kind == "read";
      trace_.push_back({transfer ? c.kind : op_name(), c.kind, accel ? 1 : 2,
                        cursor_us_ + static_cast<double>(c.start_ns - first) / 1e3,
                        static_cast<double>(c.end_ns - c.start_ns) / 1e3, layer_, position_,
                        op_name(), transfer ? c.bytes : 0});
    }
    if (last > first) {
      s.device_ns += last - first;
      cursor_us_ += static_cast<double>(last - first) / 1e3;
    }
    if (kernel_last > kernel_first) s.kernel_ns += kernel_last - kernel_first;
    if (accel && count_link_bytes_) s.bytes += k.device_counters()->host_link_bytes - link_before;
    last_host_ = Clock::now();
  }

  void mismatch(const std::string& what) {
    ++mismatches_;
    if (first_mismatch_.empty()) {
      first_mismatch_ = (layer_ + 1 == static_cast<int>(placement_.layers.size())
                             ? std::string("classifier")
                             : "layer " + std::to_string(layer_)) +
                        ", op " + op_name() + ", position " + std::to_string(position_) + ": " +
                        what;
    }
  }

  // The device's output against the nested-loop int8 reference, through the same
  // epilogue: they must agree bit for bit.
  void check_gemm(const hls::GemmArgs& g) {
    const std::vector<std::int8_t> a(g.a, g.a + sz(g.m) * sz(g.k)), w(g.w, g.w + sz(g.n) * sz(g.k));
    const std::vector<std::int32_t> sums = models::int8_reference::gemm(a, w, g.m, g.n, g.k);
    std::vector<float> expected(sums.size());
    hls::GemmArgs ref = g;
    ref.epilogue = hls::Epilogue::kDequantize;
    ref.c_fp32 = expected.data();
    for (int r = 0; r < g.m; ++r) {
      for (int c = 0; c < g.n; ++c) hls::store_result(ref, r, c, sums[sz(r) * sz(g.n) + sz(c)]);
    }
    ++checked_;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (std::memcmp(&expected[i], &g.c_fp32[i], sizeof(float)) != 0) {
        mismatch("output " + std::to_string(i) + " is " + std::to_string(g.c_fp32[i]) +
                 ", the int8 reference gives " + std::to_string(expected[i]));
        return;
      }
    }
  }

  void check_attention(const hls::AttentionArgs& g) {
    models::int8_reference::AttentionInput in;
    const std::size_t rows = sz(g.n_queries) * sz(g.n_heads);
    const std::size_t positions = sz(g.first_position + g.n_queries);
    const std::size_t kv = positions * sz(g.n_kv_heads);
    in.q.assign(g.q, g.q + rows * sz(g.head_size));
    in.q_scale.assign(g.q_scale, g.q_scale + rows);
    in.k.assign(g.k, g.k + kv * sz(g.head_size));
    in.k_scale.assign(g.k_scale, g.k_scale + kv);
    in.v.assign(g.v, g.v + kv * sz(g.head_size));
    in.v_scale.assign(g.v_scale, g.v_scale + kv);
    in.n_queries = g.n_queries;
    in.first_position = g.first_position;
    in.n_heads = g.n_heads;
    in.n_kv_heads = g.n_kv_heads;
    in.head_size = g.head_size;
    const auto expected = models::int8_reference::attention(in);
    ++checked_;
    for (std::size_t i = 0; i < expected.acc.size(); ++i) {
      if (expected.acc[i] != g.out[i]) {
        mismatch("accumulator " + std::to_string(i) + " is " + std::to_string(g.out[i]) +
                 ", the int8 reference gives " + std::to_string(expected.acc[i]));
        return;
      }
    }
    for (std::size_t h = 0; h < rows; ++h) {
      const auto& e = expected.norms[h];
      const auto& n = g.norm[h];
      if (e.max_weight != n.max_weight || e.exp_sum != n.exp_sum || e.exponent != n.exponent) {
        mismatch("the softmax normalisation of head " + std::to_string(h) + " differs");
        return;
      }
    }
  }

  Placement placement_;
  OpenClKernels* accel_;
  OpenClKernels* cpu_;
  bool check_, count_link_bytes_;
  int layer_ = 0, op_ = 0, position_ = 0;
  std::vector<LayerStats> stats_;
  std::vector<TraceEvent> trace_;
  double cursor_us_ = 0;
  Clock::time_point last_host_;
  std::uint64_t checked_ = 0, mismatches_ = 0;
  Recovery recovery_;
  // The CPU for recovery when no block runs on the PoCL fallback: the fast int8 kernel.
  HlsKernels host_fallback_{std::nullopt};
  std::string first_mismatch_;
};

class PartitionedDevice final : public Device {
 public:
  PartitionedDevice(const models::Checkpoint& checkpoint, int max_positions,
                    const PartitionOptions& options, Placement placement,
                    const hls::HardwareConfig& accel_config, const std::string& accel_device)
      : options_(options),
        placement_(std::move(placement)),
        accel_config_(accel_config),
        model_config_(checkpoint.config()),
        functional_(accel_device.find("(func)") != std::string::npos) {
    if (placement_.uses(Backend::kAccelerator)) {
      accel_ = std::make_unique<OpenClKernels>("tessera", accel_device,
                                               OpenClKernels::Kernels::kBuiltIn, max_positions);
    }
    if (placement_.uses(Backend::kCpu)) {
      cpu_ = std::make_unique<OpenClKernels>("Portable Computing Language", "",
                                             OpenClKernels::Kernels::kSource, max_positions,
                                             options.cpu_kernels);
    }
    routing_ = std::make_unique<RoutingKernels>(placement_, accel_.get(), cpu_.get(), options.check,
                                                options.stats || options.statistics);
    model_ = std::make_unique<Int8Model>(checkpoint, max_positions, *routing_,
                                         options.progress);  // loads weights
    if (accel_) loaded_ = accel_->device_counters();
    model_->host_op_output = options.host_op_output;
    if (options.check) {
      reference_ = std::make_unique<models::ReferenceModel>(checkpoint, max_positions);
      fp32_error_.assign(sz(checkpoint.config().n_layers) + 1, 0.0);
      model_->layer_observer = [this](int layer, const Eigen::VectorXf& x) {
        const auto& expected = trace_.layers[sz(layer)].output;
        fp32_error_[sz(layer)] = std::max(
            fp32_error_[sz(layer)], static_cast<double>((x - expected).cwiseAbs().maxCoeff()));
      };
    }
  }

  ~PartitionedDevice() override {
    if (!options_.trace_path.empty()) write_trace();
  }

  const Eigen::VectorXf& forward(int token, int pos) override {
    if (reference_) reference_->forward(token, pos, &trace_);
    routing_->begin_position(pos);
    const Eigen::VectorXf& logits = model_->forward(token, pos);
    ++positions_;
    if (reference_) {
      fp32_error_.back() = std::max(
          fp32_error_.back(), static_cast<double>((logits - trace_.logits).cwiseAbs().maxCoeff()));
    }
    return logits;
  }

  std::string name() const override { return options_.accelerator; }

  std::string report() const override {
    std::ostringstream out;
    out << "placement: " << placement_.describe();
    if (!placement_.reason.empty()) out << " (" << placement_.reason << ")";
    out << "\n";
    if (options_.check) {
      out << "check: " << routing_->checked() << " ops against the int8 reference, "
          << routing_->mismatches() << " bit mismatches";
      if (routing_->mismatches() > 0) out << "; first: " << routing_->first_mismatch();
      out << "\ncheck: max |error| against the fp32 reference per block:";
      for (std::size_t l = 0; l + 1 < fp32_error_.size(); ++l) out << " " << fp32_error_[l];
      out << "; logits " << fp32_error_.back() << "\n";
    }
    if (options_.stats) write_stats(out);
    return out.str();
  }

  bool checks_passed() const override { return routing_->mismatches() == 0; }

  std::string statistics_json() const override {
    nlohmann::ordered_json json;
    json["device"] = options_.accelerator;
    json["placement"] = placement_.describe();
    json["tokens"] = positions_;
    double simulated = 0;
    std::uint64_t link = 0, memory_read = 0;
    nlohmann::ordered_json counters = nullptr;
    if (loaded_) {
      const OpenClKernels::DeviceCounters now = *accel_->device_counters();
      link = now.host_link_bytes - loaded_->host_link_bytes;
      memory_read = now.memory_bytes_read - loaded_->memory_bytes_read;
      counters = counters_difference(nlohmann::ordered_json::parse(now.json),
                                     nlohmann::ordered_json::parse(loaded_->json));
      // func devices keep no simulated time; their counters say 0.
      simulated = now.simulated_seconds - loaded_->simulated_seconds;
    }
    const double tokens = std::max(1, positions_);
    // A func accelerator keeps no simulated time: unknown, not zero.
    const bool timed = loaded_.has_value() && !functional_;
    json["simulated_seconds"] = timed ? nlohmann::ordered_json(simulated) : nullptr;
    json["simulated_seconds_per_token"] =
        timed ? nlohmann::ordered_json(simulated / tokens) : nullptr;
    if (counters.is_object() && !functional_)
      add_time_breakdown(json, counters, memory_read, tokens);
    json["host_link_bytes"] = link;
    json["host_link_bytes_per_token"] = static_cast<double>(link) / tokens;
    json["device_memory_bytes_read_per_token"] = static_cast<double>(memory_read) / tokens;
    nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
    for (const BlockRow& row : block_rows()) {
      blocks.push_back(
          {{"layer", row.layer},
           {"device", row.device},
           {"sim_ms", row.simulated ? nlohmann::ordered_json(row.device_ms) : nullptr},
           {"wall_ms", row.simulated ? nullptr : nlohmann::ordered_json(row.device_ms)},
           {"kernel_ms", row.kernel_ms},
           {"host_link_bytes", row.host_link_bytes},
           {"kernels", row.kernels},
           {"mac_utilization", row.mac_utilization}});
    }
    json["blocks"] = blocks;
    const Recovery& r = routing_->recovery();
    json["recovery"] = {{"checksum_errors", r.checksum_errors},
                        {"reexecuted_on_accelerator", r.on_accelerator},
                        {"reexecuted_on_cpu", r.on_cpu}};
    json["accelerator_counters"] = counters;
    return json.dump(2);
  }

 private:
  // The accelerator's simulated time per token plus the host's glue and driver time
  // (docs/runtime.md "Where a token's time goes").
  void add_time_breakdown(nlohmann::ordered_json& json, const nlohmann::ordered_json& counters,
                          std::uint64_t memory_read, double tokens) const {
    const TimeBreakdown b = decode_time_breakdown(accel_config_, counters, tokens,
                                                  host_glue_flops_per_token(model_config_));
    const double seconds = b.total();
    const double read_per_second =
        seconds > 0 ? static_cast<double>(memory_read) / tokens / seconds : 0;
    json["seconds_per_token"] = seconds;
    json["tokens_per_s"] = seconds > 0 ? 1.0 / seconds : 0.0;
    json["breakdown_seconds_per_token"] = b.to_json();
    json["bw_utilization"] = read_per_second / (accel_config_.memory.bandwidth_gbps * 1e9);
    const double achievable = counters.value("memory_achievable_gbps", 0.0);
    json["achievable_bw_utilization"] = achievable > 0 ? read_per_second / (achievable * 1e9) : 0.0;
  }

  struct BlockRow {
    std::string layer, device;
    bool simulated = false;  // device_ms and kernel_ms are simulated time, else wall-clock
    double device_ms = 0, kernel_ms = 0;
    std::uint64_t host_link_bytes = 0, kernels = 0;
    nlohmann::ordered_json mac_utilization;  // null where it does not apply
  };
  std::vector<BlockRow> block_rows() const {
    const double peak =
        static_cast<double>(accel_config_.macs_per_cycle()) * accel_config_.clock_mhz * 1e6;
    std::vector<BlockRow> rows;
    const auto& stats = routing_->stats();
    for (std::size_t l = 0; l < stats.size(); ++l) {
      const LayerStats& s = stats[l];
      const bool accel = placement_.layers[l] == Backend::kAccelerator;
      BlockRow row;
      row.layer = l + 1 == stats.size() ? "head" : std::to_string(l);
      row.device = accel ? "accel" : "cpu";
      row.simulated = accel && !functional_;
      row.device_ms = static_cast<double>(s.device_ns) / 1e6;
      row.kernel_ms = static_cast<double>(s.kernel_ns) / 1e6;
      row.host_link_bytes = s.bytes;
      row.kernels = s.kernels;
      if (accel && s.kernel_ns > 0 && !functional_) {
        row.mac_utilization = static_cast<double>(s.macs) / (peak * row.kernel_ms / 1e3);
      }
      rows.push_back(row);
    }
    return rows;
  }

  void write_stats(std::ostringstream& out) const {
    // Simulated and wall-clock milliseconds in their own columns; kernel_ms is on the
    // row's clock.
    out << "stats: layer  device     sim_ms    wall_ms  kernel_ms  host_link_kB  kernels  "
           "mac_utilization\n";
    for (const BlockRow& row : block_rows()) {
      char utilization[32] = "-";
      if (!row.mac_utilization.is_null()) {
        std::snprintf(utilization, sizeof utilization, "%.4f", row.mac_utilization.get<double>());
      }
      char sim[32] = "-", wall[32] = "-";
      std::snprintf(row.simulated ? sim : wall, sizeof sim, "%.3f", row.device_ms);
      char line[200];
      std::snprintf(line, sizeof line, "stats: %5s  %6s  %9s  %9s  %9.3f  %12.1f  %7llu  %s\n",
                    row.layer.c_str(), row.device.c_str(), sim, wall, row.kernel_ms,
                    static_cast<double>(row.host_link_bytes) / 1e3,
                    static_cast<unsigned long long>(row.kernels), utilization);
      out << line;
    }
    const Recovery& r = routing_->recovery();
    out << "stats: checksum errors " << r.checksum_errors << ", GEMMs re-executed "
        << r.on_accelerator << " on the accelerator and " << r.on_cpu << " on the CPU\n";
  }

  // Chrome trace-event JSON (opens in Perfetto): host ops, transfers and kernels.
  void write_trace() const {
    nlohmann::json events = nlohmann::json::array();
    const std::string names[] = {"host", "accelerator (" + options_.accelerator + ")",
                                 "cpu fallback (PoCL)"};
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"args", {{"name", "tessera " + options_.accelerator}}}});
    for (int lane = 0; lane < 3; ++lane) {
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", 1},
                        {"tid", lane},
                        {"args", {{"name", names[lane]}}}});
    }
    for (const TraceEvent& e : routing_->trace()) {
      events.push_back(
          {{"name", e.name},
           {"cat", e.category},
           {"ph", "X"},
           {"pid", 1},
           {"tid", e.lane},
           {"ts", e.start_us},
           {"dur", e.duration_us},
           {"args",
            {{"layer", e.layer}, {"position", e.position}, {"op", e.op}, {"bytes", e.bytes}}}});
    }
    std::ofstream file(options_.trace_path);
    file << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump() << "\n";
  }

  PartitionOptions options_;
  Placement placement_;
  hls::HardwareConfig accel_config_;
  models::ModelConfig model_config_;
  std::unique_ptr<OpenClKernels> accel_, cpu_;
  std::unique_ptr<RoutingKernels> routing_;
  std::unique_ptr<Int8Model> model_;
  std::unique_ptr<models::ReferenceModel> reference_;
  models::ForwardTrace trace_;
  std::vector<double> fp32_error_;
  std::optional<OpenClKernels::DeviceCounters> loaded_;  // the accelerator's, once loaded
  bool functional_ = false;  // a func accelerator: its times are host wall-clock
  int positions_ = 0;
};

}  // namespace

namespace {

// The OpenCL vendors folder beside the program (etc/OpenCL/vendors from its bin/), as
// in the build tree and in an installed one; the build's when that is missing.
std::string icd_vendors_folder() {
  const std::filesystem::path beside = hls::install_prefix() / "etc" / "OpenCL" / "vendors";
  std::error_code error;
  return std::filesystem::is_directory(beside, error) ? beside.string() : TESSERA_ICD_VENDORS;
}

}  // namespace

std::unique_ptr<Device> open_partitioned_device(const models::Checkpoint& checkpoint,
                                                int max_positions,
                                                const PartitionOptions& options) {
  const AcceleratorName accel = parse_accelerator_name(options.accelerator);
  const hls::HardwareConfig config = hls::load_preset(accel.preset);
  const int n_layers = checkpoint.config().n_layers;
  // The ICD loader looks in the build's vendors folder (tessera and a copy of PoCL's
  // .icd) unless the user pointed it elsewhere.
  setenv("OCL_ICD_VENDORS", icd_vendors_folder().c_str(), 0);
  // A configuration file becomes an ICD device: the ICD reads $TESSERA_DEVICES when
  // it first lists its devices (in this process, so before any other OpenCL use).
  if (hls::names_a_file(accel.preset)) {
    std::string devices = std::filesystem::absolute(accel.preset).string();
    if (const char* listed = std::getenv("TESSERA_DEVICES")) devices += std::string(":") + listed;
    setenv("TESSERA_DEVICES", devices.c_str(), 1);
  }
  Placement placement;
  if (options.place == "auto") {
    const CpuRate cpu = cpu_fallback_rate(default_cpu_rate_cache());
    placement = auto_placement(checkpoint.config(), config, max_positions, cpu);
    placement.reason += " (CPU rate " + cpu.source + ")";
  } else {
    placement = parse_placement(options.place.empty() ? "accel" : options.place, n_layers);
  }
  return std::make_unique<PartitionedDevice>(checkpoint, max_positions, options,
                                             std::move(placement), config, accel.icd_device());
}

}  // namespace tessera::runtime
