#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/model_config_json.hpp"
#include "tessera/models/model_shapes.hpp"
#include "tessera/models/synthetic_model.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;
using models::CheckpointFormat;

struct SynthModelOptions {
  std::string out;
  std::string shape;
  int dim = 0, hidden_dim = 0, layers = 0, heads = 0, kv_heads = 0, vocab = 0, seq_len = 0;
  bool separate_classifier = false;
  std::uint64_t seed = 0;
  std::string format = "legacy";
  int group_size = 64;
  bool no_tokenizer = false;
  bool json = false;
  bool quiet = false;
};

const std::map<std::string, CheckpointFormat> kFormats = {{"legacy", CheckpointFormat::kLegacyFp32},
                                                          {"v1", CheckpointFormat::kVersion1Fp32},
                                                          {"v2", CheckpointFormat::kVersion2Int8}};

// The shape's fields, then every dimension given on the command line over them.
models::ModelConfig chosen_config(const SynthModelOptions& o) {
  models::ModelConfig c;
  if (!o.shape.empty()) c = models::model_shape(o.shape).config;
  const std::pair<int*, int> overrides[] = {
      {&c.dim, o.dim},        {&c.hidden_dim, o.hidden_dim}, {&c.n_layers, o.layers},
      {&c.n_heads, o.heads},  {&c.n_kv_heads, o.kv_heads},   {&c.vocab_size, o.vocab},
      {&c.seq_len, o.seq_len}};
  for (const auto& [field, value] : overrides) {
    if (value != 0) *field = value;
  }
  if (o.kv_heads == 0 && o.heads != 0) c.n_kv_heads = c.n_heads;  // new heads: no GQA unless asked
  c.shared_classifier = !o.separate_classifier;
  return c;
}

void check_config(const SynthModelOptions& o, const models::ModelConfig& c,
                  const models::SyntheticCheckpointOptions& options) {
  if (o.shape.empty()) {
    for (const auto& [value, name] : {std::pair{o.dim, "--dim"},
                                      {o.hidden_dim, "--hidden-dim"},
                                      {o.layers, "--layers"},
                                      {o.heads, "--heads"},
                                      {o.vocab, "--vocab"},
                                      {o.seq_len, "--seq-len"}}) {
      if (value == 0) throw CLI::RequiredError(std::string(name) + " (or --shape)");
    }
  }
  try {
    models::validate_synthetic_checkpoint(c, o.out, options);
  } catch (const models::InputError& error) {
    const std::string problem = error.what();
    throw CLI::ValidationError("impossible model: " +
                               problem.substr(error.file().string().size() + 2));
  }
}

// The tokenizer beside the model: its path (empty: none) and whether it was written.
struct TokenizerBeside {
  std::string path;
  bool written = false;
};

// tok<vocab>.bin beside the model, the name `tessera run` looks for, unless one is there.
TokenizerBeside write_tokenizer_beside(const SynthModelOptions& o, const models::ModelConfig& c) {
  if (o.no_tokenizer) return {};
  const fs::path tokenizer =
      fs::path(o.out).parent_path() / ("tok" + std::to_string(c.vocab_size) + ".bin");
  std::error_code error;
  if (fs::exists(tokenizer, error)) return {tokenizer.string(), false};
  if (c.vocab_size < models::kSmallestSyntheticVocabulary) {
    std::fprintf(stderr,
                 "synth-model: no tokenizer written: a vocabulary of %d is smaller than the %d "
                 "pieces of byte fallback; pass -z with one of that size to run it\n",
                 c.vocab_size, models::kSmallestSyntheticVocabulary);
    return {};
  }
  models::write_tokenizer(tokenizer, models::synthetic_vocabulary(c.vocab_size));
  return {tokenizer.string(), true};
}

