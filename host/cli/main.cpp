#include <cstdlib>
#include <exception>
#include <iostream>
#include <vector>

#include "cli/commands.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/error.hpp"

int main(int argc, char** argv) {
  // The CPU fallback runs on PoCL's single-threaded `basic` device unless the user
  // chose one: its commands run without the thread hand-offs of the `pthread` device,
  // which cost more than a second core gains at decode sizes (docs/runtime.md). Set
  // before any OpenCL call, which is when PoCL reads it.
  setenv("POCL_DEVICES", "basic", /*overwrite=*/0);
  CLI::App app{
      "tessera: an int8 transformer accelerator stack, from HLS kernels and RTL to "
      "tokens.\nRuns llama2.c and GGUF models on the fp32 reference or through the int8 HLS "
      "kernels."};
  app.name("tessera");
  app.set_version_flag("--version", TESSERA_VERSION);
  app.require_subcommand(1);
  // One line, as every other error: the cause, and where the options are listed.
  app.failure_message([](const CLI::App*, const CLI::Error& error) {
    return "tessera: error: " + std::string(error.what()) + " (--help lists the options)\n";
  });

  const std::vector<tessera::cli::Command> commands = {
      tessera::cli::add_run_command(app),     tessera::cli::add_eval_command(app),
      tessera::cli::add_bench_command(app),   tessera::cli::add_models_command(app),
      tessera::cli::add_devices_command(app), tessera::cli::add_synth_model_command(app),
      tessera::cli::add_sweep_command(app),   tessera::cli::add_inspect_command(app),
      tessera::cli::add_faults_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  try {
    for (const auto& command : commands) {
      if (command.parser->parsed()) return command.action();
    }
  } catch (const CLI::Error& error) {  // a flag combination found wrong after parsing
    std::cerr << "tessera: error: " << error.what() << '\n';
    return 2;
  } catch (const tessera::hls::UnknownPresetError& error) {  // a name, as a bad flag value
    std::cerr << "tessera: error: " << error.what() << '\n';
    return 2;
  } catch (const tessera::models::InputError& error) {
    std::cerr << "tessera: error: " << error.what() << '\n';
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "tessera: error: " << error.what() << '\n';
    return 1;
  }
  return 2;
}
