// The command line as a user meets it: help, flag validation, and one-line errors
// with exit code 1 (bad input file) or 2 (bad usage), never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "support/model_files.hpp"
#include "support/subprocess.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/hls/hardware_config.hpp"

namespace tessera {
namespace {

using testing::ProcessResult;

ProcessResult tessera(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {}) {
  return testing::run_process(TESSERA_BINARY, args, env);
}

std::string model() { return testing::real_model_file("stories260K.bin").string(); }
std::string tokenizer() { return testing::real_model_file("tok512.bin").string(); }

// Exactly one line on stderr, naming what is wrong.
void expect_one_line_error(const ProcessResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// Each subcommand with each class of mistake: a usage mistake exits 2, a bad input
// file 1, always with one line that names the cause, and nothing on stdout.
TEST(Cli, EveryMistakeGetsOneLineAndTheRightExitCode) {
  struct Mistake {
    std::vector<std::string> args;
    int code;
    std::string names;  // a part of the message that names the cause
  };
  const std::string nowhere = "/nonexistent-dir/out";
  const std::string synthetic =
      (std::filesystem::temp_directory_path() / "tessera-never-written.bin").string();
  const std::vector<Mistake> mistakes = {
      // run
      {{"run", model(), "--frobnicate"}, 2, "--frobnicate"},
      {{"run", model(), "-t", "warm"}, 2, "--temperature"},
      {{"run", model(), "-n", "-5"}, 2, "must be a whole number >= 0 (got -5)"},
      {{"run", model(), "--device", "accel", "--stats-json", nowhere}, 2, "cannot write"},
      {{"run", "nonesuch.bin"}, 1, "nonesuch.bin"},
      {{"run", model(), "--device", "tpu"}, 2, "unknown device 'tpu'"},
      {{"run", model(), "--device", "accel:zx81"}, 2, "unknown preset 'zx81'"},
      {{"run", model(), "--device", "accel:kv260:spice"}, 2, "unknown fidelity 'spice'"},
      {{"run", model(), "--device", "hls", "--check"}, 2, "need --device accel or cpu"},
      {{"run", model(), "--device", "accel", "--array", "8x8"}, 2, "--array"},
      {{"run", model(), "--device", "accel", "--place", "0-2:accel,1-:cpu"},
       2,
       "--place items '0-2:accel' and '1-:cpu' both place layer 1"},
      {{"run", model(), "--device", "accel", "--cpu-kernels", model()},
       2,
       "nothing runs on the CPU fallback"},
      // eval
      {{"eval", model(), "--frobnicate"}, 2, "--frobnicate"},
      {{"eval", model(), "--sequences", "many"}, 2, "--sequences"},
      {{"eval", model(), "--sequences", "0"}, 2, "must be a whole number >= 1 (got 0)"},
      {{"eval", "nonesuch.bin"}, 1, "nonesuch.bin"},
      {{"eval", model(), "--device", "tpu"}, 2, "unknown device 'tpu'"},
      {{"eval", model(), "--device", "reference", "--array", "8x8"}, 2, "--array"},
      // bench gemm
      {{"bench", "gemm", "--frobnicate"}, 2, "--frobnicate"},
      {{"bench", "gemm", "-m", "lots"}, 2, "-m"},
      {{"bench", "gemm", "-m", "0"}, 2, "-m"},
      {{"bench", "gemm", "--fst", nowhere}, 2, "cannot write"},
      {{"bench", "gemm", "--preset", "zx81"}, 2, "unknown preset 'zx81'"},
      {{"bench", "gemm", "--fidelity", "spice"}, 2, "--fidelity"},
      {{"bench", "gemm", "--fidelity", "tlm", "--fst", "/tmp/x.fst"},
       2,
       "only with --fidelity rtl"},
      {{"bench", "gemm", "--fidelity", "rtl", "--fst-window", "10:"}, 2, "give --fst too"},
      {{"bench", "gemm", "--fidelity", "rtl", "--fst", "/tmp/x.fst", "--fst-window", "9:3"},
       2,
       "STOP must be after START"},
      {{"bench", "gemm", "--fidelity", "rtl", "--fst", "/tmp/x.fst", "--fst-window", "ten"},
       2,
       "START:STOP"},
      {{"bench", "gemm", "--fidelity", "tlm", "-k", "65536"},
       2,
       "K = 65536 exceeds the 8192-word operand buffers"},
      {{"bench", "gemm", "--fidelity", "func", "-m", "65536", "-n", "65536", "-k", "65536"},
       2,
       "--allow-long runs it anyway"},
      // bench decode and prefill
      {{"bench", "decode", "--frobnicate"}, 2, "--frobnicate"},
      {{"bench", "decode", "--model-shape", "stories110m", "--tokens", "few"}, 2, "--tokens"},
      {{"bench", "decode", "--model-shape", "stories110m", "--tokens", "0"}, 2, "--tokens"},
      {{"bench", "decode", "--model", model(), "--fst", nowhere}, 2, "cannot write"},
      {{"bench", "decode", "--model", "nonesuch.bin"}, 1, "nonesuch.bin"},
      {{"bench", "decode", "--model-shape", "stories110m", "--preset", "zx81"}, 2, "zx81"},
      {{"bench", "decode", "--model-shape", "stories110m", "--fidelity", "spice"}, 2, "--fidelity"},
      {{"bench", "decode", "--model-shape", "stories110m", "--fst", "/tmp/x.fst"}, 2, "--fst"},
      {{"bench", "decode", "--model", model(), "--fidelity", "rtl", "--fst-window", ":5"},
       2,
       "give --fst too"},
      {{"bench", "prefill", "--model", model()}, 2, "--model"},
      {{"bench", "prefill", "--model-shape", "stories110m", "--preset", "zx81"}, 2, "zx81"},
      // bench memory
      {{"bench", "memory", "--frobnicate"}, 2, "--frobnicate"},
      {{"bench", "memory", "--bytes", "plenty"}, 2, "--bytes"},
      {{"bench", "memory", "--units", "0"}, 2, "--units"},
      {{"bench", "memory", "--preset", "zx81"}, 2, "unknown preset 'zx81'"},
      {{"bench", "memory", "--pattern", "zigzag"}, 2, "--pattern"},
      // synth-model
      {{"synth-model", synthetic, "--frobnicate"}, 2, "--frobnicate"},
      {{"synth-model", synthetic, "--shape", "gpt5"}, 2, "--shape"},
      {{"synth-model", synthetic, "--dim", "64"}, 2, "--hidden-dim (or --shape) is required"},
      {{"synth-model", synthetic, "--shape", "stories15m", "--heads", "5"},
       2,
       "dim is not divisible by n_heads"},
      {{"synth-model", synthetic, "--shape", "stories15m", "--kv-heads", "4"},
       2,
       "n_heads is not a multiple of n_kv_heads"},
      {{"synth-model", synthetic, "--dim", "2000000000", "--hidden-dim", "2000000000", "--layers",
        "2000000000", "--heads", "2", "--vocab", "512", "--seq-len", "8"},
       2,
       "overflows 64 bits"},
      {{"synth-model", synthetic, "--shape", "stories15m", "--format", "v2", "--group-size", "7"},
       2,
       "group size 7 does not divide"},
      {{"synth-model", synthetic, "--shape", "stories15m", "--format", "gguf"}, 2, "--format"},
      {{"synth-model", nowhere, "--shape", "stories15m"}, 2, "cannot write"},
      // a device that refuses every write: reported, and the device is left alone
      {{"synth-model", "/dev/full", "--shape", "stories260k", "--no-tokenizer", "--quiet"},
       1,
       "/dev/full: write failed: No space left on device"},
      // models, devices
      {{"models", "--frobnicate"}, 2, "--frobnicate"},
      {{"devices", "--frobnicate"}, 2, "--frobnicate"},
  };
  for (const Mistake& m : mistakes) {
    std::string line;
    for (const std::string& a : m.args) line += a + " ";
    SCOPED_TRACE(line);
    expect_one_line_error(tessera(m.args), m.code, m.names);
  }
  EXPECT_FALSE(std::filesystem::exists(synthetic));
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
}

// The same seed writes the same bytes, another seed other weights, and a
// tokenizer for the vocabulary lands beside the model.
TEST(CliSynthModel, SameSeedSameBytes) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_cli_synth_model";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const char* seed) {
    const ProcessResult r = tessera({"synth-model", (dir / name).string(), "--shape", "stories260k",
                                     "--layers", "2", "--seed", seed, "--json", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(testing::read_bytes(dir / name), r.out);
  };
  const auto [first, json] = write("a.bin", "5");
  EXPECT_EQ(write("b.bin", "5").first, first);
  EXPECT_NE(write("c.bin", "6").first, first);
  const auto report = nlohmann::json::parse(json);
  EXPECT_EQ(report["bytes"], first.size());
  EXPECT_EQ(report["config"]["n_kv_heads"], 4);
  EXPECT_EQ(report["tokenizer"], (dir / "tok512.bin").string());
  EXPECT_TRUE(report["tokenizer_written"].get<bool>());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "tok512.bin"));
  std::filesystem::remove_all(dir);
}

// A synthetic model runs, and every int8 device prints the same text
// as the HLS device, greedy and sampled (GQA and a separate classifier included).
TEST(CliSynthModel, EveryDeviceGivesTheSameText) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_cli_synth_devices";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "m.bin").string();
  const ProcessResult made = tessera({"synth-model",
                                      file,
                                      "--dim",
                                      "96",
                                      "--hidden-dim",
                                      "160",
                                      "--layers",
                                      "2",
                                      "--heads",
                                      "6",
                                      "--kv-heads",
                                      "2",
                                      "--vocab",
                                      "400",
                                      "--seq-len",
                                      "64",
                                      "--separate-classifier",
                                      "--seed",
                                      "3",
                                      "--quiet"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const ProcessResult reference = tessera({"run", file, "-t", "0", "-n", "24"});
  EXPECT_EQ(reference.exit_code, 0) << reference.err;
  EXPECT_FALSE(reference.out.empty());
  for (const std::vector<std::string>& sampling :
       {std::vector<std::string>{"-t", "0", "-n", "40"},
        std::vector<std::string>{"-t", "1.0", "-p", "0.9", "-s", "11", "-n", "40"}}) {
    std::vector<std::string> args = {"run", file, "-i", "Once upon"};
    args.insert(args.end(), sampling.begin(), sampling.end());
    args.insert(args.end(), {"--device", "hls"});
    const ProcessResult hls = tessera(args);
    ASSERT_EQ(hls.exit_code, 0) << hls.err;
    EXPECT_EQ(hls.out.rfind("Once upon", 0), 0u) << hls.out;
    for (const char* device : {"cpu", "accel:kv260:tlm", "accel:u280:func"}) {
      args.back() = device;
      const ProcessResult r = tessera(args);
      EXPECT_EQ(r.exit_code, 0) << device << ": " << r.err;
      EXPECT_EQ(r.out, hls.out) << device << " " << sampling[1];
    }
  }
  std::filesystem::remove_all(dir);
}

// The listing commands answer in JSON too.
TEST(Cli, ModelsAndDevicesHaveJson) {
  const ProcessResult models = tessera({"models", "--json"});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  const auto m = nlohmann::json::parse(models.out);
  EXPECT_TRUE(m.at("files").at("stories260K.bin").get<bool>());
  EXPECT_FALSE(m.at("devices").empty());
  const ProcessResult devices = tessera({"devices", "--json"});
  ASSERT_EQ(devices.exit_code, 0) << devices.err;
  const auto d = nlohmann::json::parse(devices.out);
  EXPECT_GE(d.at("presets").size(), 2u);
  EXPECT_EQ(d.at("presets").at(0).at("preset"), "kv260");
}

TEST(Cli, HelpListsSubcommandsAndFlags) {
  const ProcessResult top = tessera({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("run"), std::string::npos);
  EXPECT_NE(top.out.find("models"), std::string::npos);
  const ProcessResult run = tessera({"run", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* flag : {"-z", "-t", "-p", "-s", "-n", "-i", "--device", "--model-dir"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, NoSubcommandIsAUsageError) { EXPECT_EQ(tessera({}).exit_code, 2); }

TEST(Cli, OutOfRangeFlagsAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"-t", "-0.5"}, {"-t", "nan"},       {"-t", "inf"},     {"-t", "warm"},
      {"-p", "1.5"},  {"-p", "-0.1"},      {"-n", "-1"},      {"-n", "ten"},
      {"-s", "x"},    {"--device", "tpu"}, {"--no-such-flag"}};
  for (const auto& flags : bad) {
    std::vector<std::string> args = {"run", model(), "-z", tokenizer()};
    args.insert(args.end(), flags.begin(), flags.end());
    const ProcessResult r = tessera(args);
    EXPECT_EQ(r.exit_code, 2) << flags[0] << " " << (flags.size() > 1 ? flags[1] : "") << ": "
                              << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_FALSE(r.err.empty());
  }
}

TEST(Cli, UnknownDeviceNamesTheAvailableOnes) {
  const ProcessResult r = tessera({"run", model(), "--device", "tpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("available: reference"), std::string::npos) << r.err;
}

TEST(Cli, RunWritesTextToStdoutAndStatisticsToStderr) {
  const ProcessResult r = tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Once upon a time", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("achieved tok/s:"), std::string::npos);
  EXPECT_NE(r.err.find("time to first token:"), std::string::npos);
}

TEST(Cli, FindsModelAndTokenizerByNameInTheModelDirectory) {
  const auto dir = testing::real_model_file("stories260K.bin").parent_path().string();
  const ProcessResult by_flag = tessera({"run", "--model-dir", dir, "-t", "0", "-n", "12"});
  EXPECT_EQ(by_flag.exit_code, 0) << by_flag.err;
  EXPECT_EQ(by_flag.out.rfind("Once upon a time", 0), 0u);
  const ProcessResult by_env =
      tessera({"run", "stories260K.bin", "-t", "0", "-n", "12"}, {{"TESSERA_MODEL_DIR", dir}});
  EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_EQ(by_env.out, by_flag.out);
}

TEST(Cli, MissingModelSaysWhereToGetIt) {
  const testing::TempDir empty("cli-empty");
  const ProcessResult r = tessera({"run", "--model-dir", empty.path().string()});
  expect_one_line_error(r, 1, "huggingface.co/karpathy/tinyllamas");
  EXPECT_NE(r.err.find(empty.path().string()), std::string::npos) << r.err;
}

TEST(Cli, MissingTokenizerIsAnError) {
  expect_one_line_error(tessera({"run", model(), "-z", "/nonexistent/tok.bin"}), 1, "tok.bin");
}

class CliMalformedFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::vector<char>& bytes) {
    testing::write_bytes(dir_ / name, bytes);
    return (dir_ / name).string();
  }
  testing::TempDir dir_{"cli-malformed"};
};

TEST_F(CliMalformedFiles, EmptyModel) {
  const std::string path = write("empty.bin", {});
  expect_one_line_error(tessera({"run", path, "-z", tokenizer()}), 1, path + ": empty file");
}

TEST_F(CliMalformedFiles, TruncatedModel) {
  auto bytes = testing::read_bytes(model());
  bytes.resize(bytes.size() / 2);
  const std::string path = write("half.bin", bytes);
  expect_one_line_error(tessera({"run", path, "-z", tokenizer()}), 1, "truncated");
}

TEST_F(CliMalformedFiles, ImpossibleHeader) {
  auto bytes = testing::read_bytes(model());
  testing::write_i32(bytes, 16, 16);  // n_kv_heads 16 > n_heads 8
  const std::string path = write("kv.bin", bytes);
  expect_one_line_error(tessera({"run", path, "-z", tokenizer()}), 1, "n_kv_heads exceeds n_heads");
  testing::write_i32(bytes, 16, 4);
  testing::write_i32(bytes, 20, 1 << 30);  // vocabulary no file of this size holds
  const std::string huge = write("vocab.bin", bytes);
  expect_one_line_error(tessera({"run", huge, "-z", tokenizer()}), 1, "truncated");
}

TEST_F(CliMalformedFiles, TruncatedTokenizer) {
  auto bytes = testing::read_bytes(tokenizer());
  bytes.resize(bytes.size() - 10);
  const std::string path = write("tok.bin", bytes);
  expect_one_line_error(tessera({"run", model(), "-z", path}), 1, path + ": truncated tokenizer");
}

TEST_F(CliMalformedFiles, TokenizerOfAnotherModel) {
  models::write_tokenizer(dir_ / "tok32.bin", std::vector<models::TokenizerPiece>(32, {"a", 0.0f}));
  expect_one_line_error(tessera({"run", model(), "-z", (dir_ / "tok32.bin").string()}), 1,
                        "cannot hold the model's 512 tokens");
}

TEST(CliEval, JsonHasTheDocumentedKeys) {
  const ProcessResult r = tessera({"eval", model(), "--device", "hls", "--sequences", "2",
                                   "--length", "20", "--array", "8x8", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"\"top1_agreement\"", "\"kl_mean\"", "\"kl_p99\"", "\"ppl_reference\"",
                          "\"ppl_device\"", "\"positions\": 38"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);
}

TEST(CliEval, RejectsBadSettings) {
  for (const std::vector<std::string>& flags : {std::vector<std::string>{"--sequences", "0"},
                                                {"--length", "1"},
                                                {"--array", "0x16"},
                                                {"--array", "3x3"},
                                                {"--device", "tpu"}}) {
    std::vector<std::string> args = {"eval", model()};
    args.insert(args.end(), flags.begin(), flags.end());
    const ProcessResult r = tessera(args);
    EXPECT_EQ(r.exit_code, 2) << flags[0] << " " << flags[1] << ": " << r.err;
  }
  // The same mistake exits the same way everywhere: 2 for a usage error.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", model(), "-p", "nan"},
        {"run", model(), "-t", "nan"},
        {"run", model(), "--device", "accel:nonesuch"},
        {"bench", "decode", "--preset", "nonesuch", "--model-shape", "stories110m"},
        {"bench", "memory", "--preset", "nonesuch"}}) {
    const ProcessResult r = tessera(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << args[2] << ": " << r.err;
  }
  // Open-ended ranges read as such, not as the largest double.
  const ProcessResult sequences = tessera({"eval", model(), "--sequences", "0"});
  EXPECT_NE(sequences.err.find("--sequences: must be a whole number >= 1 (got 0)"),
            std::string::npos)
      << sequences.err;
  const ProcessResult steps = tessera({"run", model(), "-n", "-5"});
  EXPECT_EQ(steps.exit_code, 2);
  EXPECT_NE(steps.err.find("--steps: must be a whole number >= 0 (got -5)"), std::string::npos)
      << steps.err;
  EXPECT_LT(steps.err.size(), 200u) << steps.err;
  // A length beyond the model's context is only known once the model is loaded.
  expect_one_line_error(tessera({"eval", model(), "--length", "600"}), 1, "--length must be in");
}

TEST(CliRun, HlsDeviceOnEveryArrayGivesTheSameText) {
  std::string first;
  for (const char* array : {"4x4", "16x16", "32x32"}) {
    const ProcessResult r = tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "40",
                                     "--device", "hls", "--array", array});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (first.empty()) first = r.out;
    EXPECT_EQ(r.out, first) << array;
  }
  EXPECT_EQ(first.rfind("Once upon a time", 0), 0u);
}

// Issue 6 (b): the simulated accelerator through the OpenCL ICD and the PoCL CPU
// fallback print the HLS device's text, greedy and sampled.
TEST(CliRun, OpenClDevicesPrintTheHlsText) {
  for (const std::vector<std::string>& sampling :
       {std::vector<std::string>{"-t", "0", "-n", "256"},
        std::vector<std::string>{"-t", "0.8", "-p", "0.9", "-s", "7", "-n", "120"}}) {
    std::vector<std::string> args = {"run", model(), "-z", tokenizer()};
    args.insert(args.end(), sampling.begin(), sampling.end());
    args.insert(args.end(), {"--device", "hls"});
    const ProcessResult hls = tessera(args);
    ASSERT_EQ(hls.exit_code, 0) << hls.err;
    for (const char* device : {"cpu", "accel:kv260:tlm", "accel:u280:func"}) {
      args.back() = device;
      const ProcessResult r = tessera(args);
      EXPECT_EQ(r.exit_code, 0) << device << ": " << r.err;
      EXPECT_EQ(r.out, hls.out) << device << " " << sampling[1];
    }
    std::vector<std::string> placed = args;
    placed.back() = "accel:kv260:tlm";
    placed.insert(placed.end(), {"--place", "auto"});
    const ProcessResult r = tessera(placed);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, hls.out) << "--place auto " << sampling[1];
    EXPECT_NE(r.err.find("placement: "), std::string::npos) << r.err;
  }
}

TEST(CliRun, RtlAcceleratorMatchesForThirtyTwoSteps) {
  const std::vector<std::string> args = {"run", model(), "-z", tokenizer(), "-t", "0", "-n", "33"};
  auto with_device = [&](const char* device) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--device", device});
    return tessera(a);
  };
  const ProcessResult hls = with_device("hls"), rtl = with_device("accel:kv260:rtl");
  EXPECT_EQ(rtl.exit_code, 0) << rtl.err;
  EXPECT_EQ(rtl.out, hls.out);
}

