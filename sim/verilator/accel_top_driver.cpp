#include <verilated.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>

#include "Vtessera_accel_top.h"
#include "tessera/sim/rtl_accelerator.hpp"
#include "verilator/coverage.hpp"
#include "verilator/gemm_engine_driver.hpp"

namespace tessera::sim {
namespace {

constexpr int kSize = TESSERA_RTL_TOP_SIZE;
constexpr std::size_t kWordBytes = kSize;
constexpr int kHeadMax = TESSERA_RTL_TOP_HEAD_MAX;

constexpr AttentionRecords kRecords{kHeadMax, kSize};

class VerilatedAccelerator final : public RtlAccelerator {
 public:
  VerilatedAccelerator() : context_(std::make_unique<VerilatedContext>()) {
    model_ = std::make_unique<Vtessera_accel_top>(context_.get());
    model_->rst_n = 0;
    model_->clk = 0;
    model_->eval();
    for (int i = 0; i < 2; ++i) cycle();
    model_->rst_n = 1;
  }
  ~VerilatedAccelerator() override {
    model_->final();
    write_coverage(*context_, "tessera_accel_top");
  }

  hls::ArrayShape array() const override { return {kSize, kSize}; }
  int head_size_max() const override { return kHeadMax; }

  std::uint64_t attention(const hls::AttentionArgs& g, const MemoryModel& memory) override {
    const hls::Status status = hls::validate(g, kHeadMax, 1024);
    if (status != hls::Status::kOk)
      throw std::invalid_argument("rtl accelerator: " + hls::describe(status));
    memory_ = memory;
    rng_.seed(memory.seed);
    std::uint64_t cycles = 0;
    for (int j = 0; j < g.n_queries; ++j) {
      for (int h = 0; h < g.n_heads; ++h) cycles += attention_job(g, j, h);
    }
    return cycles;
  }

  void write_memory(std::uint32_t address, const std::vector<std::uint8_t>& bytes) override {
    if (dram_.size() < address + bytes.size()) dram_.resize(address + bytes.size(), 0);
    std::copy(bytes.begin(), bytes.end(), dram_.begin() + address);
  }

  void run(int cycles) override {
    for (int i = 0; i < cycles; ++i) cycle();
  }

  std::uint32_t read_register(std::uint8_t offset) override {
    model_->csr_read = 1;
    model_->csr_addr = offset;
    model_->eval();
    const std::uint32_t value = model_->csr_rdata;
    model_->csr_read = 0;
    return value;
  }

  void write_register(std::uint8_t offset, std::uint32_t value) override {
    model_->csr_write = 1;
    model_->csr_addr = offset;
    model_->csr_wdata = value;
    cycle();
    model_->csr_write = 0;
  }

  AcceleratorRun gemm(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                      const MemoryModel& memory) override {
    memory_ = memory;
    rng_.seed(memory.seed);
    const int m_tiles = (m + kSize - 1) / kSize, n_tiles = (n + kSize - 1) / kSize;
    const std::size_t a_bytes = tiled_bytes(m, k, kSize), w_bytes = tiled_bytes(n, k, kSize);
    const std::size_t c_bytes = result_bytes(m, n, kSize, kSize);
    const std::uint32_t a_addr = 0x1000, w_addr = static_cast<std::uint32_t>(a_addr + a_bytes),
                        c_addr = static_cast<std::uint32_t>(w_addr + w_bytes);
    dram_.assign(c_addr + c_bytes, 0xcd);
    pack_tiled(a, m, k, kSize, &dram_[a_addr]);
    pack_tiled(w, n, k, kSize, &dram_[w_addr]);
    write_register(reg::kMTiles, static_cast<std::uint32_t>(m_tiles));
    write_register(reg::kNTiles, static_cast<std::uint32_t>(n_tiles));
    write_register(reg::kK, static_cast<std::uint32_t>(k));
    write_register(reg::kAAddr, a_addr);
    write_register(reg::kWAddr, w_addr);
    write_register(reg::kCAddr, c_addr);
    write_register(reg::kCtrl, 1);
    const std::uint64_t limit = 1000 +
                                64ull * (a_bytes + w_bytes + c_bytes) / kWordBytes *
                                    static_cast<std::uint64_t>(memory.read_latency + 2) +
                                100ull * static_cast<std::uint64_t>(m_tiles * n_tiles) *
                                    static_cast<std::uint64_t>(k + 2 * kSize);
    for (std::uint64_t i = 0; !(read_register(reg::kStatus) & reg::kStatusDone); ++i) {
      if (i > limit) throw std::runtime_error("rtl accelerator: no DONE; the job hangs");
      cycle();
    }
    if (read_register(reg::kStatus) & reg::kStatusError) {
      throw std::runtime_error("rtl accelerator: STATUS.ERROR, the engine rejected the sizes");
    }
    AcceleratorRun run;
    run.cycles = (static_cast<std::uint64_t>(read_register(reg::kCyclesHi)) << 32) |
                 read_register(reg::kCyclesLo);
    run.stall_cycles = (static_cast<std::uint64_t>(read_register(reg::kStallHi)) << 32) |
                       read_register(reg::kStallLo);
    run.load_wait_cycles = (static_cast<std::uint64_t>(read_register(reg::kLoadWaitHi)) << 32) |
                           read_register(reg::kLoadWaitLo);
    run.c.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(n), 0);
    unpack_results(&dram_[c_addr], m, n, kSize, kSize, run.c.data());
    return run;
  }

