// llama2.c checkpoints (legacy, version 1, version 2) and GGUF files, as `tessera run`
// loads them: any input either loads or throws InputError. Small models that load are
// run for two positions (one if that is all they have), so that every view the
// loader made is read.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/model_summary.hpp"
#include "tessera/models/reference_model.hpp"

namespace {

bool small(const tessera::models::ModelConfig& c) {
  const long long per_layer = 1LL * c.dim * (c.dim + c.hidden_dim);
  return per_layer * c.n_layers < (1 << 20) && 1LL * c.vocab_size * c.dim < (1 << 20);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::models;
  const tessera::fuzz::InputFile input(data, size);
  try {
    summarize_model_file(input.path(), std::nullopt);
  } catch (const InputError&) {
  }
  try {
    const Checkpoint checkpoint = Checkpoint::load(input.path());
    try {
      const Tokenizer tokenizer = tokenizer_for(checkpoint, std::nullopt);
      const std::vector<int> ids = tokenizer.encode("Once upon a time", true, true);
      for (std::size_t i = 1; i < ids.size(); ++i) tokenizer.decode(ids[i - 1], ids[i]);
    } catch (const InputError&) {
    }
    if (!small(checkpoint.config())) return 0;
    // Two positions, or the one a model of seq_len 1 has.
    const int positions = std::min(2, checkpoint.config().seq_len);
    ReferenceModel model(checkpoint, positions);
    model.forward(checkpoint.bos_id() % checkpoint.config().vocab_size, 0);
    if (positions > 1) model.forward(0, 1);
  } catch (const InputError&) {
  }
  return 0;
}