// Issue 6 (c) and (e): blocks split between the accelerator and the CPU fallback give
// the same text, --check finds no bit mismatch against the int8 reference, and the
// trace is Chrome trace-event JSON with the device kernels on it.
TEST(CliRun, MixedPlacementChecksAndTraces) {
  testing::TempDir dir("trace");
  const std::string trace = (dir / "trace.json").string();
  const ProcessResult hls =
      tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "48", "--device", "hls"});
  const ProcessResult mixed = tessera(
      {"run", model(), "-z", tokenizer(), "-t", "0", "-n", "48", "--device", "accel:kv260:tlm",
       "--place", "0-1:accel,2-:cpu,head:cpu", "--check", "--stats", "--trace", trace});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_EQ(mixed.out, hls.out);
  EXPECT_NE(mixed.err.find("placement: 0-1:accel,2-4:cpu,head:cpu"), std::string::npos)
      << mixed.err;
  EXPECT_NE(mixed.err.find(" ops against the int8 reference, 0 bit mismatches"), std::string::npos)
      << mixed.err;
  EXPECT_NE(mixed.err.find("stats:  head     cpu"), std::string::npos) << mixed.err;
  std::ifstream file(trace);
  const auto json = nlohmann::json::parse(file);
  const auto& events = json.at("traceEvents");
  double last = -1;
  int accel_kernels = 0;
  for (const auto& e : events) {
    if (e.at("ph") != "X") continue;
    EXPECT_GE(e.at("ts").get<double>(), last) << "one timeline, in order";
    last = e.at("ts").get<double>();
    if (e.at("tid") == 1 && e.at("cat") == "gemm") {
      ++accel_kernels;
      EXPECT_GT(e.at("dur").get<double>(), 0.0) << "simulated kernel time";
    }
    const auto& args = e.at("args");
    EXPECT_TRUE(args.contains("position") && args.contains("op") && args.contains("bytes"));
    if (e.at("cat") == "write") {
      EXPECT_GT(args.at("bytes").get<int>(), 0);
    }
  }
  EXPECT_GT(accel_kernels, 0);
  const auto named = [&](const char* kind) {
    return std::count_if(events.begin(), events.end(),
                         [&](const auto& e) { return e.at("name") == kind; });
  };
  EXPECT_EQ(named("process_name"), 1);
  EXPECT_EQ(named("thread_name"), 3);
}