 private:
  std::uint64_t attention_job(const hls::AttentionArgs& g, int query, int head) {
    const int positions = g.first_position + query + 1;
    const int kv_head = head / (g.n_heads / g.n_kv_heads);
    const std::size_t q_addr = 0x100, kv_addr = q_addr + kRecords.query_bytes();
    const std::size_t out_addr =
        kv_addr + static_cast<std::size_t>(positions) * kRecords.kv_bytes();
    dram_.assign(out_addr + kRecords.result_bytes(), 0);
    const long q_row = static_cast<long>(query) * g.n_heads + head;
    kRecords.pack_query(g, query, head, &dram_.at(q_addr));
    for (int t = 0; t < positions; ++t) {
      const std::size_t at = kv_addr + static_cast<std::size_t>(t) * kRecords.kv_bytes();
      (void)dram_.at(at + kRecords.kv_bytes() - 1);  // bounds
      kRecords.pack_kv(g, t, kv_head, &dram_[at]);
    }
    write_register(reg::kAttPositions, static_cast<std::uint32_t>(positions));
    write_register(reg::kAttQAddr, static_cast<std::uint32_t>(q_addr));
    write_register(reg::kAttKvAddr, static_cast<std::uint32_t>(kv_addr));
    write_register(reg::kAttOutAddr, static_cast<std::uint32_t>(out_addr));
    write_register(reg::kAttCtrl, 1);
    const std::uint64_t limit = 2000 + 20ull * static_cast<std::uint64_t>(positions) *
                                           (kRecords.kv_bytes() / kWordBytes + 4) *
                                           static_cast<std::uint64_t>(memory_.read_latency + 2);
    for (std::uint64_t i = 0; !(read_register(reg::kAttStatus) & reg::kStatusDone); ++i) {
      if (i > limit) throw std::runtime_error("rtl accelerator: no ATT_STATUS.DONE; the job hangs");
      cycle();
    }
    if (read_register(reg::kAttStatus) & reg::kStatusError) {
      throw std::runtime_error("rtl accelerator: ATT_STATUS.ERROR");
    }
    (void)dram_.at(out_addr + kRecords.result_bytes() - 1);  // bounds
    kRecords.unpack_result(&dram_[out_addr], g.head_size, &g.out[q_row * g.head_size],
                           &g.norm[q_row]);
    return (static_cast<std::uint64_t>(read_register(reg::kAttCyclesHi)) << 32) |
           read_register(reg::kAttCyclesLo);
  }

  bool chance(double rate) {
    return rate >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
  }

  // One clock with the memory model answering the top's ports.
  void cycle() {
    // Responses whose latency has elapsed go out, one per cycle, in order.
    const bool respond = !pending_.empty() && pending_.front().ready_at <= cycles_;
    model_->mem_rsp_valid = respond ? 1 : 0;
    if (respond) {
      for (std::size_t b = 0; b < kWordBytes; ++b) {
        set_byte(model_->mem_rsp_data, static_cast<int>(b),
                 static_cast<std::int8_t>(dram_.at(pending_.front().addr + b)));
      }
    }
    model_->mem_rd_ready = chance(memory_.read_ready_rate) ? 1 : 0;
    model_->mem_wr_ready = chance(memory_.write_ready_rate) ? 1 : 0;
    model_->eval();
    if (respond) pending_.pop_front();
    if (model_->mem_rd_valid && model_->mem_rd_ready) {
      pending_.push_back(
          {model_->mem_rd_addr, cycles_ + static_cast<std::uint64_t>(memory_.read_latency)});
    }
    if (model_->mem_wr_valid && model_->mem_wr_ready) {
      for (std::size_t b = 0; b < kWordBytes; ++b) {
        const std::uint32_t word =
            reinterpret_cast<const std::uint32_t*>(&model_->mem_wr_data)[b / 4];
        dram_.at(model_->mem_wr_addr + b) = static_cast<std::uint8_t>(word >> (8 * (b % 4)));
      }
    }
    model_->clk = 1;
    model_->eval();
    model_->clk = 0;
    ++cycles_;
  }

  struct Pending {
    std::uint32_t addr;
    std::uint64_t ready_at;
  };

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vtessera_accel_top> model_;
  std::vector<std::uint8_t> dram_;
  std::deque<Pending> pending_;
  MemoryModel memory_;
  std::mt19937 rng_;
  std::uint64_t cycles_ = 0;
};

}  // namespace

std::unique_ptr<RtlAccelerator> make_rtl_accelerator() {
  return std::make_unique<VerilatedAccelerator>();
}

}  // namespace tessera::sim
