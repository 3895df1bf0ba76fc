#pragma once

// The driver shared by every Verilated accelerator top (one per board's sizes, each
// its own Verilator class): a template over the model class, with a memory model for
// the tests that the platform's bridge replaces (attach_memory).

#include <verilated.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>

#include "tessera/sim/rtl_accelerator.hpp"
#include "verilator/coverage.hpp"
#include "verilator/fst_trace.hpp"
#include "verilator/gemm_engine_driver.hpp"

namespace tessera::sim {

// The tests' device memory: the job's regions at their addresses, a read burst's
// beats answered from `read_latency` cycles after its request, in order, a write
// burst's B response `read_latency` cycles after its last beat, random back-pressure
// on AR, AW and W, and the AXI4 burst rules checked. An R beat carries the whole
// bus-aligned row of memory its address falls in, as a wide memory would, so the top
// must take a narrow beat's word from the right lanes.
class TestTopMemory final : public BurstLandingPort {
 public:
  explicit TestTopMemory(DataBus bus) : BurstLandingPort(bus), bus_(bus), beat_(bus.bytes) {}

  // Where a job's three regions lie: from memory.operand_address on, one after the
  // other (each on a bus multiple if memory.bus_aligned_regions), in a memory that
  // holds just them (filled with 0xcd).
  struct Placement {
    std::uint64_t a, w, c;
  };
  Placement place(const MemoryModel& memory, std::size_t a_bytes, std::size_t w_bytes,
                  std::size_t c_bytes) {
    use(memory);
    base_ = memory.operand_address;
    const auto next = [&](std::uint64_t end) {
      const std::uint64_t bus = bus_.bytes;
      return memory.bus_aligned_regions ? (end + bus - 1) / bus * bus : end;
    };
    const std::uint64_t w = next(base_ + a_bytes), c = next(w + w_bytes);
    bytes_.assign(c + c_bytes - base_, 0xcd);
    return {base_, w, c};
  }
  void use(const MemoryModel& memory) {
    memory_ = memory;
    rng_.seed(memory.seed);
  }
  void clear() { std::fill(bytes_.begin(), bytes_.end(), 0); }
  std::uint8_t& at(std::uint64_t address) {
    if (address < base_ || address - base_ >= bytes_.size()) {
      throw std::out_of_range("rtl accelerator: the top accessed address 0x" + hex(address) +
                              " outside the job's memory");
    }
    return bytes_[address - base_];
  }
  int read_latency() const { return memory_.read_latency; }

  const std::uint8_t* read_data() override {
    if (pending_.empty() || pending_.front().ready_at > cycles_) return nullptr;
    const Pending beat = pending_.front();
    pending_.pop_front();
    const std::uint64_t row = beat.addr / bus_.bytes * bus_.bytes;
    for (std::size_t b = 0; b < bus_.bytes; ++b) beat_[b] = byte_or_zero(row + b);
    // A word-aligned narrow beat is inside its row; the bytes it asked for win.
    const std::size_t lane = bus_.lane(beat.addr, beat.bytes);
    for (std::size_t b = 0; b < beat.bytes; ++b) beat_[lane + b] = at(beat.addr + b);
    return beat_.data();
  }
  bool write_response() override {
    if (responses_.empty() || responses_.front() > cycles_) return false;
    responses_.pop_front();
    return true;
  }
  bool read_ready() override { return chance(memory_.read_ready_rate); }
  bool write_address_ready() override { return chance(memory_.write_ready_rate); }
  bool write_ready() override { return chance(memory_.write_ready_rate); }
  void read(std::uint64_t address, int beats, std::size_t beat_bytes) override {
    bus_.check_size("AR", beat_bytes);
    check_burst("AR", address, beats, beat_bytes);
    const auto due = cycles_ + static_cast<std::uint64_t>(memory_.read_latency);
    for (int i = 0; i < beats; ++i) {
      pending_.push_back({address + static_cast<std::uint64_t>(i) * beat_bytes,
                          due + static_cast<std::uint64_t>(i), beat_bytes});
    }
  }
  void clocked() override { ++cycles_; }

