#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

#include "tessera/hls/array_config.hpp"
#include "tessera/models/synthetic_model.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::cli {

// Each subcommand registers its options on the app and returns the action that
// runs it once parsing succeeded. Actions throw on failure; main maps exceptions
// to exit codes (1 for bad input files, 2 for usage errors).
struct Command {
  CLI::App* parser;
  std::function<int()> action;
};

Command add_run_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_models_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_devices_command(CLI::App& app);
Command add_synth_model_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_faults_command(CLI::App& app);

// `bench decode` and `bench prefill`; `run` runs whichever was parsed.
struct ModelBenchCommands {
  CLI::App* decode = nullptr;
  CLI::App* prefill = nullptr;
  std::function<int()> run;
};
ModelBenchCommands add_model_bench_commands(CLI::App& bench);

// `bench memory`.
Command add_memory_bench_command(CLI::App& bench);

// models::write_synthetic_checkpoint with a progress line on stderr unless `quiet`.
void write_synthetic_checkpoint(const models::ModelConfig& config,
                                const std::filesystem::path& file,
                                models::SyntheticCheckpointOptions options, bool quiet);

// Accepts the names of runtime::available_devices() and lists them otherwise.
CLI::Validator known_device_validator();

// Range checks whose messages read well ("must be a whole number >= 1 (got 0)"),
// unlike CLI11's open-ended ranges that print the largest double.
CLI::Validator at_least(long minimum);
CLI::Validator positive_number();
// An output file: checked before any work starts (its folder exists and is writable,
// it is not a directory).
CLI::Validator writable_file();
// A waveform's cycle window, START:STOP (sim::parse_waveform_window).
CLI::Validator waveform_window();
// The window --fst-window (`window`, empty: every cycle) asks for; a usage error
// without --fst (`fst`).
sim::WaveformWindow fst_window_option(const std::string& fst, const std::string& window);

// Adds --array RxC (the int8 devices' systolic array) bound to *array.
CLI::Option* add_array_option(CLI::App& command, hls::ArrayShape* array);
// The hls device's --array: its C models of that array instead of the fast kernels.
CLI::Option* add_array_option(CLI::App& command, std::optional<hls::ArrayShape>* array);
// --array given for a device other than hls (whose C models it sizes): a usage error.
void check_array_applies(const CLI::Option* array, const std::string& device);

}  // namespace tessera::cli
