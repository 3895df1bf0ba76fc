#pragma once

#include <memory>
#include <string>

#include "tessera/models/checkpoint.hpp"
#include "tessera/models/mapped_file.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models::detail {

// What a format's loader hands to Checkpoint.
struct CheckpointParts {
  CheckpointFormat format = CheckpointFormat::kLegacyFp32;
  ModelConfig config;
  std::shared_ptr<const void> storage;        // keeps the bytes behind the views alive
  std::shared_ptr<const MappedFile> mapping;  // the file, when weights are read in place
  std::shared_ptr<const ModelWeights> weights;
  std::shared_ptr<const Tokenizer> tokenizer;  // a tokenizer the file carries
  std::string tokenizer_problem;               // why the file's tokenizer is unusable
};

CheckpointParts load_gguf(const std::shared_ptr<const MappedFile>& file);

}  // namespace tessera::models::detail
