#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "runtime/device.hpp"
#include "runtime/generation.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/sampler.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

// Flags and defaults are llama2.c's run: same letters, same meanings.
struct RunOptions {
  std::string model = models::kDefaultModelFile;
  std::optional<std::string> tokenizer;
  float temperature = 1.0f;
  float top_p = 0.9f;
  std::int64_t seed = 0;
  int steps = 256;
  std::string prompt;
  std::string device = "reference";
  runtime::DeviceOptions device_options;
  std::optional<fs::path> model_dir;
  std::string cpu_kernels_file;
  std::string stats_json;  // --stats-json FILE
  bool quiet = false;
};

CLI::Validator finite_at_least_zero() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const float value = std::strtof(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !std::isfinite(value) || value < 0.0f) {
          return "must be a finite number >= 0, got '" + text + "'";
        }
        return {};
      },
      ">= 0", "finite, >= 0");
}

CLI::Validator unit_interval() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const float value = std::strtof(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(value >= 0.0f && value <= 1.0f)) {
          return "must be a number in [0, 1], got '" + text + "'";
        }
        return {};
      },
      "[0, 1]", "in [0, 1]");
}

std::uint64_t seed_or_clock(std::int64_t seed) {
  // llama2.c turns the seed into an unsigned 64-bit state and falls back to the
  // clock for 0 (xorshift would stay at 0 forever).
  if (seed != 0) return static_cast<std::uint64_t>(seed);
  return static_cast<std::uint64_t>(static_cast<unsigned int>(std::time(nullptr)));
}

void report(const runtime::GenerationResult& result) {
  if (result.positions > 1) {
    std::fprintf(stderr, "achieved tok/s: %f\n", result.tokens_per_second);
  }
  if (result.positions >= 1) {
    std::fprintf(stderr, "time to first token: %.3f ms\n", result.seconds_to_first_token * 1e3);
  }
}

