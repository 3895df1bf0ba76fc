#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace tessera::models {

// A problem with something the user handed us (a model file, a tokenizer, a path).
// The message is one line, "FILE: problem", so a CLI can print it as it is.
class InputError : public std::runtime_error {
 public:
  InputError(const std::filesystem::path& file, const std::string& problem)
      : std::runtime_error(file.string() + ": " + problem), file_(file), problem_(problem) {}

  const std::filesystem::path& file() const { return file_; }
  const std::string& problem() const { return problem_; }

 private:
  std::filesystem::path file_;
  std::string problem_;
};

}  // namespace tessera::models