 private:
  void land(std::uint64_t address, std::vector<std::uint8_t>& bytes) override {
    for (std::size_t b = 0; b < bytes.size(); ++b) at(address + b) = bytes[b];
    responses_.push_back(cycles_ + static_cast<std::uint64_t>(memory_.read_latency));
  }
  std::uint8_t byte_or_zero(std::uint64_t address) const {
    return address >= base_ && address - base_ < bytes_.size() ? bytes_[address - base_] : 0;
  }
  bool chance(double rate) {
    return rate >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
  }
  struct Pending {
    std::uint64_t addr;
    std::uint64_t ready_at;
    std::size_t bytes;
  };

  DataBus bus_;
  std::vector<std::uint8_t> beat_;  // the response being delivered
  std::vector<std::uint8_t> bytes_;
  std::uint64_t base_ = 0;
  std::deque<Pending> pending_;
  std::deque<std::uint64_t> responses_;  // the B responses' due cycles
  MemoryModel memory_;
  std::mt19937 rng_;
  std::uint64_t cycles_ = 0;
};

template <typename Model>
class VerilatedAccelerator final : public RtlAccelerator {
 public:
  explicit VerilatedAccelerator(const RtlTopSizes& sizes)
      : sizes_(sizes),
        word_bytes_(static_cast<std::size_t>(sizes.rows)),
        bus_{static_cast<std::size_t>(sizes.memory_port_bytes)},
        context_(std::make_unique<VerilatedContext>()),
        test_memory_(bus_),
        beat_(bus_.bytes) {
    context_->traceEverOn(true);
    model_ = std::make_unique<Model>(context_.get());
    model_->rst_n = 0;
    model_->clk = 0;
    set_fault_ports(*model_, nullptr);
    model_->eval();
    for (int i = 0; i < 2; ++i) cycle();
    model_->rst_n = 1;
  }
  ~VerilatedAccelerator() override {
    trace_.close();
    model_->final();
    write_coverage(*context_, "tessera_accel_top");
  }

  hls::ArrayShape array() const override { return {sizes_.rows, sizes_.rows}; }
  int bus_bytes() const override { return sizes_.memory_port_bytes; }
  int head_size_max() const override { return sizes_.head_size_max; }

  std::uint64_t attention(const hls::AttentionArgs& g, const MemoryModel& memory) override {
    const hls::Status status = hls::validate(g, sizes_.head_size_max, sizes_.context_max);
    if (status != hls::Status::kOk)
      throw std::invalid_argument("rtl accelerator: " + hls::describe(status));
    need_test_memory();
    memory_model_ = memory;
    test_memory_.use(memory);
    std::uint64_t cycles = 0;
    for (int j = 0; j < g.n_queries; ++j) {
      for (int kv_head = 0; kv_head < g.n_kv_heads; ++kv_head) {
        cycles += attention_job(g, j, kv_head);
      }
    }
    return cycles;
  }

  void write_memory(std::uint64_t address, const std::vector<std::uint8_t>& bytes) override {
    need_test_memory();
    for (std::size_t i = 0; i < bytes.size(); ++i) at(address + i) = bytes[i];
  }

