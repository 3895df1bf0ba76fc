#include <verilated.h>

#include <algorithm>
#include <cstdio>
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

class VerilatedAccelerator final : public RtlAccelerator {
 public:
  VerilatedAccelerator() : context_(std::make_unique<VerilatedContext>()) {
    model_ = std::make_unique<Vtessera_accel_top>(context_.get());
    model_->rst_n = 0;
    model_->clk = 0;
    set_fault_ports(*model_, nullptr);
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

  void write_memory(std::uint64_t address, const std::vector<std::uint8_t>& bytes) override {
    for (std::size_t i = 0; i < bytes.size(); ++i) at(address + i) = bytes[i];
  }

  void run(int cycles) override {
    for (int i = 0; i < cycles; ++i) cycle();
  }

  void arm_fault(const hls::EngineFault* fault) override { set_fault_ports(*model_, fault); }

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
    const int m_tiles = (m + kSize - 1) / kSize, n_tiles = (n + kSize - 1) / kSize;
    const std::size_t a_bytes = tiled_bytes(m, k, kSize), w_bytes = tiled_bytes(n, k, kSize);
    const std::size_t c_bytes = result_bytes(m, n, kSize, kSize);
    const Placement at = place(memory, a_bytes, w_bytes, c_bytes);
    pack_tiled(a, m, k, kSize, &this->at(at.a));
    pack_tiled(w, n, k, kSize, &this->at(at.w));
    write_register(reg::kMTiles, static_cast<std::uint32_t>(m_tiles));
    run_job(
        at, n_tiles, k, 0, a_bytes + w_bytes + c_bytes,
        static_cast<std::uint64_t>(m_tiles * n_tiles) * static_cast<std::uint64_t>(k + 2 * kSize));
    AcceleratorRun run = counters();
    run.c.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(n), 0);
    unpack_results(&this->at(at.c), m, n, kSize, kSize, run.c.data());
    return run;
  }

  AcceleratorRun gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                      const MemoryModel& memory) override {
    const int n_tiles = (n + kSize - 1) / kSize;
    const std::size_t a_bytes = vector_a_bytes(k, kSize), w_bytes = tiled_bytes(n, k, kSize);
    const std::size_t c_bytes = vector_result_bytes(n_tiles, kSize);
    const Placement at = place(memory, a_bytes, w_bytes, c_bytes);
    std::copy_n(reinterpret_cast<const std::uint8_t*>(a), k, &this->at(at.a));
    std::fill_n(&this->at(at.a) + k, a_bytes - static_cast<std::size_t>(k), 0);
    pack_tiled(w, n, k, kSize, &this->at(at.w));
    // Each beat gathers kSize words one by one: the engine waits on memory.
    run_job(at, n_tiles, k, reg::kCtrlVector, a_bytes + w_bytes + c_bytes, 0);
    AcceleratorRun run = counters();
    run.c.resize(static_cast<std::size_t>(n));
    std::memcpy(run.c.data(), &this->at(at.c), 4 * run.c.size());
    return run;
  }

 private:
  std::uint64_t attention_job(const hls::AttentionArgs& g, int query, int head) {
    const int positions = g.first_position + query + 1;
    const int kv_head = head / (g.n_heads / g.n_kv_heads);
    // Records of the call's head size (ATT_HEAD_SIZE), as the platform's driver lays
    // them out.
    const AttentionRecords records{g.head_size, static_cast<int>(kWordBytes)};
    const std::uint64_t kv_bytes = static_cast<std::uint64_t>(positions) * records.kv_bytes();
    const Placement at = place(memory_, records.query_bytes(), kv_bytes, records.result_bytes());
    std::fill(dram_.begin(), dram_.end(), 0);
    const long q_row = static_cast<long>(query) * g.n_heads + head;
    records.pack_query(g, query, head, &this->at(at.a));
    for (int t = 0; t < positions; ++t) {
      records.pack_kv(g, t, kv_head,
                      &this->at(at.w + static_cast<std::uint64_t>(t) * records.kv_bytes()));
    }
    write_register(reg::kAttPositions, static_cast<std::uint32_t>(positions));
    write_register(reg::kAttHeadSize, static_cast<std::uint32_t>(g.head_size));
    write_address(reg::kAttQAddr, reg::kAttQAddrHi, at.a);
    write_address(reg::kAttKvAddr, reg::kAttKvAddrHi, at.w);
    write_address(reg::kAttOutAddr, reg::kAttOutAddrHi, at.c);
    write_register(reg::kAttCtrl, 1);
    const std::uint64_t limit = 2000 + 20ull * static_cast<std::uint64_t>(positions) *
                                           (records.kv_bytes() / kWordBytes + 4) *
                                           static_cast<std::uint64_t>(memory_.read_latency + 2);
    for (std::uint64_t i = 0; !(read_register(reg::kAttStatus) & reg::kStatusDone); ++i) {
      if (i > limit) throw std::runtime_error("rtl accelerator: no ATT_STATUS.DONE; the job hangs");
      cycle();
    }
    if (read_register(reg::kAttStatus) & reg::kStatusError) {
      throw std::runtime_error("rtl accelerator: ATT_STATUS.ERROR");
    }
    records.unpack_result(&this->at(at.c), g.head_size, &g.out[q_row * g.head_size],
                          &g.norm[q_row]);
    return counter(reg::kAttCyclesLo, reg::kAttCyclesHi);
  }

  // Where a job's three regions lie: from memory.operand_address on, one after the
  // other, in a device memory that holds just them (filled with 0xcd).
  struct Placement {
    std::uint64_t a, w, c;
  };
  Placement place(const MemoryModel& memory, std::size_t a_bytes, std::size_t w_bytes,
                  std::size_t c_bytes) {
    memory_ = memory;
    rng_.seed(memory.seed);
    dram_base_ = memory.operand_address;
    dram_.assign(a_bytes + w_bytes + c_bytes, 0xcd);
    return {dram_base_, dram_base_ + a_bytes, dram_base_ + a_bytes + w_bytes};
  }
  std::uint8_t& at(std::uint64_t address) {
    if (address < dram_base_ || address - dram_base_ >= dram_.size()) {
      throw std::out_of_range("rtl accelerator: the top accessed address 0x" + hex(address) +
                              " outside the job's memory");
    }
    return dram_[address - dram_base_];
  }
  static std::string hex(std::uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(value));
    return text;
  }
  void write_address(std::uint8_t low, std::uint8_t high, std::uint64_t address) {
    write_register(low, static_cast<std::uint32_t>(address));
    write_register(high, static_cast<std::uint32_t>(address >> 32));
  }

  // Programs a GEMM job's shared registers, starts it with `ctrl` and waits for DONE.
  void run_job(const Placement& at, int n_tiles, int k, std::uint32_t ctrl, std::size_t bytes,
               std::uint64_t compute_cycles) {
    write_register(reg::kNTiles, static_cast<std::uint32_t>(n_tiles));
    write_register(reg::kK, static_cast<std::uint32_t>(k));
    write_address(reg::kAAddr, reg::kAAddrHi, at.a);
    write_address(reg::kWAddr, reg::kWAddrHi, at.w);
    write_address(reg::kCAddr, reg::kCAddrHi, at.c);
    write_register(reg::kCtrl, reg::kCtrlStart | ctrl);
    const std::uint64_t limit =
        1000 + 64ull * bytes / kWordBytes * static_cast<std::uint64_t>(memory_.read_latency + 2) +
        100ull * compute_cycles;
    for (std::uint64_t i = 0; !(read_register(reg::kStatus) & reg::kStatusDone); ++i) {
      if (i > limit) throw std::runtime_error("rtl accelerator: no DONE; the job hangs");
      cycle();
    }
    // A checksum failure sets ERROR too, with the results written: the run reports it.
    const std::uint32_t status = read_register(reg::kStatus);
    if ((status & reg::kStatusError) && !(status & reg::kStatusChecksum)) {
      throw std::runtime_error("rtl accelerator: STATUS.ERROR, the engine rejected the sizes");
    }
  }
  AcceleratorRun counters() {
    AcceleratorRun run;
    run.cycles = counter(reg::kCyclesLo, reg::kCyclesHi);
    run.stall_cycles = counter(reg::kStallLo, reg::kStallHi);
    run.load_wait_cycles = counter(reg::kLoadWaitLo, reg::kLoadWaitHi);
    run.checks.failing_tiles = static_cast<int>(read_register(reg::kChecksumFails));
    if (run.checks.failing_tiles > 0) {
      run.checks.first_failing_tile = static_cast<int>(read_register(reg::kChecksumTile));
    }
    return run;
  }
  std::uint64_t counter(std::uint8_t low, std::uint8_t high) {
    return (static_cast<std::uint64_t>(read_register(high)) << 32) | read_register(low);
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
                 static_cast<std::int8_t>(at(pending_.front().addr + b)));
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
        at(model_->mem_wr_addr + b) = static_cast<std::uint8_t>(word >> (8 * (b % 4)));
      }
    }
    model_->clk = 1;
    model_->eval();
    model_->clk = 0;
    ++cycles_;
  }

  struct Pending {
    std::uint64_t addr;
    std::uint64_t ready_at;
  };

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vtessera_accel_top> model_;
  std::vector<std::uint8_t> dram_;
  std::uint64_t dram_base_ = 0;
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
