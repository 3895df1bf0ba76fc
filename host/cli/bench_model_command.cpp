// tessera bench decode|prefill: a whole model on the simulated accelerator.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/model_bench.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/model_shapes.hpp"
#include "tessera/models/synthetic_model.hpp"
#include "tessera/sim/platform.hpp"
#include "tessera/sim/rtl_accelerator.hpp"

namespace tessera::cli {
namespace {

struct ModelBenchCliOptions {
  std::string preset = "kv260";
  std::string model_shape;
  std::string model;
  std::optional<std::filesystem::path> model_dir;
  std::string fidelity = "tlm";
  int tokens = 0;  // 0: the mode's default
  int context = 0;
  int generate = 0;  // decode: a whole generation of this many tokens from an empty cache
  std::string fst;
  std::string fst_window;
  std::string compare_to;  // a second fidelity to run the same steps on
  int repeat = 1;          // runs per fidelity; wall times are their median
  bool json = false;
  bool quiet = false;
};

// The same steps at a second fidelity, in the same process: how much faster one
// simulates than the other, and whether they agree.
struct Comparison {
  std::string fidelity;
  double wall_seconds_per_token = 0;
  double wall_ratio = 0;  // median over the runs of --fidelity's wall time / this one's
  bool same_tokens = false;
  double simulated_time_ratio = 0;  // --fidelity's simulated time / this one's
  bool both_timed = false;          // neither fidelity is func: the simulated times must agree
  // Both timed and within the tolerance of each other.
  bool time_agrees() const {
    return both_timed && std::abs(simulated_time_ratio - 1.0) <= kSimulatedTimeTolerance;
  }
  // How far tlm's simulated time may be from rtl's: tlm models the RTL's timing
  // (cycle models, a DMA at the top's port) but not its every cycle.
  static constexpr double kSimulatedTimeTolerance = 0.05;
};

void print_comparison(const Comparison& c, const ModelBenchCliOptions& o) {
  std::printf(
      "compared with %s: %.4f s/token wall; %s/%s wall-time ratio %.1f; generated tokens %s",
      c.fidelity.c_str(), c.wall_seconds_per_token, o.fidelity.c_str(), c.fidelity.c_str(),
      c.wall_ratio, c.same_tokens ? "identical" : "DIFFER");
  if (!c.both_timed) {
    std::printf(", simulated time not compared (func has none)\n");
    return;
  }
  std::printf(", simulated time ratio %.4f (%s: within %.0f %% or not)\n", c.simulated_time_ratio,
              c.time_agrees() ? "agrees" : "DISAGREES", 100 * Comparison::kSimulatedTimeTolerance);
}

void print_text(const bench::ModelBenchResult& r, const hls::HardwareConfig& config,
                const std::string& mode, const ModelBenchCliOptions& o) {
  const double per_token = r.seconds() / r.tokens;
  std::printf("%s %s on %s (%s): %d tokens after %d in the KV cache\n", mode.c_str(),
              r.shape.name.c_str(), config.name.c_str(), o.fidelity.c_str(), r.tokens, o.context);
  if (o.generate > 0) {
    std::printf("average over a whole %d-token generation from an empty cache:\n", o.generate);
  }
  if (!r.timed()) {
    std::printf("untimed: the func fidelity keeps no simulated time\n");
    std::printf("wall: %.3f s (%.4f s/token)\n", r.wall_seconds, r.wall_seconds / r.tokens);
    return;
  }
  std::printf("simulated: %.3f ms/token, %.1f tokens/s\n", per_token * 1e3, r.tokens_per_s());
  const runtime::TimeBreakdown& b = r.breakdown;
  std::printf(
      "per token: device compute %.3f ms, memory stall %.3f ms, host link %.3f ms, host glue "
      "%.3f ms, driver %.3f ms\n",
      b.device_compute * 1e3, b.memory_stall * 1e3, b.host_link * 1e3, b.host_glue * 1e3,
      b.driver * 1e3);
  std::printf(
      "bw_utilization %.3f of peak %.1f GB/s, %.3f of achievable %.1f GB/s (%.1f MB needed per "
      "token), mac_utilization %.4f\n",
      r.bw_utilization(config), config.memory.bandwidth_gbps, r.achievable_bw_utilization(),
      r.achievable_gbps(), static_cast<double>(r.bytes_needed) / r.tokens / 1e6,
      r.mac_utilization(config));
  const auto& memory = r.counters.at("memory");
  const auto& link = r.counters.at("host_link");
  std::printf(
      "memory moved %.1f MB at %.1f GB/s achieved; host link %.2f MB in, %.2f MB out\n",
      (memory.at("bytes_read").get<double>() + memory.at("bytes_written").get<double>()) / 1e6,
      memory.at("bandwidth_gbps").get<double>(), link.at("bytes_to_device").get<double>() / 1e6,
      link.at("bytes_from_device").get<double>() / 1e6);
  if (const auto energy = r.energy(config)) {
    std::printf("energy: %.3f mJ/token, %.2f W average (%.0f %% of it static)\n",
                energy->joules() / r.tokens * 1e3, energy->joules() / r.seconds(),
                100.0 * energy->static_joules / energy->joules());
  }
  std::printf("wall: %.3f s (%.4f s/token)\n", r.wall_seconds, r.wall_seconds / r.tokens);
}

// At rtl, the Verilated modules that ran (`parameters`: each with its parameter
// values); null at the other fidelities.
nlohmann::ordered_json rtl_designs_json(const std::string& fidelity,
                                        const hls::HardwareConfig& config, bool parameters) {
  if (fidelity != "rtl") return nullptr;
  nlohmann::ordered_json out =
      parameters ? nlohmann::ordered_json::object() : nlohmann::ordered_json::array();
  for (const sim::RtlDesign& design : sim::rtl_fidelity_designs(config)) {
    if (!parameters) {
      out.push_back(design.module);
      continue;
    }
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const auto& [name, value] : design.parameters) values[name] = value;
    out[design.module] = values;
  }
  return out;
}

void print_json(const bench::ModelBenchResult& r, const hls::HardwareConfig& config,
                const std::string& mode, const ModelBenchCliOptions& o,
                const Comparison* comparison) {
  nlohmann::ordered_json json = {
      {"mode", mode},
      {"preset", config.name},
      {"model_shape", r.shape.name},
      {"fidelity", o.fidelity},
      {"tokens", r.tokens},
      {"context", o.context},
      {"generate", o.generate},
      {"tokens_per_s", r.tokens_per_s()},
      {"simulated_seconds", r.seconds()},
      {"accelerator_seconds", r.simulated_seconds},
      {"seconds_per_token", r.seconds() / r.tokens},
      {"breakdown_seconds_per_token", r.breakdown.to_json()},
      {"bytes_needed_per_token", r.bytes_needed / static_cast<std::uint64_t>(r.tokens)},
      {"bw_utilization", r.bw_utilization(config)},
      {"achievable_gbps", r.achievable_gbps()},
      {"achievable_bw_utilization", r.achievable_bw_utilization()},
      {"mac_utilization", r.mac_utilization(config)},
      {"wall_seconds", r.wall_seconds},
      {"wall_seconds_per_token", r.wall_seconds / r.tokens},
      {"rtl_design", rtl_designs_json(o.fidelity, config, false)},
      {"rtl_parameters", rtl_designs_json(o.fidelity, config, true)},
      {"energy", nullptr},
      {"platform", r.counters}};
  if (const auto energy = r.energy(config)) json["energy"] = energy->to_json(r.tokens, r.seconds());
  if (!r.timed()) {  // no simulated time: its figures are unknown, not zero
    for (const char* key : {"tokens_per_s", "simulated_seconds", "accelerator_seconds",
                            "seconds_per_token", "breakdown_seconds_per_token", "bw_utilization",
                            "achievable_bw_utilization", "mac_utilization"}) {
      json[key] = nullptr;
    }
  }
  if (comparison != nullptr) {
    json["comparison"] = {
        {"fidelity", comparison->fidelity},
        {"wall_seconds_per_token", comparison->wall_seconds_per_token},
        {"wall_ratio", comparison->wall_ratio},
        {"same_tokens", comparison->same_tokens},
        {"simulated_time_ratio", comparison->both_timed
                                     ? nlohmann::ordered_json(comparison->simulated_time_ratio)
                                     : nlohmann::ordered_json(nullptr)},
        {"simulated_time_agrees", comparison->time_agrees()}};
  }
  std::printf("%s\n", json.dump(2).c_str());
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Runs of one fidelity: the first run's result (simulated time from a cold device)
// with the median wall time. Every run must generate the same tokens (the platform is
// deterministic); later runs on the same OpenCL device may take slightly different
// simulated time, because device memory keeps its open rows and refresh schedule.
class RepeatedRuns {
 public:
  void add(bench::ModelBenchResult run) {
    walls_.push_back(run.wall_seconds);
    if (walls_.size() == 1) {
      first_ = std::move(run);
    } else if (run.generated != first_.generated) {
      throw std::runtime_error("bench: run " + std::to_string(walls_.size()) +
                               " generated other tokens than the first (nondeterminism)");
    }
  }
  double last_wall() const { return walls_.back(); }
  bench::ModelBenchResult result() const {
    bench::ModelBenchResult r = first_;
    r.wall_seconds = median(walls_);
    return r;
  }

 private:
  bench::ModelBenchResult first_;
  std::vector<double> walls_;
};

// A real model runs on the ICD's device, as `tessera run --device accel:...` does.
bench::ModelBenchResult bench_once(const std::string& preset, const std::string& fidelity,
                                   const models::Checkpoint& checkpoint,
                                   const bench::ModelBenchOptions& options) {
  return bench::bench_checkpoint("accel:" + preset + ":" + fidelity, checkpoint, options);
}

// A shape run with data: its synthetic checkpoint (seed 0), written once into the
// synthetic model directory and reused (the same shape and seed give the same bytes).
std::filesystem::path synthesized_checkpoint(const models::ModelShape& shape, bool quiet) {
  namespace fs = std::filesystem;
  const fs::path dir = models::synthetic_model_directory();
  const fs::path file = dir / (shape.name + ".bin");
  const models::SyntheticCheckpointOptions options;
  std::error_code error;
  if (fs::is_regular_file(file, error) &&
      fs::file_size(file, error) ==
          models::checkpoint_bytes(shape.config, options.format, options.group_size, file)) {
    return file;
  }
  fs::create_directories(dir, error);
  if (error) throw models::InputError(dir, "cannot create the folder: " + error.message());
  const fs::path partial = file.string() + ".partial-" + std::to_string(getpid());
  write_synthetic_checkpoint(shape.config, partial, options, quiet);
  fs::rename(partial, file, error);
  if (error) throw models::InputError(file, "cannot write: " + error.message());
  return file;
}

// The ICD's devices (a preset or a configuration file) run rtl where a Verilated
// accelerator top of the config's sizes exists.
void check_model_device(const std::string& preset, const hls::HardwareConfig& config,
                        sim::Fidelity fidelity) {
  if (fidelity != sim::Fidelity::kRtl) return;
  const std::string why = sim::rtl_unavailable_reason(config);
  if (why.empty()) return;
  throw std::invalid_argument(preset + " at rtl: " + why + "; use --fidelity tlm or func");
}

// The ICD closes its devices' waveforms when the process exits: they exist by now.
void announce_waveforms(const std::string& fst, int gemm_units) {
  for (const std::string& file : sim::waveform_files(fst, gemm_units)) {
    std::fprintf(stderr, std::filesystem::exists(file) ? "wrote %s\n" : "no waveform in %s\n",
                 file.c_str());
  }
}

int run_model_bench(const ModelBenchCliOptions& o, bool prefill) {
  const hls::HardwareConfig config = hls::load_preset(o.preset);
  const sim::Fidelity fidelity = sim::parse_fidelity(o.fidelity);
  const std::string mode = prefill ? "prefill" : "decode";
  bench::ModelBenchOptions options;
  options.tokens = o.generate > 0 ? o.generate : o.tokens > 0 ? o.tokens : prefill ? 128 : 4;
  options.context = o.context;
  options.prefill = prefill;
  if (!o.quiet) options.progress = progress_by_phase();
  if (!o.fst.empty() && fidelity != sim::Fidelity::kRtl && o.compare_to != "rtl") {
    throw CLI::ValidationError("--fst",
                               "writes the Verilated top's waveform: only at the rtl "
                               "fidelity");
  }
  sim::PlatformOptions platform_options{fidelity, true, o.fst,
                                        fst_window_option(o.fst, o.fst_window)};
  bench::ModelBenchResult result;
  std::unique_ptr<Comparison> comparison;
  // A shape at tlm alone is timed without weights; at other fidelities, or compared
  // with one, it runs its synthetic checkpoint.
  const bool timing_only =
      !o.model_shape.empty() && fidelity == sim::Fidelity::kTlm && o.compare_to.empty();
  if (timing_only) {
    if (o.repeat > 1) {
      throw CLI::ValidationError("--repeat",
                                 "a shape timed without weights is simulated once (its figures "
                                 "are deterministic); --repeat applies to runs with weights");
    }
    const models::ModelShape shape = models::model_shape(o.model_shape);
    platform_options.compute = false;
    sim::Platform platform(config, platform_options);
    result = bench::bench_shape(platform, shape, options);
  } else {
    if (prefill) {
      throw CLI::ValidationError("--fidelity",
                                 "prefill runs a shape's timing without weights: use --fidelity "
                                 "tlm (decode runs weights at " +
                                     o.fidelity + ")");
    }
    check_model_device(o.preset, config, fidelity);
    if (!o.compare_to.empty()) {
      check_model_device(o.preset, config, sim::parse_fidelity(o.compare_to));
    }
    // The ICD's rtl devices write the GEMM units' tops' waveforms where this says.
    if (!o.fst.empty()) setenv("TESSERA_ICD_FST", o.fst.c_str(), 1);
    if (!o.fst_window.empty()) setenv("TESSERA_ICD_FST_WINDOW", o.fst_window.c_str(), 1);
    const models::Checkpoint checkpoint = models::Checkpoint::load(
        o.model_shape.empty()
            ? models::resolve_model_file(o.model, models::find_model_directory(o.model_dir))
            : synthesized_checkpoint(models::model_shape(o.model_shape), o.quiet));
    // With a comparison the fidelities alternate, and the ratio is the median of the
    // pairs' ratios: on a shared machine a slow spell then spoils one pair, not the
    // figure.
    std::optional<sim::Fidelity> other_fidelity;
    if (!o.compare_to.empty()) other_fidelity = sim::parse_fidelity(o.compare_to);
    RepeatedRuns runs, other_runs;
    std::vector<double> ratios;
    for (int r = 0; r < o.repeat; ++r) {
      runs.add(bench_once(o.preset, o.fidelity, checkpoint, options));
      if (!other_fidelity) continue;
      if (!o.quiet) std::fprintf(stderr, "the same steps at %s\n", o.compare_to.c_str());
      other_runs.add(bench_once(o.preset, o.compare_to, checkpoint, options));
      ratios.push_back(runs.last_wall() / other_runs.last_wall());
    }
    result = runs.result();
    result.shape.name = o.model_shape.empty() ? o.model : o.model_shape + " (synthetic)";
    if (other_fidelity) {
      const bench::ModelBenchResult other = other_runs.result();
      comparison = std::make_unique<Comparison>();
      comparison->fidelity = o.compare_to;
      comparison->wall_seconds_per_token = other.wall_seconds / other.tokens;
      comparison->wall_ratio = median(ratios);
      comparison->same_tokens = other.generated == result.generated;
      comparison->simulated_time_ratio = result.simulated_seconds / other.simulated_seconds;
      // tlm and rtl must agree within the tolerance; func has no time to agree on.
      comparison->both_timed =
          fidelity != sim::Fidelity::kFunc && *other_fidelity != sim::Fidelity::kFunc;
    }
  }
  if (o.json) {
    print_json(result, config, mode, o, comparison.get());
  } else {
    print_text(result, config, mode, o);
    if (comparison) print_comparison(*comparison, o);
  }
  announce_waveforms(o.fst, config.gemm.count);
  const bool disagree = comparison && (!comparison->same_tokens ||
                                       (comparison->both_timed && !comparison->time_agrees()));
  return disagree ? 1 : 0;
}

CLI::App* add_model_bench(CLI::App& bench, const std::string& name, const std::string& help,
                          ModelBenchCliOptions& o) {
  CLI::App* command = bench.add_subcommand(name, help);
  command->add_option("--preset", o.preset, "hardware preset or config file")
      ->capture_default_str();
  CLI::Option* shape =
      command
          ->add_option(
              "--model-shape", o.model_shape,
              "a known model's shape (tessera synth-model --help lists them): timed without "
              "weights at tlm, run on its synthetic checkpoint at func and rtl")
          ->check(CLI::IsMember(models::model_shape_names()));
  // A real model runs through the runtime, which decodes one token at a time: decode
  // only, as the options that compare fidelities on it.
  const bool decode = name == "decode";
  if (decode) {
    command
        ->add_option("--model", o.model,
                     "a llama2.c checkpoint (a path, or a file name in the model directory): "
                     "real weights, any fidelity")
        ->excludes(shape);
    command->add_option("--model-dir", o.model_dir,
                        "folder holding model files; default: $TESSERA_MODEL_DIR, else "
                        "../shared/models beside the checkout, else the download cache");
  }
  command->add_option("--fidelity", o.fidelity, "func, tlm or rtl")
      ->capture_default_str()
      ->check(CLI::IsMember({"func", "tlm", "rtl"}));
  command
      ->add_option("--tokens", o.tokens,
                   name == "decode" ? "decode steps to measure (default 4)"
                                    : "prompt tokens in the block (default 128)")
      ->check(CLI::Range(1, 1 << 16));
  CLI::Option* tokens_option = command->get_option("--tokens");
  CLI::Option* context =
      command->add_option("--context", o.context, "positions already in the KV cache")
          ->capture_default_str()
          ->check(CLI::Range(0, 1 << 20));
  if (name == "decode") {
    command
        ->add_option("--generate", o.generate,
                     "the average over a whole N-token generation from an empty cache (the "
                     "tokens/s a user sees), instead of --tokens steps after --context")
        ->check(CLI::Range(1, 1 << 16))
        ->excludes(tokens_option)
        ->excludes(context);
  }
  if (!decode) {
    command->add_flag("--json", o.json, "print one JSON object (with the platform's counters)");
    command->add_flag("--quiet", o.quiet, "no progress on stderr");
    return command;
  }
  command->add_option("--fst", o.fst, "rtl: write the GEMM unit's top's waveform to this FST file")
      ->check(writable_file());
  command
      ->add_option("--fst-window", o.fst_window,
                   "keep only clock cycles START:STOP of the simulated run in the waveform "
                   "(either end may be left out)")
      ->check(waveform_window());
  command
      ->add_option("--compare-to", o.compare_to,
                   "run the same steps (with weights) at this fidelity too and report the "
                   "wall-time ratio, whether the tokens agree and the ratio of simulated times "
                   "(exit 1 if the tokens differ, or tlm's and rtl's simulated times by more "
                   "than 5 %)")
      ->check(CLI::IsMember({"func", "tlm", "rtl"}));
  command
      ->add_option("--repeat", o.repeat,
                   "runs with weights per fidelity, alternating with --compare-to's; wall "
                   "times and the ratio are medians (the simulated results must agree)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_flag("--json", o.json, "print one JSON object (with the platform's counters)");
  command->add_flag("--quiet", o.quiet, "no progress on stderr");
  return command;
}

}  // namespace

ModelBenchCommands add_model_bench_commands(CLI::App& bench) {
  auto options = std::make_shared<ModelBenchCliOptions>();
  ModelBenchCommands commands;
  commands.decode = add_model_bench(
      bench, "decode",
      "Decode steps of a model on the simulated accelerator: simulated tokens/s, bandwidth and "
      "MAC utilization, wall time",
      *options);
  commands.prefill = add_model_bench(
      bench, "prefill", "A prompt block of a model on the simulated accelerator", *options);
  commands.run = [options, commands] {
    if (options->model_shape.empty() && options->model.empty()) {
      throw CLI::RequiredError(commands.prefill->parsed() ? "--model-shape"
                                                          : "--model-shape or --model");
    }
    return run_model_bench(*options, commands.prefill->parsed());
  };
  return commands;
}

}  // namespace tessera::cli
