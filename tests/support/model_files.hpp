#pragma once

#include <filesystem>
#include <string>

namespace tessera::testing {

// The real model files, found in the default model directory (the same search the
// CLI uses). A missing file throws with the message saying where to get it, so the
// test that needed it fails loudly instead of being skipped.
std::filesystem::path real_model_file(const std::string& name);

// A fresh, empty folder for one test's files, removed at process exit is not
// guaranteed: it lives under the system temp folder with a unique name.
std::filesystem::path make_temp_dir(const std::string& stem);

}  // namespace tessera::testing
