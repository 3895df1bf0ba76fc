#pragma once

#include <map>
#include <string>
#include <vector>

namespace tessera::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when the process died by a signal
  std::string out;
  std::string err;
};

// Runs a program with arguments (no shell), capturing stdout and stderr. `env`
// entries are set in the child on top of the inherited environment.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {});

}  // namespace tessera::testing