// Every output file is checked before any work starts and announced once written.
TEST(CliOutputs, UnwritablePathsAreUsageErrorsAndWrittenFilesAreAnnounced) {
  testing::TempDir dir("outputs");
  const std::string missing = (dir / "missing" / "out").string();
  const std::vector<std::vector<std::string>> cases = {
      {"run", model(), "-n", "2", "--device", "accel", "--trace", missing},
      {"run", model(), "-n", "2", "--device", "accel", "--trace", dir.path().string()},
      {"bench", "gemm", "--fidelity", "rtl", "-m", "8", "-n", "8", "-k", "8", "--fst", missing},
      {"bench", "gemm", "--fidelity", "rtl", "-m", "8", "-n", "8", "-k", "8", "--fst",
       dir.path().string()},
      {"bench", "decode", "--model", model(), "--fidelity", "rtl", "--tokens", "1", "--fst",
       missing},
  };
  for (const auto& args : cases) {
    const ProcessResult r = tessera(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("cannot write " + args.back()), std::string::npos) << r.err;
  }
  // A waveform only the rtl fidelity can write is an error elsewhere, not ignored.
  const std::string fst = (dir / "g.fst").string();
  const ProcessResult tlm = tessera({"bench", "gemm", "--fidelity", "tlm", "--fst", fst});
  EXPECT_EQ(tlm.exit_code, 2);
  EXPECT_NE(tlm.err.find("only with --fidelity rtl"), std::string::npos) << tlm.err;
  const ProcessResult rtl = tessera(
      {"bench", "gemm", "--fidelity", "rtl", "-m", "8", "-n", "8", "-k", "8", "--fst", fst});
  ASSERT_EQ(rtl.exit_code, 0) << rtl.err;
  EXPECT_NE(rtl.err.find("wrote " + fst), std::string::npos) << rtl.err;
  EXPECT_TRUE(std::filesystem::exists(fst));
  const std::string trace = (dir / "t.json").string();
  const ProcessResult run = tessera(
      {"run", model(), "-z", tokenizer(), "-n", "2", "--device", "accel", "--trace", trace});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("wrote " + trace), std::string::npos) << run.err;
  EXPECT_TRUE(std::filesystem::exists(trace));
}

