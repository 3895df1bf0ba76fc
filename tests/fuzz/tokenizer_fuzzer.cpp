// llama2.c tokenizer files: the first two bytes give the model's vocabulary size
// (1 to 65536), the rest is the file. A tokenizer that loads encodes and decodes.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::models;
  if (size < 2) return 0;
  const int vocab_size = 1 + (data[0] | (data[1] << 8));
  const tessera::fuzz::InputFile input(data + 2, size - 2);
  try {
    const Tokenizer tokenizer = Tokenizer::load(input.path(), vocab_size);
    const std::string text(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 64));
    const std::vector<int> ids = tokenizer.encode(text, true, true);
    for (std::size_t i = 1; i < ids.size(); ++i) tokenizer.decode(ids[i - 1], ids[i]);
    for (int id = 0; id < tokenizer.vocab_size(); ++id) tokenizer.decode(1, id);
  } catch (const InputError&) {
  }
  return 0;
}
