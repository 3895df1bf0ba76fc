#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "runtime/device.hpp"
#include "tessera/models/sampler.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::runtime {

struct GenerationRequest {
  std::string prompt;  // may be empty: generation then starts from BOS alone
  int steps = 256;     // positions to run, prompt included (llama2.c's -n)
};

struct GenerationResult {
  std::vector<int> tokens;              // every token fed to or produced by the model, BOS first
  int prompt_tokens = 0;                // BOS and the encoded prompt
  int positions = 0;                    // forward passes run
  double seconds_to_first_token = 0.0;  // until the first forward pass returned
  double tokens_per_second = 0.0;       // llama2.c's measure: after the first position
};

// llama2.c's generate loop: feeds the prompt, then samples until `steps` positions
// have run or BOS is sampled, printing each piece to text_out as llama2.c prints it
// (with the final newline).
GenerationResult generate(Device& device, const models::Tokenizer& tokenizer,
                          models::Sampler& sampler, const GenerationRequest& request,
                          std::ostream& text_out);

}  // namespace tessera::runtime
