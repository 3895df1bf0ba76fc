#pragma once

// The driver shared by every Verilated GEMM engine instantiation (one per array
// size, depth and checksums, each its own Verilator class): a template over the
// model class.

#include <verilated.h>

#include <algorithm>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "tessera/sim/rtl_gemm.hpp"
#include "verilator/coverage.hpp"
#include "verilator/fst_trace.hpp"

namespace tessera::sim {

// Verilator maps a port wider than 64 bits to an array of 32-bit words.
template <typename Port>
void set_byte(Port& port, int index, std::int8_t value) {
  auto* words = reinterpret_cast<std::uint32_t*>(&port);
  const int word = index / 4, shift = (index % 4) * 8;
  words[word] = (words[word] & ~(0xffu << shift)) |
                (static_cast<std::uint32_t>(static_cast<std::uint8_t>(value)) << shift);
}

template <typename Port>
std::int32_t get_word(const Port& port, int index) {
  return static_cast<std::int32_t>(reinterpret_cast<const std::uint32_t*>(&port)[index]);
}

// The engine's fault_site and fault_kind codes (rtl/gemm/tessera_gemm_engine.sv).
inline int rtl_fault_site(hls::EngineSite site) {
  switch (site) {
    case hls::EngineSite::kAccumulator:
      return 1;
    case hls::EngineSite::kOperandBuffer:
      return 2;
    case hls::EngineSite::kResultFifo:
      return 3;
  }
  return 0;
}
inline int rtl_fault_kind(hls::BitFault kind) {
  switch (kind) {
    case hls::BitFault::kFlip:
      return 0;
    case hls::BitFault::kStuckAt0:
      return 1;
    case hls::BitFault::kStuckAt1:
      return 2;
  }
  return 0;
}

// Drives the fault ports (the engine's, or the accelerator top's, which pass to it)
// with `f` for the coming jobs, or with none.
template <typename Model>
void set_fault_ports(Model& model, const hls::EngineFault* f) {
  model.fault_site = static_cast<std::uint8_t>(f == nullptr ? 0 : rtl_fault_site(f->site));
  if (f == nullptr) return;
  model.fault_kind = static_cast<std::uint8_t>(rtl_fault_kind(f->kind));
  model.fault_bit = static_cast<std::uint8_t>(f->bit);
  model.fault_tile = static_cast<std::uint32_t>(f->tile);
  model.fault_step = static_cast<std::uint32_t>(f->step);
  model.fault_row = static_cast<std::uint16_t>(f->row);
  model.fault_col = static_cast<std::uint16_t>(f->col);
  model.fault_w_buffer = f->buffer == hls::OperandBuffer::kW ? 1 : 0;
  model.fault_word = static_cast<std::uint32_t>(f->word);
  model.fault_lane = static_cast<std::uint16_t>(f->lane);
}

template <typename Model, int ROWS, int COLS, int DEPTH, bool CHECKSUMS>
class VerilatedGemmEngine final : public RtlGemm {
 public:
  VerilatedGemmEngine() : context_(std::make_unique<VerilatedContext>()) {
    context_->traceEverOn(true);
    model_ = std::make_unique<Model>(context_.get());
    reset();
  }
  ~VerilatedGemmEngine() override {
    trace_.close();
    model_->final();
    write_coverage(*context_, "tessera_gemm_engine");
  }

  hls::ArrayShape array() const override { return {ROWS, COLS}; }
  int buffer_words() const override { return DEPTH; }
  bool checksums() const override { return CHECKSUMS; }

