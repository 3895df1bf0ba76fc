#include <verilated.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "Vtessera_attention_unit.h"
#include "tessera/sim/rtl_attention.hpp"
#include "verilator/coverage.hpp"
#include "verilator/fst_trace.hpp"
#include "verilator/gemm_engine_driver.hpp"

namespace tessera::sim {
namespace {

constexpr int kHeadMax = TESSERA_RTL_ATTENTION_HEAD_MAX;
constexpr int kContextMax = TESSERA_RTL_ATTENTION_CONTEXT_MAX;

std::uint32_t float_bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

class VerilatedAttentionUnit final : public RtlAttention {
 public:
  VerilatedAttentionUnit() : context_(std::make_unique<VerilatedContext>()) {
    context_->traceEverOn(true);
    model_ = std::make_unique<Vtessera_attention_unit>(context_.get());
    reset();
  }
  ~VerilatedAttentionUnit() override {
    trace_.close();
    model_->final();
    write_coverage(*context_, "tessera_attention_unit");
  }

  int head_size_max() const override { return kHeadMax; }
  int context_max() const override { return kContextMax; }

  RtlAttentionStats attention(const hls::AttentionArgs& g,
                              const RtlStreamOptions& options) override {
    check(g);
    half_period_ps_ = trace_.begin_job(*model_, *context_, options);
    rng_.seed(options.seed);
    options_ = options;
    RtlAttentionStats stats;
    // A GQA group's heads follow each other; all but its first replay the K/V the
    // unit kept from the first.
    const int group = g.n_heads / g.n_kv_heads;
    for (int j = 0; j < g.n_queries; ++j) {
      for (int h = 0; h < g.n_heads; ++h) {
        stats.cycles += run_head(g, j, h, h % group != 0);
        ++stats.jobs;
      }
    }
    return stats;
  }

  void start_then_reset(const hls::AttentionArgs& g, int cycles) override {
    check(g);
    options_ = RtlStreamOptions{};
    begin(g, 0, 0, false);
    int t = 0;
    for (int i = 0; i < cycles; ++i) step(g, 0, 0, t);
    reset();
  }

 private:
  void check(const hls::AttentionArgs& g) const {
    const hls::Status status = hls::validate(g, kHeadMax, kContextMax);
    if (status != hls::Status::kOk) {
      throw std::invalid_argument("rtl attention: " + hls::describe(status) +
                                  " (unit: head size <= " + std::to_string(kHeadMax) +
                                  ", context <= " + std::to_string(kContextMax) + ")");
    }
  }

  void tick() {
    model_->clk = 1;
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
    model_->clk = 0;
  }

  void settle() {
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
  }

  void reset() {
    model_->rst_n = 0;
    model_->start = 0;
    model_->replay = 0;
    model_->kv_valid = 0;
    model_->out_ready = 0;
    model_->clk = 0;
    model_->eval();
    for (int i = 0; i < 2; ++i) tick();
    model_->rst_n = 1;
  }

  long kv_row(const hls::AttentionArgs& g, int head, int t) const {
    return static_cast<long>(t) * g.n_kv_heads + head / (g.n_heads / g.n_kv_heads);
  }

  void begin(const hls::AttentionArgs& g, int query, int head, bool replay) {
    const long q_offset = (static_cast<long>(query) * g.n_heads + head) * g.head_size;
    for (int i = 0; i < kHeadMax; ++i) {
      set_byte(model_->q, i, i < g.head_size ? g.q[q_offset + i] : std::int8_t{0});
    }
    model_->q_scale = float_bits(g.q_scale[static_cast<long>(query) * g.n_heads + head]);
    model_->positions = static_cast<std::uint16_t>(g.first_position + query + 1);
    model_->start = 1;
    model_->replay = replay ? 1 : 0;
    settle();
    tick();
    model_->start = 0;
    model_->replay = 0;
    if (model_->error) throw std::runtime_error("rtl attention: the unit rejected the job");
  }

  bool chance(double rate) {
    return rate >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
  }

  // One clock: offer position t's keys and values, accept the result.
  bool step(const hls::AttentionArgs& g, int query, int head, int& t) {
    const int positions = g.first_position + query + 1;
    const bool offer = t < positions && chance(options_.operand_valid_rate);
    if (offer) {
      const long row = kv_row(g, head, t);
      for (int i = 0; i < kHeadMax; ++i) {
        set_byte(model_->kv_k, i, i < g.head_size ? g.k[row * g.head_size + i] : std::int8_t{0});
        set_byte(model_->kv_v, i, i < g.head_size ? g.v[row * g.head_size + i] : std::int8_t{0});
      }
      model_->kv_k_scale = float_bits(g.k_scale[row]);
      model_->kv_v_scale = float_bits(g.v_scale[row]);
    }
    model_->kv_valid = offer ? 1 : 0;
    model_->out_ready = chance(options_.result_ready_rate) ? 1 : 0;
    settle();
    if (model_->kv_valid && model_->kv_ready) ++t;
    const bool done = model_->out_valid && model_->out_ready;
    if (done) take_result(g, query, head);
    tick();
    return done;
  }

  void take_result(const hls::AttentionArgs& g, int query, int head) {
    const long at = static_cast<long>(query) * g.n_heads + head;
    for (int i = 0; i < g.head_size; ++i)
      g.out[at * g.head_size + i] = get_word(model_->out_acc, i);
    g.norm[at] = {static_cast<std::int64_t>(model_->out_max_weight),
                  static_cast<std::uint64_t>(model_->out_exp_sum),
                  static_cast<std::int32_t>(model_->out_exponent)};
  }

  std::uint64_t run_head(const hls::AttentionArgs& g, int query, int head, bool replay) {
    begin(g, query, head, replay);
    const int positions = g.first_position + query + 1;
    const double rate = std::min(options_.operand_valid_rate, options_.result_ready_rate);
    const long limit = static_cast<long>((4.0 * positions + 200) / std::max(rate, 0.01));
    int t = replay ? positions : 0;  // a replay takes no stream
    for (long i = 0;; ++i) {
      if (i > limit) throw std::runtime_error("rtl attention: the unit stopped making progress");
      if (step(g, query, head, t)) break;
    }
    if (model_->error) throw std::runtime_error("rtl attention: the unit flagged a bad scale");
    return model_->cycles;
  }

  std::unique_ptr<VerilatedContext> context_;
  std::uint64_t half_period_ps_ = FstTrace::half_period_ps(300);
  std::unique_ptr<Vtessera_attention_unit> model_;
  FstTrace trace_;
  std::mt19937 rng_;
  RtlStreamOptions options_;
};

}  // namespace

std::unique_ptr<RtlAttention> make_rtl_attention() {
  return std::make_unique<VerilatedAttentionUnit>();
}

}  // namespace tessera::sim