int run_synth_model(const SynthModelOptions& o) {
  const models::ModelConfig c = chosen_config(o);
  models::SyntheticCheckpointOptions options;
  options.seed = o.seed;
  options.format = kFormats.at(o.format);
  options.group_size = o.group_size;
  check_config(o, c, options);
  write_synthetic_checkpoint(c, o.out, options, o.quiet);
  const std::uint64_t bytes =
      models::checkpoint_bytes(c, options.format, options.group_size, o.out);
  const TokenizerBeside tokenizer = write_tokenizer_beside(o, c);
  const auto parameters = static_cast<double>(models::parameter_count(c));
  if (o.json) {
    nlohmann::ordered_json out;
    out["path"] = o.out;
    out["format"] = o.format;
    out["seed"] = o.seed;
    out["config"] = models::model_config_json(c);
    out["parameters"] = models::parameter_count(c);
    out["bytes"] = bytes;
    out["tokenizer"] =
        tokenizer.path.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(tokenizer.path);
    out["tokenizer_written"] = tokenizer.written;
    std::cout << out.dump(2) << '\n';
  } else {
    std::printf("wrote %s: %s, %.1f M parameters, %.1f MB (seed %llu)\n", o.out.c_str(),
                models::to_string(options.format).c_str(), parameters / 1e6,
                static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(o.seed));
    if (!tokenizer.path.empty()) {
      std::printf("tokenizer: %s%s\n", tokenizer.path.c_str(),
                  tokenizer.written ? "" : " (already there)");
    }
  }
  return 0;
}

std::string shape_list() {
  std::string list;
  for (const models::ModelShape& s : models::known_model_shapes()) {
    const models::ModelConfig& c = s.config;
    list += "\n  " + s.name + ": " + s.description + " (dim " + std::to_string(c.dim) +
            ", hidden " + std::to_string(c.hidden_dim) + ", " + std::to_string(c.n_layers) +
            " layers, " + std::to_string(c.n_heads) + "/" + std::to_string(c.n_kv_heads) +
            " heads, vocab " + std::to_string(c.vocab_size) + ", seq " + std::to_string(c.seq_len) +
            ")";
  }
  return list;
}

}  // namespace

void write_synthetic_checkpoint(const models::ModelConfig& config, const fs::path& file,
                                models::SyntheticCheckpointOptions options, bool quiet) {
  constexpr std::uint64_t kMiB = 1 << 20;
  std::unique_ptr<Progress> progress;  // from the first report, which gives the total
  if (!quiet) {
    options.progress = [&progress, &file](std::uint64_t written, std::uint64_t total) {
      if (!progress) {
        progress = std::make_unique<Progress>("write " + file.string() + " (MiB)",
                                              static_cast<int>((total + kMiB - 1) / kMiB));
      }
      progress->update(static_cast<int>((written + kMiB - 1) / kMiB));
    };
  }
  models::write_synthetic_checkpoint(config, file, options);
}

Command add_synth_model_command(CLI::App& app) {
  auto o = std::make_shared<SynthModelOptions>();
  CLI::App* command = app.add_subcommand(
      "synth-model",
      "write a llama2.c checkpoint with deterministic random weights, at a known model's "
      "shape or any other, and a tokenizer for its vocabulary beside it");
  command->footer(
      "Known shapes (every one in the Llama architecture; gpt2-small is GPT-2's sizes "
      "with SwiGLU):" +
      shape_list());
  command->add_option("out", o->out, "checkpoint to write")->required()->check(writable_file());
  command->add_option("--shape", o->shape, "a known model's shape; dimensions given override it")
      ->check(CLI::IsMember(models::model_shape_names()));
  command->add_option("--dim", o->dim, "residual width")->check(at_least(1));
  command->add_option("--hidden-dim", o->hidden_dim, "SwiGLU hidden width")->check(at_least(1));
  command->add_option("--layers", o->layers, "transformer blocks")->check(at_least(1));
  command->add_option("--heads", o->heads, "query heads")->check(at_least(1));
  command->add_option("--kv-heads", o->kv_heads, "key/value heads (default: --heads)")
      ->check(at_least(1));
  command->add_option("--vocab", o->vocab, "vocabulary size")->check(at_least(1));
  command->add_option("--seq-len", o->seq_len, "longest sequence")->check(at_least(1));
  command->add_flag("--separate-classifier", o->separate_classifier,
                    "store a classifier instead of sharing the embedding");
  command->add_option("--seed", o->seed, "weights' seed (same seed, same bytes)")
      ->capture_default_str();
  command
      ->add_option("--format", o->format, "legacy (run.c), v1 (export.py fp32) or v2 (runq.c int8)")
      ->check(CLI::IsMember({"legacy", "v1", "v2"}))
      ->capture_default_str();
  command->add_option("--group-size", o->group_size, "v2's quantization group")
      ->check(at_least(1))
      ->capture_default_str();
  command->add_flag("--no-tokenizer", o->no_tokenizer, "do not write tok<vocab>.bin beside it");
  command->add_flag("--json", o->json, "print what was written as JSON");
  command->add_flag("--quiet", o->quiet, "no progress on stderr");
  return {command, [o] { return run_synth_model(*o); }};
}

}  // namespace tessera::cli