  RtlGemmResult gemm(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                     const RtlStreamOptions& options) override {
    if (m <= 0 || n <= 0 || k <= 0) throw std::invalid_argument("rtl gemm: sizes must be positive");
    if (k > DEPTH) {
      throw std::invalid_argument("rtl gemm: K = " + std::to_string(k) + " exceeds the " +
                                  std::to_string(DEPTH) + "-word operand buffers");
    }
    half_period_ps_ = trace_.begin_job(*model_, *context_, options);
    rng_.seed(options.seed);
    options_ = options;
    RtlGemmResult result;
    const std::uint64_t clocks_before = cycles_;
    result.c.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(n), 0);
    const int m_tiles = (m + ROWS - 1) / ROWS, n_tiles = (n + COLS - 1) / COLS;
    const int tiles_per_job = std::max(1, DEPTH / k);
    if (options.fault != nullptr &&
        (tiles_per_job < m_tiles || tiles_per_job < n_tiles ||
         !hls::fault_fits(*options.fault, {ROWS, COLS}, m_tiles, n_tiles, k, CHECKSUMS))) {
      throw std::invalid_argument(
          "rtl gemm: a fault needs a GEMM of one engine job and names state the engine has");
    }
    for (int mt0 = 0; mt0 < m_tiles; mt0 += tiles_per_job) {
      for (int nt0 = 0; nt0 < n_tiles; nt0 += tiles_per_job) {
        Job job{a,
                w,
                m,
                n,
                k,
                mt0,
                std::min(tiles_per_job, m_tiles - mt0),
                nt0,
                std::min(tiles_per_job, n_tiles - nt0)};
        job.grid_n_tiles = n_tiles;
        run_job(job, result);
        ++result.jobs;
      }
    }
    result.simulated_cycles = cycles_ - clocks_before;
    return result;
  }