TEST(CliRun, ASeedFromTheClockIsPrintedAndRepeatsTheRun) {
  const ProcessResult first = tessera({"run", model(), "-z", tokenizer(), "-n", "24"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto at = first.err.find("seed ");
  ASSERT_NE(at, std::string::npos) << first.err;
  const std::string seed = first.err.substr(at + 5, first.err.find(' ', at + 5) - at - 5);
  const ProcessResult again = tessera({"run", model(), "-z", tokenizer(), "-n", "24", "-s", seed});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_EQ(again.err.find("from the clock"), std::string::npos) << "a given seed is not news";
}

// A hardware configuration is a preset name or a file, everywhere: run on a copy of
// kv260 with an 8x8 array, and a folder on TESSERA_CONFIG_PATH adds presets.
TEST(CliConfigs, AFileIsADeviceAndAFolderAddsPresets) {
  testing::TempDir dir("configs");
  auto config = nlohmann::json::parse(std::ifstream(hls::preset_file("kv260")));
  config["gemm_units"]["rows"] = 8;
  config["gemm_units"]["cols"] = 8;
  config["gemm_units"]["buffer_words"] = 256;       // with the next two, the sizes of a top
  config["attention_units"]["head_size_max"] = 32;  // the build has (tests/configs)
  config["attention_units"]["context_max"] = 1024;
  config["name"] = "my-8x8";  // no preset has this name
  const std::string file = (dir / "my-8x8.json").string();
  std::ofstream(file) << config.dump(2);
  const auto stats = [&](const std::string& device) {
    const std::string path = (dir / "stats.json").string();
    const ProcessResult r = tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "32",
                                     "--device", device, "--stats-json", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(r.out, nlohmann::json::parse(std::ifstream(path)));
  };
  const auto [text8, stats8] = stats("accel:" + file + ":tlm");
  const auto [text16, stats16] = stats("accel:kv260:tlm");
  EXPECT_EQ(text8, text16) << "the same integers on any array";
  // A quarter of the MACs per cycle: the 8x8 engine computes longer (the whole step
  // is bound by the host link at this size, so the cycles tell, not the time).
  const auto compute = [](const nlohmann::json& s) {
    return s.at("accelerator_counters").at("units").at(0).at("compute_cycles").get<double>();
  };
  EXPECT_GT(compute(stats8), compute(stats16));
  EXPECT_EQ(stats8.at("device"), "accel:" + file + ":tlm");
  // bench runs a model on the file's device too, at every fidelity its array has.
  for (const char* fidelity : {"tlm", "rtl"}) {
    const ProcessResult bench = tessera({"bench", "decode", "--model", model(), "--preset", file,
                                         "--fidelity", fidelity, "--tokens", "2", "--json"});
    ASSERT_EQ(bench.exit_code, 0) << bench.err;
    const auto json = nlohmann::json::parse(bench.out);
    EXPECT_EQ(json.at("platform").at("preset"), "my-8x8");
    EXPECT_EQ(json.at("platform").at("fidelity"), fidelity);
  }

  const ProcessResult listed =
      tessera({"devices", "--json"}, {{"TESSERA_CONFIG_PATH", dir.path().string()}});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto presets = nlohmann::json::parse(listed.out).at("presets");
  const auto mine = std::find_if(presets.begin(), presets.end(),
                                 [](const auto& p) { return p.at("preset") == "my-8x8"; });
  ASSERT_NE(mine, presets.end()) << listed.out;
  EXPECT_EQ(mine->at("gemm_units").at("array"), "8x8");
  EXPECT_EQ(mine->at("fidelities").at("rtl"), true);
  const ProcessResult by_name =
      tessera({"run", model(), "-t", "0", "-n", "4", "--device", "accel:my-8x8"},
              {{"TESSERA_CONFIG_PATH", dir.path().string()}});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
  // bench times a file's design with that file's own host model, whatever its name.
  const ProcessResult bench =
      tessera({"bench", "decode", "--preset", file, "--model", model(), "--quiet"});
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  const ProcessResult missing = tessera({"run", model(), "--device", "accel:/nonexistent/x.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no configuration file '/nonexistent/x.json'"), std::string::npos)
      << missing.err;
}

// The runtime through the ICD runs as fast as the device: its statistics name the
// simulated time, and `bench decode --model`, on the same path, agrees with it.
TEST(CliRun, StatsJsonAgreesWithBenchDecode) {
  testing::TempDir dir("stats");
  const std::string path = (dir / "stats.json").string();
  const ProcessResult hls =
      tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "16", "--device", "hls"});
  const ProcessResult run = tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "16",
                                     "--device", "accel:u280:tlm", "--stats-json", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, hls.out);
  EXPECT_NE(run.err.find("wrote " + path), std::string::npos) << run.err;
  std::ifstream file(path);
  const auto stats = nlohmann::json::parse(file);
  for (const char* key :
       {"device", "placement", "tokens", "simulated_seconds", "simulated_seconds_per_token",
        "host_link_bytes", "host_link_bytes_per_token", "device_memory_bytes_read_per_token",
        "blocks"}) {
    EXPECT_TRUE(stats.contains(key)) << key;
  }
  EXPECT_EQ(stats.at("tokens"), 16);
  EXPECT_TRUE(stats.at("seed").is_number_unsigned());  // the seed used, to repeat the run
  EXPECT_EQ(stats.at("blocks").size(), 6u);
  // Simulated and wall-clock time never share a column.
  EXPECT_TRUE(stats.at("blocks").at(0).at("sim_ms").is_number());
  EXPECT_TRUE(stats.at("blocks").at(0).at("wall_ms").is_null());
  const ProcessResult bench = tessera({"bench", "decode", "--preset", "u280", "--model", model(),
                                       "--tokens", "16", "--json", "--quiet"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  const auto bench_json = nlohmann::json::parse(bench.out);
  const double per_token = bench_json.at("seconds_per_token").get<double>();
  EXPECT_NEAR(stats.at("seconds_per_token").get<double>(), per_token, 0.02 * per_token);
  // The same breakdown in both, its parts adding up to the time per token.
  for (const auto* json : {&stats, &bench_json}) {
    const auto& parts = json->at("breakdown_seconds_per_token");
    double sum = 0;
    for (const char* part :
         {"device_compute", "memory_stall", "host_glue", "host_link", "driver"}) {
      ASSERT_TRUE(parts.contains(part)) << part;
      EXPECT_GE(parts.at(part).get<double>(), 0.0) << part;
      sum += parts.at(part).get<double>();
    }
    EXPECT_NEAR(sum, json->at("seconds_per_token").get<double>(), 1e-9 + 1e-6 * sum);
    EXPECT_GT(parts.at("host_glue").get<double>(), 0.0);
    EXPECT_GT(json->at("achievable_bw_utilization").get<double>(),
              json->at("bw_utilization").get<double>());
  }

  const ProcessResult unwritable =
      tessera({"run", model(), "-z", tokenizer(), "-n", "2", "--device", "accel", "--stats-json",
               (dir / "missing" / "stats.json").string()});
  EXPECT_EQ(unwritable.exit_code, 2);  // found before the run starts
  EXPECT_NE(unwritable.err.find("cannot write " + (dir / "missing" / "stats.json").string() +
                                ": no directory"),
            std::string::npos)
      << unwritable.err;
  const ProcessResult reference =
      tessera({"run", model(), "-z", tokenizer(), "-n", "2", "--stats-json", path});
  EXPECT_EQ(reference.exit_code, 2);
  EXPECT_NE(reference.err.find("--stats-json"), std::string::npos) << reference.err;
}

// --check must catch a CPU kernel that is off by one in a single output, even where
// the generated text does not change.
TEST(CliRun, CheckNamesTheFirstDivergence) {
  std::ifstream shipped(TESSERA_BUILD_DIR "/share/tessera/kernels/tessera_int8.cl");
  std::string source((std::istreambuf_iterator<char>(shipped)), std::istreambuf_iterator<char>());
  // Every GEMM kernel's store (the single and the batched one).
  const std::string store = "c[row * n + col] = sum;";
  ASSERT_NE(source.find(store), std::string::npos);
  for (std::size_t at = source.find(store); at != std::string::npos; at = source.find(store, at)) {
    const std::string planted = "c[row * n + col] = sum + (row == 0 && col == 3 ? 1 : 0);";
    source.replace(at, store.size(), planted);
    at += planted.size();
  }
  testing::TempDir dir("kernels");
  const std::string planted = (dir / "planted.cl").string();
  std::ofstream(planted) << source;
  const ProcessResult r = tessera({"run", model(), "-z", tokenizer(), "-t", "0", "-n", "6",
                                   "--device", "cpu", "--cpu-kernels", planted, "--check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("first: layer 0, op q/k/v, position 0: output 3 is"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("differ from the int8 reference"), std::string::npos) << r.err;
}

// The CPU kernel keeps the logits of the first 512 positions between its passes and
// recomputes the rest: past 512 positions every op still equals the int8 reference
// (--check) and the text the hls device prints.
TEST(CliRun, CpuAttentionPastItsKeptLogitsIsExact) {
  testing::TempDir dir("long_context");
  const std::string file = (dir / "m.bin").string();
  const ProcessResult made =
      tessera({"synth-model", file, "--dim", "32", "--hidden-dim", "48", "--layers", "1", "--heads",
               "2", "--vocab", "300", "--seq-len", "640", "--seed", "1", "--quiet"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::vector<std::string> args = {"run", file, "-t", "0", "-n", "600"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args;
    a.insert(a.end(), extra.begin(), extra.end());
    return tessera(a);
  };
  const ProcessResult cpu = with({"--device", "cpu", "--check"});
  EXPECT_EQ(cpu.exit_code, 0) << cpu.err;
  // Every position ran (seed 1 never samples BOS, which would end the run early).
  EXPECT_NE(cpu.err.find("check: 5400 ops against the int8 reference, 0 bit mismatches"),
            std::string::npos)
      << cpu.err;
  const ProcessResult hls = with({"--device", "hls"});
  ASSERT_EQ(hls.exit_code, 0) << hls.err;
  EXPECT_EQ(cpu.out, hls.out);
}

TEST(CliRun, BadAcceleratorNamesAreUsageErrors) {
  const ProcessResult preset = tessera({"run", model(), "--device", "accel:zx81"});
  EXPECT_EQ(preset.exit_code, 2);
  EXPECT_NE(preset.err.find("unknown preset 'zx81'"), std::string::npos) << preset.err;
  const ProcessResult fidelity = tessera({"run", model(), "--device", "accel:kv260:spice"});
  EXPECT_EQ(fidelity.exit_code, 2);
  EXPECT_NE(fidelity.err.find("func, tlm or rtl"), std::string::npos) << fidelity.err;
  const ProcessResult place = tessera({"run", model(), "--device", "accel", "--place", "9:cpu"});
  EXPECT_EQ(place.exit_code, 2);
  EXPECT_NE(place.err.find("layer '9' is not in 0..4"), std::string::npos) << place.err;
  EXPECT_EQ(place.err.find("--device:"), std::string::npos) << "the --place error names --place";
  const ProcessResult check = tessera({"run", model(), "--device", "hls", "--check"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("need --device accel or cpu"), std::string::npos) << check.err;
  const ProcessResult rtl32 = tessera({"run", model(), "--device", "accel:u280:rtl", "-n", "4"});
  EXPECT_EQ(rtl32.exit_code, 1);
  EXPECT_NE(rtl32.err.find("offers no device 'tessera u280 (rtl)'"), std::string::npos)
      << rtl32.err;
}

std::string json_field(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 4;
  return json.substr(start, json.find_first_of(",}", start) - start);
}

// An FST file's header block (written when the file is closed): block type, length,
// then the first and last dump times (big-endian), ..., the timescale exponent at
// byte 73.
struct FstHeader {
  std::uint64_t start = 0, end = 0;
  int timescale = 0;
};
FstHeader read_fst_header(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<unsigned char> header(80);
  file.read(reinterpret_cast<char*>(header.data()), 80);
  EXPECT_EQ(file.gcount(), 80) << path;
  EXPECT_EQ(header[0], 0u) << path << ": not an FST header block";
  const auto u64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = v << 8 | header[at + i];
    return v;
  };
  return {u64(9), u64(17), static_cast<signed char>(header[73])};
}

// kv260 runs at 300 MHz: one cycle is 3,334 ps in the waveform (half periods of 1,667).
constexpr std::uint64_t kKv260CyclePs = 3334;

// The waveform's time axis is the preset's clock: FST times in picoseconds.
TEST(CliOutputs, WaveformTimesFollowThePresetsClock) {
  testing::TempDir dir("fst");
  const std::string fst = (dir / "g.fst").string();
  const ProcessResult r = tessera({"bench", "gemm", "--fidelity", "rtl", "--preset", "kv260", "-m",
                                   "8", "-n", "8", "-k", "8", "--fst", fst, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cycles = std::stoull(json_field(r.out, "cycles"));
  const FstHeader header = read_fst_header(fst);
  EXPECT_EQ(header.timescale, -12) << "picoseconds";
  EXPECT_EQ(header.start % (kKv260CyclePs / 2), 0u);
  EXPECT_EQ(header.end % (kKv260CyclePs / 2), 0u);
  EXPECT_GE(header.end - header.start, cycles * kKv260CyclePs);
}

// --fst-window START:STOP keeps only those clock cycles.
TEST(CliOutputs, WaveformWindowKeepsOnlyItsCycles) {
  testing::TempDir dir("fst");
  const std::string fst = (dir / "g.fst").string();
  const ProcessResult r =
      tessera({"bench", "gemm", "--fidelity", "rtl", "--preset", "kv260", "-m", "64", "-n", "64",
               "-k", "64", "--fst", fst, "--fst-window", "100:200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const FstHeader header = read_fst_header(fst);
  EXPECT_GE(header.start, 100 * kKv260CyclePs);
  EXPECT_LT(header.end, 200 * kKv260CyclePs);
  EXPECT_GE(header.end - header.start, 99 * kKv260CyclePs) << "the window's cycles are all there";
}

// A model run at rtl writes one waveform of all its GEMM jobs on the platform's time
// axis: the jobs follow each other on the one engine, so the waveform spans at least
// their engine cycles together (a waveform of the last job alone would not).
TEST(CliOutputs, WaveformOfAModelRunHoldsEveryGemmJob) {
  testing::TempDir dir("fst");
  const std::string fst = (dir / "d.fst").string();
  const ProcessResult r =
      tessera({"bench", "decode", "--model", model(), "--preset", "kv260", "--fidelity", "rtl",
               "--tokens", "2", "--quiet", "--fst", fst, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote " + fst), std::string::npos) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& gemm = json.at("platform").at("units").at(0);
  ASSERT_EQ(gemm.at("unit"), "gemm0");
  const auto job_cycles = gemm.at("compute_cycles").get<std::uint64_t>();
  ASSERT_GT(gemm.at("jobs").get<int>(), 1);
  const FstHeader whole = read_fst_header(fst);
  EXPECT_GE(whole.end - whole.start, job_cycles * kKv260CyclePs);

  const std::string windowed = (dir / "w.fst").string();
  const ProcessResult w =
      tessera({"bench", "decode", "--model", model(), "--preset", "kv260", "--fidelity", "rtl",
               "--tokens", "2", "--quiet", "--fst", windowed, "--fst-window", "50000:60000"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const FstHeader part = read_fst_header(windowed);
  EXPECT_GE(part.start, 50000 * kKv260CyclePs);
  EXPECT_LT(part.end, 60000 * kKv260CyclePs);
  EXPECT_GE(part.start, whole.start);
  EXPECT_LE(part.end, whole.end);
}

TEST(CliBench, FidelitiesAgreeOnResultsAndCycles) {
  const std::vector<std::string> shape = {"-m", "37",      "-n",  "21",    "-k",
                                          "70", "--array", "8x8", "--json"};
  auto run = [&](const char* fidelity) {
    std::vector<std::string> args = {"bench", "gemm", "--fidelity", fidelity};
    args.insert(args.end(), shape.begin(), shape.end());
    const ProcessResult r = tessera(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string rtl = run("rtl"), tlm = run("tlm"), func = run("func");
  // Each result against the nested-loop int8 reference (the independent side; tlm's
  // result is the HLS C model's, so comparing those two would prove nothing).
  for (const std::string* out : {&rtl, &tlm, &func}) {
    EXPECT_EQ(json_field(*out, "matches_reference"), "true") << *out;
  }
  EXPECT_EQ(json_field(rtl, "matches_hls"), "true");
  // The engine's cycle model against the Verilated engine, on operands on chip
  // (compute-bound) and streamed at the arrays' full rate (the load phase timed from
  // the streams, not from the buffers).
  EXPECT_EQ(json_field(rtl, "cycles"), json_field(tlm, "cycles"));
  auto streamed = [&](const char* fidelity) {
    std::vector<std::string> args = {
        "bench", "gemm", "--fidelity", fidelity, "--stream-bytes-per-cycle", "16"};
    args.insert(args.end(), shape.begin(), shape.end());
    return json_field(tessera(args).out, "cycles");
  };
  EXPECT_EQ(streamed("rtl"), streamed("tlm"));
  EXPECT_FALSE(json_field(rtl, "mac_utilization").empty());
  EXPECT_FALSE(json_field(rtl, "sim_cycles_per_second").empty());
}

TEST(CliBench, RejectsBadArguments) {
  EXPECT_EQ(tessera({"bench", "gemm", "--fidelity", "spice"}).exit_code, 2);
  // One vocabulary: fidelities are func, tlm and rtl everywhere.
  EXPECT_EQ(tessera({"bench", "gemm", "--fidelity", "hls"}).exit_code, 2);
  EXPECT_EQ(tessera({"bench", "gemm", "-m", "0"}).exit_code, 2);
  EXPECT_EQ(tessera({"bench", "gemm", "--preset", "kv260", "--array", "8x8"}).exit_code, 2);
  EXPECT_EQ(tessera({"bench"}).exit_code, 2);
  expect_one_line_error(tessera({"bench", "gemm", "--fidelity", "tlm", "--preset", "zx81"}), 2,
                        "unknown preset 'zx81'");
  expect_one_line_error(
      tessera({"bench", "gemm", "--preset", "u280", "-m", "4", "-n", "4", "-k", "4"}), 1,
      "no Verilated GEMM engine of 32x32");
}

TEST(CliBenchModel, DecodeReportsSimulatedThroughputAsJson) {
  const ProcessResult r = tessera({"bench", "decode", "--preset", "u280", "--model-shape",
                                   "gpt2-small", "--tokens", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"\"tokens_per_s\"", "\"bw_utilization\"", "\"mac_utilization\"",
                          "\"wall_seconds\"", "\"busy_cycles\"", "\"bandwidth_gbps\""}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
  }
  // Simulated figures are deterministic; the wall clock is not.
  const ProcessResult again = tessera({"bench", "decode", "--preset", "u280", "--model-shape",
                                       "gpt2-small", "--tokens", "2", "--json"});
  const auto simulated = [](const std::string& out) {
    return out.substr(out.find("\"tokens_per_s\""),
                      out.find("\"wall_seconds\"") - out.find("\"tokens_per_s\""));
  };
  EXPECT_EQ(simulated(r.out), simulated(again.out));
}

// --generate N is the average over a whole generation: N steps from an empty cache.
TEST(CliBenchModel, GenerateAveragesAWholeGenerationFromAnEmptyCache) {
  const ProcessResult generate = tessera({"bench", "decode", "--preset", "kv260", "--model-shape",
                                          "stories260k", "--generate", "12", "--json"});
  const ProcessResult steps =
      tessera({"bench", "decode", "--preset", "kv260", "--model-shape", "stories260k", "--context",
               "0", "--tokens", "12", "--json"});
  ASSERT_EQ(generate.exit_code, 0) << generate.err;
  ASSERT_EQ(steps.exit_code, 0) << steps.err;
  const auto g = nlohmann::json::parse(generate.out), s = nlohmann::json::parse(steps.out);
  EXPECT_EQ(g.at("generate"), 12);
  EXPECT_EQ(g.at("tokens"), 12);
  EXPECT_EQ(g.at("simulated_seconds"), s.at("simulated_seconds"));
  const ProcessResult both = tessera(
      {"bench", "decode", "--model-shape", "stories260k", "--generate", "4", "--context", "3"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST(CliBenchModel, PrefillAndRealModels) {
  const ProcessResult prefill = tessera(
      {"bench", "prefill", "--preset", "kv260", "--model-shape", "stories260k", "--tokens", "16"});
  EXPECT_EQ(prefill.exit_code, 0) << prefill.err;
  EXPECT_NE(prefill.out.find("prefill stories260k on kv260 (tlm): 16 tokens"), std::string::npos)
      << prefill.out;
  const ProcessResult real = tessera(
      {"bench", "decode", "--model", model(), "--fidelity", "rtl", "--tokens", "2", "--quiet"});
  EXPECT_EQ(real.exit_code, 0) << real.err;
  EXPECT_NE(real.out.find("tokens/s"), std::string::npos) << real.out;
}

// Progress: a log gets a start and an end line per phase; a terminal gets one line
// that updates in place.
TEST(CliProgress, LogsGetLinesTerminalsGetAnUpdatingLine) {
  const std::vector<std::string> args = {"bench", "decode",    "--preset", "kv260",    "--model",
                                         model(), "--context", "3",        "--tokens", "8"};
  const ProcessResult log = tessera(args);
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(log.err.find('\r'), std::string::npos) << log.err;
  EXPECT_NE(log.err.find("context fill: 3 steps\n"), std::string::npos) << log.err;
  EXPECT_NE(log.err.find("decode: 8 steps\n"), std::string::npos) << log.err;
  EXPECT_NE(log.err.find("decode: 8/8 steps in "), std::string::npos) << log.err;
  // script(1) runs the command on a pseudo-terminal.
  std::string command = TESSERA_BINARY;
  for (const std::string& arg : args) command += " '" + arg + "'";
  const ProcessResult terminal =
      testing::run_process("/usr/bin/script", {"-qc", command + " >/dev/null", "/dev/null"});
  ASSERT_EQ(terminal.exit_code, 0) << terminal.err;
  EXPECT_NE(terminal.out.find("\rdecode: "), std::string::npos) << terminal.out;
  EXPECT_NE(terminal.out.find("/s, ETA "), std::string::npos) << terminal.out;
}

// Opening an int8 device reports quantizing and uploading the weights; eval reports
// its sequences; --quiet keeps stderr to results.
TEST(CliProgress, RunAndEvalReportTheirPhasesUnlessQuiet) {
  const ProcessResult run =
      tessera({"run", model(), "-z", tokenizer(), "-n", "4", "-t", "0", "--device", "accel"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << run.err;
  const std::string layers = std::to_string(5 + 2);  // stories260K: 5 blocks
  EXPECT_NE(run.err.find("quantize: " + layers + " steps\n"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("quantize: " + layers + "/" + layers + " steps in "), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("upload: " + layers + "/" + layers + " steps in "), std::string::npos)
      << run.err;
  const ProcessResult quiet = tessera(
      {"run", model(), "-z", tokenizer(), "-n", "4", "-t", "0", "--device", "accel", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("steps"), std::string::npos) << quiet.err;
  EXPECT_EQ(quiet.out, run.out);

  const ProcessResult eval =
      tessera({"eval", model(), "--device", "hls", "--sequences", "2", "--length", "8"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.err.find("eval: 2/2 steps in "), std::string::npos) << eval.err;
  const ProcessResult eval_quiet =
      tessera({"eval", model(), "--device", "hls", "--sequences", "2", "--length", "8", "--quiet"});
  ASSERT_EQ(eval_quiet.exit_code, 0) << eval_quiet.err;
  EXPECT_EQ(eval_quiet.err, "");
  EXPECT_EQ(eval_quiet.out, eval.out);
}

// bench finds a model as run does: a bare name in the model directory.
TEST(CliBenchModel, ResolvesModelNamesAsRunDoes) {
  const std::string dir = testing::real_model_file("stories260K.bin").parent_path().string();
  const ProcessResult bare = tessera({"bench", "decode", "--model", "stories260K.bin",
                                      "--model-dir", dir, "--tokens", "2", "--quiet"});
  EXPECT_EQ(bare.exit_code, 0) << bare.err;
  // prefill runs model shapes only: it offers no --model to fail later.
  const ProcessResult prefill = tessera({"bench", "prefill", "--model", model()});
  EXPECT_EQ(prefill.exit_code, 2);
  EXPECT_NE(prefill.err.find("--model"), std::string::npos) << prefill.err;
}

TEST(CliBenchMemory, ReportsBandwidthAgainstTheBoardsMeasurement) {
  // Shuhai's setup: a traffic generator on each of the 32 pseudo-channels' ports.
  const ProcessResult u280 = tessera({"bench", "memory", "--preset", "u280", "--pattern",
                                      "sequential", "--units", "32", "--json"});
  ASSERT_EQ(u280.exit_code, 0) << u280.err;
  const auto json = nlohmann::json::parse(u280.out);
  const double measured = json.at("measured_gbps").get<double>();  // Shuhai, in the config
  EXPECT_NEAR(json.at("achieved_gbps").get<double>(), measured, 0.03 * measured);
  EXPECT_EQ(json.at("ports"), 32);
  EXPECT_GT(json.at("idle_latency_ns").get<double>(), 150.0);  // more than the fixed latency

  const ProcessResult random = tessera({"bench", "memory", "--preset", "kv260", "--pattern",
                                        "random", "--bytes", "1048576", "--json"});
  ASSERT_EQ(random.exit_code, 0) << random.err;
  const auto random_json = nlohmann::json::parse(random.out);
  EXPECT_EQ(random_json.at("request_bytes"), 64);
  EXPECT_LT(random_json.at("efficiency").get<double>(), 0.5);

  const ProcessResult text = tessera({"bench", "memory", "--preset", "kv260"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("GB/s of 19.2 GB/s peak"), std::string::npos) << text.out;
}

TEST(CliBenchMemory, RejectsImpossibleOptions) {
  const ProcessResult ports = tessera({"bench", "memory", "--preset", "kv260", "--units", "5"});
  EXPECT_EQ(ports.exit_code, 2);
  EXPECT_NE(ports.err.find("--units 5 must be 1..2"), std::string::npos) << ports.err;
  // u280 has more pseudo-channels than unit ports: one generator per channel at most.
  const ProcessResult channels = tessera({"bench", "memory", "--preset", "u280", "--units", "33"});
  EXPECT_EQ(channels.exit_code, 2);
  EXPECT_NE(channels.err.find("--units 33 must be 1..32"), std::string::npos) << channels.err;
  const ProcessResult pattern = tessera({"bench", "memory", "--pattern", "zigzag"});
  EXPECT_EQ(pattern.exit_code, 2);
  const ProcessResult request = tessera({"bench", "memory", "--request", "3000"});
  EXPECT_EQ(request.exit_code, 2);
  EXPECT_NE(request.err.find("must divide the DMA burst"), std::string::npos) << request.err;
}

// A board file's sizes choose the top the rtl fidelity runs: the build verilates one
// for tests/configs/kv260-8x8.json (8x8, 256-word buffers, 32 attention lanes for
// 1,024 positions, no preset's sizes), and its tokens match tlm's on the same board.
TEST(CliBenchModel, RtlRunsTheEngineOfTheBoardFile) {
  const std::string board = std::string(TESSERA_SOURCE_DIR) + "/tests/configs/kv260-8x8.json";
  const ProcessResult r =
      tessera({"bench", "decode", "--model", model(), "--preset", board, "--fidelity", "rtl",
               "--compare-to", "tlm", "--tokens", "3", "--json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json.at("rtl_parameters").at("tessera_accel_top"),
            nlohmann::json::parse(R"({"ROWS": 8, "COLS": 8, "A_DEPTH": 256, "W_DEPTH": 256,
                                      "HS_MAX": 32, "CTX_MAX": 1024, "CHECKSUMS": 0,
                                      "MEM_BYTES": 32})"));
  EXPECT_EQ(json.at("comparison").at("same_tokens"), true);
  EXPECT_EQ(json.at("platform").at("units").at(0).at("unit"), "gemm0");

  // The same board with buffers no engine has: rtl is refused with the reason.
  testing::TempDir dir("board");
  auto copy = nlohmann::json::parse(std::ifstream(board));
  copy["gemm_units"]["buffer_words"] = 1024;
  const std::string other = (dir / "kv260-8x8-1024.json").string();
  std::ofstream(other) << copy.dump(2);
  const ProcessResult refused = tessera({"bench", "decode", "--model", model(), "--preset", other,
                                         "--fidelity", "rtl", "--tokens", "1", "--quiet"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("no Verilated accelerator top of 8x8 with 1024-word buffers, 32 "
                             "attention lanes and 1024 positions"),
            std::string::npos)
      << refused.err;
}

// Each preset's energy model keeps a decode of the stories110m shape within its
// board's published power envelope (KV260 starter kit under 15 W, U280 at most 225 W,
// AMD's data sheets), and reports it per token.
TEST(CliBenchModel, DecodeEnergyStaysWithinTheBoardsEnvelope) {
  for (const auto& [preset, envelope_watts] : {std::pair<const char*, double>{"kv260", 15.0},
                                               std::pair<const char*, double>{"u280", 225.0}}) {
    const ProcessResult r = tessera({"bench", "decode", "--preset", preset, "--model-shape",
                                     "stories110m", "--tokens", "4", "--json", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto energy = nlohmann::json::parse(r.out).at("energy");
    const double watts = energy.at("average_watts").get<double>();
    EXPECT_GT(watts, 0.0) << preset;
    EXPECT_LT(watts, envelope_watts) << preset;
    EXPECT_GT(energy.at("joules_per_token").get<double>(), 0.0) << preset;
    EXPECT_GT(energy.at("joules").at("memory").get<double>(),
              energy.at("joules").at("macs").get<double>())
        << preset << ": decode moves every weight once and multiplies it once";
  }
}

TEST(CliBenchModel, ComparesTwoFidelitiesOnTheSameSteps) {
  const ProcessResult r =
      tessera({"bench", "decode", "--model", model(), "--fidelity", "rtl", "--compare-to", "tlm",
               "--tokens", "3", "--repeat", "2", "--json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // The Verilated design it ran: the accelerator top of the preset's sizes (kv260:
  // 16x16, 4,096-word buffers, 128 attention lanes for 4,096 positions).
  EXPECT_EQ(json.at("rtl_design"), nlohmann::json::array({"tessera_accel_top"}));
  EXPECT_EQ(json.at("rtl_parameters").at("tessera_accel_top"),
            nlohmann::json::parse(R"({"ROWS": 16, "COLS": 16, "A_DEPTH": 4096, "W_DEPTH": 4096,
                                      "HS_MAX": 128, "CTX_MAX": 4096, "CHECKSUMS": 0,
                                      "MEM_BYTES": 64})"));
  const auto& comparison = json.at("comparison");
  EXPECT_EQ(comparison.at("fidelity"), "tlm");
  EXPECT_EQ(comparison.at("same_tokens"), true);
  // The issue's bound (5 %), which the exit code holds too.
  EXPECT_NEAR(comparison.at("simulated_time_ratio").get<double>(), 1.0, 0.05);
  EXPECT_EQ(comparison.at("simulated_time_agrees"), true);
  EXPECT_GT(comparison.at("wall_ratio").get<double>(), 1.0);
  EXPECT_GT(comparison.at("wall_seconds_per_token").get<double>(), 0.0);

  const ProcessResult text = tessera({"bench", "decode", "--model", model(), "--fidelity", "tlm",
                                      "--compare-to", "func", "--tokens", "2", "--quiet"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("compared with func"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("generated tokens identical, simulated time not compared"),
            std::string::npos)
      << text.out;  // func has no timing
}

// A shape at func or rtl (or compared with another fidelity) runs its
// synthetic checkpoint, written once into the cache and reused; at tlm alone it is
// timed without weights.
TEST(CliBenchModel, ShapesRunWithSyntheticWeightsAtEveryFidelity) {
  const auto cache = std::filesystem::temp_directory_path() / "tessera_cli_shape_cache";
  std::filesystem::remove_all(cache);
  const std::map<std::string, std::string> env = {{"XDG_CACHE_HOME", cache.string()}};
  const std::vector<std::string> args = {
      "bench",      "decode", "--model-shape", "stories260k",  "--tokens", "3",
      "--fidelity", "func",   "--json",        "--compare-to", "tlm",      "--quiet"};
  const ProcessResult r = tessera(args, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["model_shape"], "stories260k (synthetic)");
  EXPECT_TRUE(json["comparison"]["same_tokens"].get<bool>());
  const auto file = cache / "tessera" / "synthetic" / "stories260k.bin";
  ASSERT_TRUE(std::filesystem::is_regular_file(file));
  const auto written = std::filesystem::last_write_time(file);
  EXPECT_EQ(tessera(args, env).exit_code, 0);
  EXPECT_EQ(std::filesystem::last_write_time(file), written) << "written again";
  const ProcessResult timing = tessera(
      {"bench", "decode", "--model-shape", "stories260k", "--tokens", "3", "--json", "--quiet"},
      env);
  ASSERT_EQ(timing.exit_code, 0) << timing.err;
  EXPECT_EQ(nlohmann::json::parse(timing.out)["model_shape"], "stories260k");
  std::filesystem::remove_all(cache);
}

TEST(CliBenchModel, RejectsBadArguments) {
  const ProcessResult unknown = tessera({"bench", "decode", "--model-shape", "llama2-70b"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("llama2-70b not in {stories260k,"), std::string::npos) << unknown.err;
  expect_one_line_error(tessera({"bench", "decode"}), 2, "--model-shape or --model");
  expect_one_line_error(
      tessera({"bench", "prefill", "--model-shape", "stories260k", "--fidelity", "func"}), 2,
      "use --fidelity tlm");
  expect_one_line_error(
      tessera({"bench", "decode", "--model-shape", "stories260k", "--repeat", "2"}), 2,
      "--repeat applies to runs with weights");
  const ProcessResult no_runs = tessera({"bench", "decode", "--model", model(), "--repeat", "0"});
  EXPECT_EQ(no_runs.exit_code, 2);
  EXPECT_NE(no_runs.err.find("--repeat: Value 0 not in range 1 to 1000"), std::string::npos)
      << no_runs.err;
  expect_one_line_error(
      tessera({"bench", "decode", "--model-shape", "stories260k", "--context", "600"}), 1,
      "must fit the model's 512 positions");
  expect_one_line_error(
      tessera({"bench", "decode", "--model-shape", "stories260k", "--preset", "nonexistent"}), 2,
      "nonexistent");
  expect_one_line_error(
      tessera({"bench", "decode", "--model", model(), "--preset", "u280", "--fidelity", "rtl"}), 1,
      "32x32");
}

TEST(CliModels, PrintsTheChosenDirectory) {
  const auto dir = testing::real_model_file("stories260K.bin").parent_path();
  const ProcessResult r = tessera({"models", "--print-dir"}, {{"TESSERA_MODEL_DIR", dir.string()}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, dir.string() + "\n");
  const ProcessResult listing = tessera({"models"}, {{"TESSERA_MODEL_DIR", dir.string()}});
  EXPECT_NE(listing.out.find("stories260K.bin: present"), std::string::npos) << listing.out;
}

// Every device gives the same text from llama.cpp's GGUF (its own tokenizer) as from
// the llama2.c file with tok512.bin: greedy with a prompt, and seeded sampling (100
// positions: the golden tests run the reference's full 256).
TEST(CliGguf, EveryDeviceGivesTheTextOfTheLlama2cFile) {
  const std::string gguf = testing::real_model_file("stories260K.gguf").string();
  for (const char* device : {"reference", "hls", "cpu", "accel:kv260:func", "accel:kv260:tlm",
                             "accel:kv260:rtl", "accel:u280:tlm"}) {
    for (const std::vector<std::string>& sampling :
         {std::vector<std::string>{"-t", "0", "-i", "Lily saw a dog", "-n", "100"},
          std::vector<std::string>{"-t", "1.0", "-p", "0.9", "-s", "133742", "-n", "100"}}) {
      std::vector<std::string> from_bin = {"run",     model(),    "-z",  tokenizer(),
                                           "--quiet", "--device", device};
      std::vector<std::string> from_gguf = {"run", gguf, "--quiet", "--device", device};
      from_bin.insert(from_bin.end(), sampling.begin(), sampling.end());
      from_gguf.insert(from_gguf.end(), sampling.begin(), sampling.end());
      const ProcessResult a = tessera(from_gguf), b = tessera(from_bin);
      ASSERT_EQ(a.exit_code, 0) << device << ": " << a.err;
      ASSERT_EQ(b.exit_code, 0) << device << ": " << b.err;
      EXPECT_GT(a.out.size(), 100u) << device;
      EXPECT_EQ(a.out, b.out) << device << " " << sampling[1];
    }
  }
}

TEST(CliGguf, InspectDescribesBothFormats) {
  const ProcessResult gguf = tessera({"inspect", "stories260K.gguf", "--json"});
  ASSERT_EQ(gguf.exit_code, 0) << gguf.err;
  const auto g = nlohmann::json::parse(gguf.out);
  EXPECT_EQ(g.at("format"), "GGUF v3");
  EXPECT_EQ(g.at("config").at("seq_len"), 2048);
  EXPECT_EQ(g.at("tokenizer").at("source"), "embedded (GGUF)");
  EXPECT_EQ(g.at("tokenizer").at("byte_tokens"), 256);
  EXPECT_EQ(g.at("metadata").at("general.architecture"), "\"llama\"");
  ASSERT_EQ(g.at("tensors").size(), 48u);
  EXPECT_EQ(g.at("tensors").at(0).at("name"), "token_embd.weight");
  EXPECT_EQ(g.at("tensors").at(0).at("shape"), nlohmann::json::array({64, 512}));

  const ProcessResult bin = tessera({"inspect", model(), "--json"});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  const auto b = nlohmann::json::parse(bin.out);
  EXPECT_EQ(b.at("format"), "llama2.c legacy fp32");
  EXPECT_EQ(b.at("tokenizer").at("tokens"), 512);
  EXPECT_EQ(b.at("tensors").size(), 11u);

  const ProcessResult text = tessera({"inspect", "stories260K-q8.bin"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Q8_0 g8"), std::string::npos) << text.out;
  expect_one_line_error(tessera({"inspect", tokenizer()}), 1, "a llama2.c tokenizer of 512 tokens");
}

TEST(CliGguf, ModelsListsGgufFiles) {
  const ProcessResult r = tessera({"models"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stories260K.gguf: GGUF, dim 64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tok512.bin: llama2.c tokenizer, 512 tokens"), std::string::npos) << r.out;
}

// Damaged GGUF files: one line naming the file and the problem, exit 1.
TEST(CliGguf, MalformedFilesAreOneLineErrors) {
  const auto original = testing::read_bytes(testing::real_model_file("stories260K.gguf"));
  testing::TempDir dir("cli-gguf");
  const auto truncated = (dir / "truncated.gguf").string();
  testing::write_bytes(truncated, std::vector<char>(original.begin(), original.begin() + 5000));
  for (const char* command : {"run", "inspect"}) {
    expect_one_line_error(tessera({command, truncated}), 1, "truncated.gguf: GGUF: ");
  }
  const auto patched = [&](std::size_t offset, std::uint64_t value, std::size_t size) {
    auto bytes = original;
    std::memcpy(bytes.data() + offset, &value, size);
    const auto path = (dir / "patched.gguf").string();
    testing::write_bytes(path, bytes);
    return path;
  };
  expect_one_line_error(tessera({"run", patched(0, 0x58585858, 4)}), 1, "not a GGUF file");
  expect_one_line_error(tessera({"run", patched(4, 1, 4)}), 1, "version 1 is not supported");
  expect_one_line_error(tessera({"inspect", patched(16, ~0ull, 8)}), 1,
                        "metadata count 18446744073709551615 at byte 24 cannot fit");
  auto no_tokenizer = original;
  const std::string key = "tokenizer.ggml.model";
  const auto at = std::search(no_tokenizer.begin(), no_tokenizer.end(), key.begin(), key.end());
  ASSERT_NE(at, no_tokenizer.end());
  *(at + 10) = 'X';  // tokenizer.gXml.model: the tokenizer's kind is unknown
  const auto renamed = (dir / "renamed.gguf").string();
  testing::write_bytes(renamed, no_tokenizer);
  expect_one_line_error(tessera({"run", renamed}), 1, "has no embedded tokenizer");
  const ProcessResult with_file =
      tessera({"run", renamed, "-z", tokenizer(), "-n", "8", "-t", "0"});
  EXPECT_EQ(with_file.exit_code, 0) << with_file.err;
  EXPECT_EQ(with_file.out.rfind("Once upon", 0), 0u) << with_file.out;
}

}  // namespace
}  // namespace tessera