int run(const RunOptions& options) {
  const models::ModelDirectory dir = models::find_model_directory(options.model_dir);
  const fs::path model_path = models::resolve_model_file(options.model, dir);
  const models::Checkpoint checkpoint = models::Checkpoint::load(model_path);
  const models::ModelConfig& config = checkpoint.config();
  std::optional<fs::path> tokenizer_path;
  if (options.tokenizer) tokenizer_path = models::resolve_model_file(*options.tokenizer, dir);
  const models::Tokenizer tokenizer = models::tokenizer_for(checkpoint, tokenizer_path);

  runtime::GenerationRequest request;
  request.prompt = options.prompt;
  // llama2.c: 0 or more than the model's context means "the whole context".
  request.steps =
      options.steps == 0 || options.steps > config.seq_len ? config.seq_len : options.steps;
  models::SamplerSettings sampling;
  sampling.temperature = options.temperature;
  sampling.top_p = options.top_p;
  sampling.seed = seed_or_clock(options.seed);
  models::Sampler sampler(config.vocab_size, sampling);
  runtime::DeviceOptions d = options.device_options;
  d.statistics = !options.stats_json.empty();
  if (!options.quiet) d.progress = progress_by_phase();
  if (!options.cpu_kernels_file.empty()) {
    std::ifstream file(options.cpu_kernels_file);
    d.cpu_kernels.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  // Flag combinations are usage errors (exit 2), found before the device opens.
  const std::string problem = runtime::check_device_options(options.device, d, config.n_layers);
  if (!problem.empty()) throw CLI::ValidationError(problem);  // it names its flags
  std::unique_ptr<runtime::Device> device =
      runtime::open_device(options.device, checkpoint, request.steps, d);

  // A seed drawn from the clock is printed, so that the run can be repeated; greedy
  // decoding (-t 0) draws nothing.
  if (options.seed == 0 && options.temperature > 0.0f) {
    std::fprintf(stderr, "seed %llu (from the clock; -s %llu repeats this run)\n",
                 static_cast<unsigned long long>(sampling.seed),
                 static_cast<unsigned long long>(sampling.seed));
  }
  report(runtime::generate(*device, tokenizer, sampler, request, std::cout));
  std::cerr << device->report();
  if (!options.stats_json.empty()) {
    // The run's settings with the device's statistics, the seed actually used among
    // them, so that the run can be repeated.
    auto stats = nlohmann::ordered_json::parse(device->statistics_json());
    stats["seed"] = sampling.seed;
    stats["temperature"] = sampling.temperature;
    stats["top_p"] = sampling.top_p;
    std::ofstream file(options.stats_json);
    file << stats.dump(2) << "\n";
    if (!file.flush()) {
      std::cerr << "tessera: error: cannot write " << options.stats_json << "\n";
      return 1;
    }
    std::cerr << "wrote " << options.stats_json << "\n";
  }
  const bool checks_passed = device->checks_passed();
  device.reset();  // writes the trace
  if (!d.trace_path.empty()) std::cerr << "wrote " << d.trace_path << "\n";
  if (!checks_passed) {
    std::cerr << "tessera: error: --check found outputs that differ from the int8 reference\n";
    return 1;
  }
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Generate text from a llama2.c or GGUF model, as llama2.c's `run` does: text on "
      "stdout, statistics on stderr");
  cmd->add_option("MODEL", options->model,
                  "llama2.c checkpoint (.bin) or GGUF file (.gguf): a path, or a file name in "
                  "the model directory")
      ->capture_default_str();
  cmd->add_option("-z,--tokenizer", options->tokenizer,
                  "llama2.c tokenizer; default: the one a GGUF file carries, else tokenizer.bin, "
                  "else tok<vocab>.bin beside the model");
  cmd->add_option("-t,--temperature", options->temperature,
                  "sampling temperature; 0 = greedy argmax")
      ->capture_default_str()
      ->check(finite_at_least_zero());
  cmd->add_option("-p,--top-p", options->top_p,
                  "nucleus sampling mass in [0, 1]; 0 or 1 samples the full distribution")
      ->capture_default_str()
      ->check(unit_interval());
  cmd->add_option("-s,--seed", options->seed, "random seed; 0 = seed from the clock")
      ->capture_default_str();
  cmd->add_option("-n,--steps", options->steps,
                  "positions to run, prompt included; 0 = the model's whole context")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_option("-i,--prompt", options->prompt, "prompt text");
  cmd->add_option("--device", options->device, "where the model runs (see `tessera models`)")
      ->capture_default_str()
      ->check(known_device_validator());
  const CLI::Option* array = add_array_option(*cmd, &options->device_options.array);
  cmd->add_option("--place", options->device_options.place,
                  "where the blocks run with --device accel: accel, cpu, auto (memory capacity "
                  "and a cost model), or a list such as 0-2:accel,3-:cpu,head:cpu");
  cmd->add_flag("--check", options->device_options.check,
                "compare every op with the int8 reference (bit for bit; exit 1 on a mismatch) "
                "and every block with the fp32 reference (the error is reported)");
  cmd->add_flag("--stats", options->device_options.stats,
                "per block: placement, device time, host-link bytes, kernels, MAC utilization");
  cmd->add_option("--stats-json", options->stats_json,
                  "write the run's statistics as one JSON object here (simulated time, host-link "
                  "and device-memory bytes per token, per-block rows; docs/runtime.md)")
      ->check(writable_file());
  cmd->add_option("--trace", options->device_options.trace_path,
                  "write a Chrome trace-event JSON timeline (host, transfers, kernels) here")
      ->check(writable_file());
  cmd->add_option("--cpu-kernels", options->cpu_kernels_file,
                  "OpenCL C file replacing the CPU fallback's int8 kernels (same kernel names and "
                  "arguments); with --check, shows whether it is bit-exact")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model-dir", options->model_dir,
                  "folder holding model files; default: $TESSERA_MODEL_DIR, else "
                  "../shared/models beside the checkout, else the download cache");
  cmd->add_flag("--quiet", options->quiet,
                "no progress (quantizing, uploading) on stderr; a seed drawn from the clock "
                "is still printed");
  return {cmd, [options, array] {
            check_array_applies(array, options->device);
            return run(*options);
          }};
}

}  // namespace tessera::cli