  RtlGemmResult gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                     const RtlStreamOptions& options) override {
    if (n <= 0 || k < ROWS) {
      throw std::invalid_argument("rtl gemv: N must be positive and K at least " +
                                  std::to_string(ROWS));
    }
    if (options.fault != nullptr &&
        !hls::vector_fault_fits(*options.fault, {ROWS, COLS}, n, k, CHECKSUMS)) {
      throw std::invalid_argument("rtl gemv: the fault names state the engine does not have");
    }
    if ((k + ROWS - 1) / ROWS > DEPTH) {
      throw std::invalid_argument("rtl gemv: K = " + std::to_string(k) + " exceeds the " +
                                  std::to_string(DEPTH) + "-word A buffer");
    }
    half_period_ps_ = trace_.begin_job(*model_, *context_, options);
    rng_.seed(options.seed);
    options_ = options;
    RtlGemmResult result;
    const std::uint64_t clocks_before = cycles_;
    result.c.assign(static_cast<std::size_t>(n), 0);
    Job job{a, w, 1, n, k, 0, 1, 0, (n + COLS - 1) / COLS};
    job.vector = true;
    run_job(job, result);
    result.jobs = 1;
    result.simulated_cycles = cycles_ - clocks_before;
    return result;
  }

  void start_then_reset(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                        int cycles) override {
    rng_.seed(1);
    options_ = RtlStreamOptions{};
    Job job{a, w, m, n, k, 0, (m + ROWS - 1) / ROWS, 0, (n + COLS - 1) / COLS};
    begin(job, false);
    std::size_t next_a = 0, next_w = 0;
    for (int i = 0; i < cycles; ++i) step(job, next_a, next_w, nullptr);
    reset();
  }

 private:
  struct Job {
    const std::int8_t* a;
    const std::int8_t* w;
    int m, n, k;
    int mt0, m_tiles, nt0, n_tiles;
    bool vector = false;   // a GEMV job: A packed, W on the vector stream
    int grid_n_tiles = 0;  // of the whole GEMM, to number its tiles

    std::size_t a_words() const {
      return vector ? static_cast<std::size_t>((k + ROWS - 1) / ROWS)
                    : static_cast<std::size_t>(m_tiles) * static_cast<std::size_t>(k);
    }
    std::size_t w_words() const {
      return vector ? 0 : static_cast<std::size_t>(n_tiles) * static_cast<std::size_t>(k);
    }
    std::size_t v_beats() const {
      return vector ? static_cast<std::size_t>((n_tiles + ROWS - 1) / ROWS) *
                          static_cast<std::size_t>(k)
                    : 0;
    }
  };

  // Rising edge, then the clock goes low again; the falling edge is evaluated
  // together with the next cycle's inputs (nothing in the engine uses it).
  void tick() {
    model_->clk = 1;
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
    model_->clk = 0;
    ++cycles_;
  }

  void reset() {
    model_->rst_n = 0;
    model_->start = 0;
    model_->a_valid = 0;
    model_->w_valid = 0;
    model_->v_valid = 0;
    model_->vector_job = 0;
    model_->c_ready = 0;
    model_->fault_site = 0;
    model_->clk = 0;
    model_->eval();
    for (int i = 0; i < 2; ++i) tick();
    model_->rst_n = 1;
  }

  // Operand word `index` of the job's A (or W) stream: column k of a row tile
  // (vector jobs: ROWS consecutive bytes of A).
  void pack_a(const Job& j, std::size_t index) {
    if (j.vector) {
      for (int r = 0; r < ROWS; ++r) {
        const long at = static_cast<long>(index) * ROWS + r;
        set_byte(model_->a_data, r, at < j.k ? j.a[at] : std::int8_t{0});
      }
      return;
    }
    const int tile = j.mt0 + static_cast<int>(index / static_cast<std::size_t>(j.k));
    const int kk = static_cast<int>(index % static_cast<std::size_t>(j.k));
    for (int r = 0; r < ROWS; ++r) {
      const int row = tile * ROWS + r;
      set_byte(model_->a_data, r,
               row < j.m ? j.a[static_cast<long>(row) * j.k + kk] : std::int8_t{0});
    }
  }
  void pack_w(const Job& j, std::size_t index) {
    const int tile = j.nt0 + static_cast<int>(index / static_cast<std::size_t>(j.k));
    const int kk = static_cast<int>(index % static_cast<std::size_t>(j.k));
    for (int c = 0; c < COLS; ++c) {
      const int col = tile * COLS + c;
      set_byte(model_->w_data, c,
               col < j.n ? j.w[static_cast<long>(col) * j.k + kk] : std::int8_t{0});
    }
  }

  // Vector beat `index` (tile t, step kk): lane r*COLS + c is W row (t*ROWS + r)*COLS + c.
  void pack_v(const Job& j, std::size_t index) {
    const long t = static_cast<long>(index / static_cast<std::size_t>(j.k));
    const long kk = static_cast<long>(index % static_cast<std::size_t>(j.k));
    for (int lane = 0; lane < ROWS * COLS; ++lane) {
      const long row = t * ROWS * COLS + lane;
      set_byte(model_->v_data, lane, row < j.n ? j.w[row * j.k + kk] : std::int8_t{0});
    }
  }

  bool chance(double rate) {
    return rate >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
  }

  void begin(const Job& j, bool preloaded) {
    model_->m_tiles = static_cast<std::uint16_t>(j.m_tiles);
    model_->n_tiles = static_cast<std::uint16_t>(j.n_tiles);
    model_->k_len = static_cast<std::uint32_t>(j.k);
    model_->preloaded = preloaded ? 1 : 0;
    model_->vector_job = j.vector ? 1 : 0;
    model_->start = 1;
    model_->eval();
    tick();
    model_->start = 0;
  }

  // One clock of a running job: offer operands, accept a result row, advance.
  void step(const Job& j, std::size_t& next_a, std::size_t& next_w, RtlGemmResult* out) {
    const bool offer_a = next_a < j.a_words() && chance(options_.operand_valid_rate);
    const bool offer_w = next_w < j.w_words() && chance(options_.operand_valid_rate);
    const bool offer_v = next_v_ < j.v_beats() && chance(options_.operand_valid_rate);
    if (offer_a) pack_a(j, next_a);
    if (offer_w) pack_w(j, next_w);
    if (offer_v) pack_v(j, next_v_);
    model_->a_valid = offer_a ? 1 : 0;
    model_->w_valid = offer_w ? 1 : 0;
    model_->v_valid = offer_v ? 1 : 0;
    model_->c_ready = chance(options_.result_ready_rate) ? 1 : 0;
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
    if (model_->a_valid && model_->a_ready) ++next_a;
    if (model_->w_valid && model_->w_ready) ++next_w;
    if (model_->v_valid && model_->v_ready) ++next_v_;
    if (out != nullptr && model_->c_valid && model_->c_ready) take_row(j, *out);
    tick();
  }

  void take_row(const Job& j, RtlGemmResult& out) {
    if (j.vector) {  // beat b holds outputs [b * COLS, (b + 1) * COLS)
      for (int c = 0; c < COLS; ++c) {
        const long col = static_cast<long>(rows_taken_) * COLS + c;
        if (col < j.n) out.c[static_cast<std::size_t>(col)] = get_word(model_->c_data, c);
      }
      ++rows_taken_;
      return;
    }
    const long tile_rows = static_cast<long>(rows_taken_ / static_cast<std::size_t>(ROWS));
    const int r = static_cast<int>(rows_taken_ % static_cast<std::size_t>(ROWS));
    const int mt = j.mt0 + static_cast<int>(tile_rows / j.n_tiles);
    const int nt = j.nt0 + static_cast<int>(tile_rows % j.n_tiles);
    const int row = mt * ROWS + r;
    for (int c = 0; c < COLS; ++c) {
      const int col = nt * COLS + c;
      if (row < j.m && col < j.n) {
        out.c[static_cast<std::size_t>(row) * static_cast<std::size_t>(j.n) +
              static_cast<std::size_t>(col)] = get_word(model_->c_data, c);
      }
    }
    ++rows_taken_;
  }

  // What the checker found in the job, its tiles numbered in the GEMM's grid (a
  // vector job is one job: its tiles are the GEMV's).
  void take_checks(const Job& j, hls::ChecksumReport& checks) const {
    const int failed = static_cast<int>(model_->checksum_fails);
    if (failed == 0) return;
    const int tile = static_cast<int>(model_->checksum_tile);
    const int first =
        j.vector ? tile : (j.mt0 + tile / j.n_tiles) * j.grid_n_tiles + j.nt0 + tile % j.n_tiles;
    if (checks.failing_tiles == 0) checks.first_failing_tile = first;
    checks.failing_tiles += failed;
  }

  void run_job(const Job& j, RtlGemmResult& out) {
    std::size_t next_a = 0, next_w = 0;
    if (options_.preload_operands) preload(j);
    rows_taken_ = 0;
    next_v_ = 0;
    set_fault_ports(*model_, options_.fault);
    begin(j, options_.preload_operands);
    const std::uint64_t limit =
        cycles_ + 64 +
        64ull * static_cast<std::uint64_t>(j.k + COLS + ROWS) *
            static_cast<std::uint64_t>(j.m_tiles * j.n_tiles + j.m_tiles + j.n_tiles) *
            static_cast<std::uint64_t>(
                1.0 / std::min(options_.operand_valid_rate, options_.result_ready_rate) + 1);
    while (!model_->done) {
      if (cycles_ > limit) throw std::runtime_error("rtl gemm: the engine stopped making progress");
      step(j, next_a, next_w, &out);
    }
    set_fault_ports(*model_, nullptr);
    if (model_->error) throw std::runtime_error("rtl gemm: the engine rejected the job sizes");
    take_checks(j, out.checks);
    out.cycles += model_->cycles;
    out.compute_cycles += model_->compute_cycles;
    out.stall_cycles += model_->stall_cycles;
    out.load_wait_cycles += model_->load_wait_cycles;
    // The done pulse lasts one cycle.
    model_->c_ready = 0;
    model_->a_valid = 0;
    model_->w_valid = 0;
    model_->v_valid = 0;
    tick();
  }

  // Fills the operand buffers as an earlier job would have: a job streams them in,
  // then a reset ends it before it computes (only control state resets; the buffers
  // keep what they hold). The measured job then computes with operands on chip.
  void preload(const Job& j) {
    RtlStreamOptions saved = options_;
    options_.operand_valid_rate = 1.0;
    options_.result_ready_rate = 1.0;
    std::size_t next_a = 0, next_w = 0;
    next_v_ = 0;
    begin(j, false);
    while (next_a < j.a_words() || next_w < j.w_words()) step(j, next_a, next_w, nullptr);
    reset();
    options_ = saved;
  }

  std::unique_ptr<VerilatedContext> context_;
  std::uint64_t half_period_ps_ = FstTrace::half_period_ps(300);
  std::unique_ptr<Model> model_;
  FstTrace trace_;
  std::mt19937 rng_;
  RtlStreamOptions options_;
  std::uint64_t cycles_ = 0;
  std::size_t rows_taken_ = 0;
  std::size_t next_v_ = 0;  // vector beats taken by the engine in the current job
};

}  // namespace tessera::sim
