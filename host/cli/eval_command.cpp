#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "runtime/device.hpp"
#include "runtime/evaluation.hpp"
#include "tessera/models/model_paths.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

struct EvalOptions {
  std::string model = models::kDefaultModelFile;
  std::optional<std::string> tokenizer;
  runtime::EvaluationSettings settings;
  bool json = false;
  bool quiet = false;
  std::optional<fs::path> model_dir;
};

int run_eval(const EvalOptions& options) {
  const models::ModelDirectory dir = models::find_model_directory(options.model_dir);
  const models::Checkpoint checkpoint =
      models::Checkpoint::load(models::resolve_model_file(options.model, dir));
  runtime::check_settings(checkpoint.config(), options.settings);
  runtime::EvaluationSettings settings = options.settings;
  if (!options.quiet) {
    std::fprintf(stderr, "eval: %s vs reference, %d sequences of %d tokens\n",
                 settings.device.c_str(), settings.sequences, settings.length);
    settings.progress = progress_by_phase();
  }
  const runtime::EvaluationResult r = runtime::evaluate(checkpoint, settings);
  if (options.json) {
    std::printf(
        "{\"device\": \"%s\", \"positions\": %d, \"top1_agreement\": %.6f, \"kl_mean\": %.6g, "
        "\"kl_p99\": %.6g, \"ppl_reference\": %.6f, \"ppl_device\": %.6f}\n",
        options.settings.device.c_str(), r.positions, r.top1_agreement, r.kl_mean, r.kl_p99,
        r.ppl_reference, r.ppl_device);
  } else {
    std::printf("device          %s\n", options.settings.device.c_str());
    std::printf("positions       %d\n", r.positions);
    std::printf("top1_agreement  %.4f\n", r.top1_agreement);
    std::printf("kl_mean         %.6f nats\n", r.kl_mean);
    std::printf("kl_p99          %.6f nats\n", r.kl_p99);
    std::printf("ppl_reference   %.4f\n", r.ppl_reference);
    std::printf("ppl_device      %.4f\n", r.ppl_device);
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Compare a device with the fp32 reference, teacher-forced on sequences the "
      "reference samples (seeds 1..N): top-1 agreement, KL divergence, perplexity");
  cmd->add_option("MODEL", options->model,
                  "llama2.c checkpoint (path or name in the model directory)")
      ->capture_default_str();
  cmd->add_option("-z,--tokenizer", options->tokenizer,
                  "accepted for symmetry with `run`; evaluation needs no text");
  cmd->add_option("--device", options->settings.device, "device to evaluate")
      ->capture_default_str()
      ->check(known_device_validator());
  cmd->add_option("--sequences", options->settings.sequences, "number of sampled sequences")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--length", options->settings.length,
                  "tokens per sequence, BOS included (length - 1 predictions each)")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 20));
  const CLI::Option* array = add_array_option(*cmd, &options->settings.device_options.array);
  cmd->add_flag("--json", options->json, "print one JSON object");
  cmd->add_flag("--quiet", options->quiet, "no progress on stderr");
  cmd->add_option("--model-dir", options->model_dir, "folder holding model files");
  return {cmd, [options, array] {
            check_array_applies(array, options->settings.device);
            return run_eval(*options);
          }};
}

}  // namespace tessera::cli
