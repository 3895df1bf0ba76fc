#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "tessera/models/gguf.hpp"
#include "tessera/models/model_config_json.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/model_summary.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

struct InspectOptions {
  std::string model;
  std::optional<std::string> tokenizer;
  std::optional<fs::path> model_dir;
  bool json = false;
};

void print_json(const models::ModelSummary& s) {
  nlohmann::ordered_json out = {{"path", s.path.string()},
                                {"bytes", s.file_bytes},
                                {"format", s.format},
                                {"shape_order", s.shape_order}};
  if (s.config) {
    out["config"] = models::model_config_json(*s.config);
  } else {
    out["config_error"] = s.config_problem;
  }
  if (s.tokenizer) {
    const models::TokenizerSummary& t = *s.tokenizer;
    out["tokenizer"] = {{"source", t.source},
                        {"tokens", t.tokens},
                        {"bos", t.bos},
                        {"eos", t.eos},
                        {"byte_tokens", t.byte_tokens}};
  } else {
    out["tokenizer_error"] = s.tokenizer_problem;
  }
  out["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : s.metadata) out["metadata"][key] = value;
  out["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : s.tensors) {
    out["tensors"].push_back(
        {{"name", t.name}, {"type", t.type}, {"shape", t.shape}, {"bytes", t.bytes}});
  }
  // Text from files may hold any bytes; replace what is not UTF-8 rather than fail.
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void print_text(const models::ModelSummary& s) {
  std::cout << "file       " << s.path.string() << " (" << s.file_bytes << " bytes)\n";
  std::cout << "format     " << s.format << '\n';
  if (s.config) {
    const models::ModelConfig& c = *s.config;
    std::cout << "model      dim " << c.dim << ", hidden_dim " << c.hidden_dim << ", layers "
              << c.n_layers << ", heads " << c.n_heads << " (kv " << c.n_kv_heads << ", head size "
              << c.head_size() << "), vocab " << c.vocab_size << ", context " << c.seq_len
              << ", classifier " << (c.shared_classifier ? "shared" : "separate")
              << ", RMSNorm eps " << c.rms_norm_epsilon << ", RoPE theta " << c.rope_theta << '\n';
  } else {
    std::cout << "model      cannot run: " << s.config_problem << '\n';
  }
  if (s.tokenizer) {
    const models::TokenizerSummary& t = *s.tokenizer;
    std::cout << "tokenizer  " << t.source << ": " << t.tokens << " tokens, BOS " << t.bos
              << ", EOS " << t.eos << ", byte fallback for " << t.byte_tokens << " of 256 bytes\n";
  } else {
    std::cout << "tokenizer  none: " << s.tokenizer_problem << '\n';
  }
  if (!s.metadata.empty()) {
    std::cout << "metadata   " << s.metadata.size() << " keys\n";
    for (const auto& [key, value] : s.metadata) std::cout << "  " << key << " = " << value << '\n';
  }
  std::cout << "tensors    " << s.tensors.size() << ", shapes " << s.shape_order << '\n';
  std::size_t name_width = 0, type_width = 0, shape_width = 0;
  for (const auto& t : s.tensors) {
    name_width = std::max(name_width, t.name.size());
    type_width = std::max(type_width, t.type.size());
    shape_width = std::max(shape_width, models::shape_text(t.shape).size());
  }
  for (const auto& t : s.tensors) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(name_width)) << t.name << "  "
              << std::setw(static_cast<int>(type_width)) << t.type << "  "
              << std::setw(static_cast<int>(shape_width)) << models::shape_text(t.shape) << "  "
              << std::right << std::setw(12) << t.bytes << " bytes\n";
  }
}

int inspect(const InspectOptions& options) {
  const models::ModelDirectory dir = models::find_model_directory(options.model_dir);
  const fs::path model = models::resolve_model_file(options.model, dir);
  std::optional<fs::path> tokenizer;
  if (options.tokenizer) tokenizer = models::resolve_model_file(*options.tokenizer, dir);
  const models::ModelSummary summary = models::summarize_model_file(model, tokenizer);
  if (options.json) {
    print_json(summary);
  } else {
    print_text(summary);
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Describe a model file (llama2.c or GGUF): format, hyperparameters, tokenizer, "
      "metadata and tensors, from its headers (no weights are read)");
  cmd->add_option("MODEL", options->model, "model file: a path, or a name in the model directory")
      ->required();
  cmd->add_option("-z,--tokenizer", options->tokenizer,
                  "llama2.c tokenizer to describe with the model; default: the one a GGUF file "
                  "carries, else the one beside the model");
  cmd->add_option("--model-dir", options->model_dir, "folder to look up model names in");
  cmd->add_flag("--json", options->json, "print one JSON object");
  return {cmd, [options] { return inspect(*options); }};
}

}  // namespace tessera::cli
