#include "runtime/generation.hpp"

#include <chrono>
#include <stdexcept>

namespace tessera::runtime {

GenerationResult generate(Device& device, const models::Tokenizer& tokenizer,
                          models::Sampler& sampler, const GenerationRequest& request,
                          std::ostream& text_out) {
  using Clock = std::chrono::steady_clock;
  const std::vector<int> prompt = tokenizer.encode(request.prompt, /*bos=*/true, /*eos=*/false);
  GenerationResult result;
  result.prompt_tokens = static_cast<int>(prompt.size());
  result.tokens.push_back(prompt.front());

  const auto started = Clock::now();
  Clock::time_point after_first{};
  int token = prompt.front();
  int pos = 0;
  while (pos < request.steps) {
    const Eigen::VectorXf& logits = device.forward(token, pos);
    const bool in_prompt = pos + 1 < result.prompt_tokens;
    const int next = in_prompt ? prompt[static_cast<std::size_t>(pos) + 1] : sampler.sample(logits);
    ++pos;
    if (pos == 1) after_first = Clock::now();
    if (next == tokenizer.bos_id()) break;  // BOS delimits sequences
    models::Tokenizer::write_safe(text_out, tokenizer.decode(token, next));
    text_out.flush();
    result.tokens.push_back(next);
    token = next;
  }
  text_out << '\n';
  text_out.flush();

  const auto finished = Clock::now();
  result.positions = pos;
  if (pos >= 1) {
    result.seconds_to_first_token = std::chrono::duration<double>(after_first - started).count();
  }
  const double steady_seconds = std::chrono::duration<double>(finished - after_first).count();
  if (pos > 1 && steady_seconds > 0.0) result.tokens_per_second = (pos - 1) / steady_seconds;
  return result;
}

}  // namespace tessera::runtime
