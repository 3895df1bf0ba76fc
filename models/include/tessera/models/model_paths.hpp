#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {

// The model tessera runs when none is named, and where it comes from.
inline constexpr const char* kDefaultModelFile = "stories260K.bin";
inline constexpr const char* kModelDirEnvironment = "TESSERA_MODEL_DIR";
inline constexpr const char* kModelDownloadPage =
    "https://huggingface.co/karpathy/tinyllamas/tree/main/stories260K";

struct ModelDirectory {
  std::filesystem::path path;
  std::string origin;  // how it was chosen, for messages: "--model-dir", ...
};

// Where model files are looked up, first match wins: the --model-dir flag, then
// $TESSERA_MODEL_DIR, then ../shared/models beside the source checkout, then the
// download cache ($XDG_CACHE_HOME or ~/.cache, /tessera/models) that
// scripts/fetch-models fills. With none present, the checkout's folder is returned
// so that error messages name where files were expected.
ModelDirectory find_model_directory(const std::optional<std::filesystem::path>& flag);

// The candidates above, in order, with their origins (for `tessera models`).
std::vector<ModelDirectory> model_directory_candidates(
    const std::optional<std::filesystem::path>& flag);

// A path given on the command line: used as is when it exists, else looked up by
// name in the model directory. Throws InputError saying where to get the file.
std::filesystem::path resolve_model_file(const std::string& name, const ModelDirectory& dir);

// The tokenizer to use when -z is not given: tokenizer.bin (llama2.c's default) in
// the working directory or beside the model, else tok<vocab_size>.bin beside the
// model (tok512.bin for stories260K). Throws InputError when none exists.
std::filesystem::path default_tokenizer(const std::filesystem::path& model, int vocab_size);

// The tokenizer a command uses: `file` when one is given (-z), else the one the model
// file carries (GGUF), else default_tokenizer() beside the model.
Tokenizer tokenizer_for(const Checkpoint& checkpoint,
                        const std::optional<std::filesystem::path>& file);

// Where checkpoints synthesized for a known shape are kept between runs:
// ($XDG_CACHE_HOME or ~/.cache)/tessera/synthetic, else the temporary directory.
std::filesystem::path synthetic_model_directory();

}  // namespace tessera::models
