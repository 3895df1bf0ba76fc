// Every example command in README.md and docs/*.md runs and exits 0, so the docs
// cannot drift from the command line. Examples are the command lines in fenced code
// blocks (sh or unlabelled) that start with tessera, build/bin/tessera or
// OCL_ICD_VENDORS=...; synopses (with [optional] parts or a|b choices) are not
// commands and are left out.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/subprocess.hpp"

namespace tessera::testing {
namespace {

struct Example {
  std::string file;
  std::string command;
};

std::vector<Example> examples_in(const std::filesystem::path& file) {
  std::vector<Example> found;
  std::ifstream in(file);
  bool in_block = false, runnable = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      const std::string language = line.substr(3);
      runnable = !in_block && (language.empty() || language == "sh");
      in_block = !in_block;
      continue;
    }
    if (!in_block || !runnable) continue;
    while (!line.empty() && line.back() == '\\') {  // continued on the next line
      std::string next;
      if (!std::getline(in, next)) break;
      line.pop_back();
      line += " " + next;
    }
    line = std::regex_replace(line, std::regex("\\s+#.*$"), "");  // a trailing comment
    const bool command = std::regex_search(
        line, std::regex("^(tessera |build/bin/tessera |OCL_ICD_VENDORS=\\S+ clinfo)"));
    const bool synopsis =
        line.find('[') != std::string::npos || line.find(" | ") != std::string::npos;
    if (command && !synopsis) found.push_back({file.filename().string(), line});
  }
  return found;
}

std::vector<Example> all_examples() {
  const std::filesystem::path source(TESSERA_SOURCE_DIR);
  std::vector<Example> all = examples_in(source / "README.md");
  std::vector<std::filesystem::path> docs;
  for (const auto& entry : std::filesystem::directory_iterator(source / "docs")) {
    if (entry.path().extension() == ".md") docs.push_back(entry.path());
  }
  std::sort(docs.begin(), docs.end());
  for (const auto& doc : docs) {
    const auto more = examples_in(doc);
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

// The docs speak of the build in build/ and of the tessera on the PATH; this build's
// binary and vendors folder stand in for both.
std::string as_run_here(std::string command) {
  command = std::regex_replace(command, std::regex("^(build/bin/)?tessera "),
                               std::string(TESSERA_BINARY) + " ");
  return std::regex_replace(command, std::regex("\\$PWD/build/etc/OpenCL/vendors"),
                            TESSERA_ICD_VENDORS);
}

TEST(DocsExamples, EveryCommandInTheDocsRuns) {
  const std::vector<Example> examples = all_examples();
  ASSERT_GE(examples.size(), 10u) << "the docs have lost their examples";
  for (const Example& e : examples) {
#ifdef TESSERA_SANITIZE_BUILD
    if (e.command.find("clinfo") != std::string::npos) continue;  // cannot load this ICD
#endif
    SCOPED_TRACE(e.file + ": " + e.command);
    // From the source tree, where the docs' relative paths (../shared/models) start.
    const ProcessResult r = run_process("/bin/sh", {"-c", "cd '" + std::string(TESSERA_SOURCE_DIR) +
                                                              "' && " + as_run_here(e.command)});
    EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  }
}

}  // namespace
}  // namespace tessera::testing