  void attach_memory(TopMemoryPort* port) override { port_ = port; }
  void begin_waveform(const RtlStreamOptions& waveform) override {
    half_period_ps_ = trace_.begin_job(*model_, *context_, waveform);
  }
  bool interrupt() const override { return model_->irq != 0; }

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
    need_test_memory();
    const int edge = sizes_.rows;
    const int m_tiles = (m + edge - 1) / edge, n_tiles = (n + edge - 1) / edge;
    const std::size_t a_bytes = tiled_bytes(m, k, edge), w_bytes = tiled_bytes(n, k, edge);
    const std::size_t c_bytes = result_bytes(m, n, edge, edge);
    const Placement at = place(memory, a_bytes, w_bytes, c_bytes);
    pack_tiled(a, m, k, edge, &this->at(at.a));
    pack_tiled(w, n, k, edge, &this->at(at.w));
    write_register(reg::kMTiles, static_cast<std::uint32_t>(m_tiles));
    run_job(
        at, n_tiles, k, 0, a_bytes + w_bytes + c_bytes,
        static_cast<std::uint64_t>(m_tiles * n_tiles) * static_cast<std::uint64_t>(k + 2 * edge));
    AcceleratorRun run = counters();
    run.c.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(n), 0);
    unpack_results(&this->at(at.c), m, n, edge, edge, run.c.data());
    return run;
  }

  AcceleratorRun gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                      const MemoryModel& memory) override {
    need_test_memory();
    const int edge = sizes_.rows;
    const int n_tiles = (n + edge - 1) / edge;
    const std::size_t a_bytes = vector_a_bytes(k, edge), w_bytes = tiled_bytes(n, k, edge);
    const std::size_t c_bytes = vector_result_bytes(n_tiles, edge);
    const Placement at = place(memory, a_bytes, w_bytes, c_bytes);
    std::copy_n(reinterpret_cast<const std::uint8_t*>(a), k, &this->at(at.a));
    std::fill_n(&this->at(at.a) + k, a_bytes - static_cast<std::size_t>(k), 0);
    pack_tiled(w, n, k, edge, &this->at(at.w));
    // Each beat gathers one word per row tile one by one: the engine waits on memory.
    run_job(at, n_tiles, k, reg::kCtrlVector, a_bytes + w_bytes + c_bytes, 0);
    AcceleratorRun run = counters();
    run.c.resize(static_cast<std::size_t>(n));
    std::memcpy(run.c.data(), &this->at(at.c), 4 * run.c.size());
    return run;
  }

 private:
  // One job: the query heads of kv head `kv_head`'s GQA group (ATT_GROUP) over its
  // K/V records, read once.
  std::uint64_t attention_job(const hls::AttentionArgs& g, int query, int kv_head) {
    const int positions = g.first_position + query + 1;
    const int group = g.n_heads / g.n_kv_heads;
    // Records of the call's head size (ATT_HEAD_SIZE), as the platform's driver lays
    // them out.
    const AttentionRecords records{g.head_size, sizes_.rows};
    const std::uint64_t kv_bytes = static_cast<std::uint64_t>(positions) * records.kv_bytes();
    const auto heads = static_cast<std::size_t>(group);
    const Placement at = place(memory_model_, heads * records.query_bytes(), kv_bytes,
                               heads * records.result_bytes());
    test_memory_.clear();
    for (int h = 0; h < group; ++h) {
      records.pack_query(g, query, kv_head * group + h,
                         &this->at(at.a + static_cast<std::uint64_t>(h) * records.query_bytes()));
    }
    for (int t = 0; t < positions; ++t) {
      records.pack_kv(g, t, kv_head,
                      &this->at(at.w + static_cast<std::uint64_t>(t) * records.kv_bytes()));
    }
    write_register(reg::kAttPositions, static_cast<std::uint32_t>(positions));
    write_register(reg::kAttHeadSize, static_cast<std::uint32_t>(g.head_size));
    write_register(reg::kAttGroup, static_cast<std::uint32_t>(group));
    write_address(reg::kAttQAddr, reg::kAttQAddrHi, at.a);
    write_address(reg::kAttKvAddr, reg::kAttKvAddrHi, at.w);
    write_address(reg::kAttOutAddr, reg::kAttOutAddrHi, at.c);
    write_register(reg::kAttCtrl, 1);
    const std::uint64_t limit = 2000 + 20ull * heads * static_cast<std::uint64_t>(positions) *
                                           (records.kv_bytes() / word_bytes_ + 4) *
                                           static_cast<std::uint64_t>(read_latency() + 2);
    for (std::uint64_t i = 0; !(read_register(reg::kAttStatus) & reg::kStatusDone); ++i) {
      if (i > limit) throw std::runtime_error("rtl accelerator: no ATT_STATUS.DONE; the job hangs");
      cycle();
    }
    if (read_register(reg::kAttStatus) & reg::kStatusError) {
      throw std::runtime_error("rtl accelerator: ATT_STATUS.ERROR");
    }
    for (int h = 0; h < group; ++h) {
      const long q_row = static_cast<long>(query) * g.n_heads + kv_head * group + h;
      records.unpack_result(
          &this->at(at.c + static_cast<std::uint64_t>(h) * records.result_bytes()), g.head_size,
          &g.out[q_row * g.head_size], &g.norm[q_row]);
    }
    return read_register64(reg::kAttCyclesLo, reg::kAttCyclesHi);
  }

  using Placement = TestTopMemory::Placement;
  Placement place(const MemoryModel& memory, std::size_t a_bytes, std::size_t w_bytes,
                  std::size_t c_bytes) {
    memory_model_ = memory;
    return test_memory_.place(memory, a_bytes, w_bytes, c_bytes);
  }
  std::uint8_t& at(std::uint64_t address) { return test_memory_.at(address); }
  int read_latency() const { return test_memory_.read_latency(); }
  void need_test_memory() const {
    if (port_ != nullptr) {
      throw std::logic_error(
          "rtl accelerator: a job of the test driver while another memory is attached");
    }
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
        1000 + 64ull * bytes / word_bytes_ * static_cast<std::uint64_t>(read_latency() + 2) +
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
    run.cycles = read_register64(reg::kCyclesLo, reg::kCyclesHi);
    run.stall_cycles = read_register64(reg::kStallLo, reg::kStallHi);
    run.load_wait_cycles = read_register64(reg::kLoadWaitLo, reg::kLoadWaitHi);
    run.checks.failing_tiles = static_cast<int>(read_register(reg::kChecksumFails));
    if (run.checks.failing_tiles > 0) {
      run.checks.first_failing_tile = static_cast<int>(read_register(reg::kChecksumTile));
    }
    return run;
  }

  // One clock with the attached port (or the test memory) answering the top's ports.
  void cycle() {
    TopMemoryPort& port = port_ != nullptr ? *port_ : test_memory_;
    const std::uint8_t* data = port.read_data();
    model_->mem_r_valid = data != nullptr ? 1 : 0;
    if (data != nullptr) {
      for (std::size_t b = 0; b < bus_.bytes; ++b) {
        set_byte(model_->mem_r_data, static_cast<int>(b), static_cast<std::int8_t>(data[b]));
      }
    }
    model_->mem_b_valid = port.write_response() ? 1 : 0;
    model_->mem_ar_ready = port.read_ready() ? 1 : 0;
    model_->mem_aw_ready = port.write_address_ready() ? 1 : 0;
    model_->mem_w_ready = port.write_ready() ? 1 : 0;
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
    if (model_->mem_ar_valid && model_->mem_ar_ready) {
      port.read(model_->mem_ar_addr, model_->mem_ar_len + 1, std::size_t{1} << model_->mem_ar_size);
    }
    if (model_->mem_aw_valid && model_->mem_aw_ready) {
      port.write_address(model_->mem_aw_addr, model_->mem_aw_len + 1,
                         std::size_t{1} << model_->mem_aw_size);
    }
    if (model_->mem_w_valid && model_->mem_w_ready) {
      const auto* words = reinterpret_cast<const std::uint32_t*>(&model_->mem_w_data);
      for (std::size_t b = 0; b < bus_.bytes; ++b) {
        beat_[b] = static_cast<std::uint8_t>(words[b / 4] >> (8 * (b % 4)));
      }
      port.write(beat_.data(), static_cast<std::uint64_t>(model_->mem_w_strb),
                 model_->mem_w_last != 0);
    }
    model_->clk = 1;
    model_->eval();
    trace_.dump(context_->time());
    context_->timeInc(half_period_ps_);
    model_->clk = 0;
    port.clocked();
  }

  RtlTopSizes sizes_;
  std::size_t word_bytes_;
  DataBus bus_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Model> model_;
  TestTopMemory test_memory_;
  TopMemoryPort* port_ = nullptr;
  MemoryModel memory_model_;
  std::vector<std::uint8_t> beat_;  // a write beat's bus
  FstTrace trace_;
  std::uint64_t half_period_ps_ = FstTrace::half_period_ps(300);
};

}  // namespace tessera::sim
