#include "platform/top_unit.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "platform/transaction.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::sim {

using sc_core::sc_time;

namespace {

// The job registers a host programs: every RW register of the map.
const std::vector<std::uint8_t>& writable_registers() {
  static const std::vector<std::uint8_t> offsets = [] {
    std::vector<std::uint8_t> list;
#define TESSERA_REGISTER(cpp_name, rtl_name, offset, access, meaning) \
  if (std::string(access) == "RW") list.push_back(offset);
#include "tessera/sim/register_map.inc"
#undef TESSERA_REGISTER
    return list;
  }();
  return offsets;
}

// A job's clocks are bounded by its words and compute times the memory's delays; a
// top this far past `work` (the job's words and compute cycles) hangs.
constexpr std::uint64_t kHangFactor = 1000;
constexpr std::uint64_t kHangSlack = 100'000;

// How often the unit's thread hands the simulation back to the other processes
// while the top runs ahead of simulated time (TLM-2.0 temporal decoupling).
constexpr std::uint64_t kQuantumCycles = 32;

}  // namespace

// The top's AXI4 memory port on the device memory: each burst one TLM transaction at
// the top's local time (job start plus its clocks). A read's last beat is due at the
// clock the memory's delay ends and the beats before it one clock apart before that
// (the port's rate), in order; a write burst lands when its address and last beat
// have both come, and its B response is due when the memory's delay ends. Bursts are
// not limited in number (the memory model's delays bound them; an AXI port's
// outstanding-transaction limit would be one more parameter of the top).
class TopUnit::Bridge final : public BurstLandingPort {
 public:
  Bridge(TopUnit& unit, DataBus bus)
      : BurstLandingPort(bus), unit_(unit), bus_(bus), beat_(bus.bytes) {}

  // The clock the top's START is written in (cycle 0) is `start`.
  void begin(sc_time start) {
    start_ = start;
    cycle_ = 0;
    last_write_ = start;
    busy_cycles_ = 0;
    address_error_ = false;
  }
  sc_time local_time() const { return start_ + unit_.period() * static_cast<double>(cycle_); }
  // Once the top is done: the time its last write lands (the job ends then).
  sc_time end_time() const { return std::max(local_time(), last_write_); }
  std::uint64_t cycle() const { return cycle_; }
  std::uint64_t busy_cycles() const { return busy_cycles_; }
  bool address_error() const { return address_error_; }
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  void clear_bytes() { bytes_read_ = bytes_written_ = 0; }

  const std::uint8_t* read_data() override {
    if (due_.empty() || due_.front().cycle > cycle_) return nullptr;
    const Beat beat = due_.front();
    due_.pop_front();
    const auto bytes = static_cast<std::ptrdiff_t>(beat.bytes);
    std::copy_n(pending_bytes_.begin(), bytes,
                beat_.begin() + static_cast<std::ptrdiff_t>(beat.lane));
    pending_bytes_.erase(pending_bytes_.begin(), pending_bytes_.begin() + bytes);
    return beat_.data();
  }
  bool write_response() override {
    if (responses_.empty() || responses_.front() > cycle_) return false;
    responses_.pop_front();
    return true;
  }
  bool read_ready() override { return true; }
  bool write_address_ready() override { return true; }
  bool write_ready() override { return true; }
  void read(std::uint64_t address, int beats, std::size_t beat_bytes) override {
    bus_.check_size("AR", beat_bytes);
    check_burst("AR", address, beats, beat_bytes);
    const auto count = static_cast<std::uint64_t>(beats);
    burst_.resize(count * beat_bytes);
    // The last beat no sooner than a clock per beat after the request.
    const std::uint64_t last =
        std::max(due_cycle(transport(tlm::TLM_READ_COMMAND, address, burst_)), cycle_ + count);
    for (std::uint64_t i = 0; i < count; ++i) {
      due_.push_back(
          {last - (count - 1 - i), bus_.lane(address + i * beat_bytes, beat_bytes), beat_bytes});
    }
    pending_bytes_.insert(pending_bytes_.end(), burst_.begin(), burst_.end());
    bytes_read_ += burst_.size();
  }
  void clocked() override {
    if (!due_.empty() || !responses_.empty() || local_time() < last_write_) ++busy_cycles_;
    ++cycle_;
    if (cycle_ % kQuantumCycles == 0) catch_up();
  }
  // Lets simulated time reach the top's local time.
  void catch_up() {
    const sc_time now = sc_core::sc_time_stamp(), local = local_time();
    if (local > now) sc_core::wait(local - now);
  }

 private:
  void land(std::uint64_t address, std::vector<std::uint8_t>& bytes) override {
    const sc_time landed = transport(tlm::TLM_WRITE_COMMAND, address, bytes);
    last_write_ = std::max(last_write_, landed);
    responses_.push_back(due_cycle(landed));
    bytes_written_ += bytes.size();
  }
  // The first clock at or after `time`, and after this one.
  std::uint64_t due_cycle(sc_time time) const {
    const double cycles = std::ceil((time - start_) / unit_.period());
    return std::max<std::uint64_t>(cycle_ + 1, static_cast<std::uint64_t>(cycles));
  }
  // One burst's transaction at the local time; returns when it completes.
  sc_time transport(tlm::tlm_command command, std::uint64_t address,
                    std::vector<std::uint8_t>& data) {
    prepare(payload_, command, address, data.data(), data.size());
    const sc_time now = sc_core::sc_time_stamp(), local = local_time();
    sc_time delay = local > now ? local - now : sc_core::SC_ZERO_TIME;
    unit_.memory->b_transport(payload_, delay);
    if (payload_.get_response_status() != tlm::TLM_OK_RESPONSE) {
      address_error_ = true;
      std::fill(data.begin(), data.end(), 0);
    }
    return now + delay;
  }

  // An R beat in flight: the clock it is due, its lanes and bytes.
  struct Beat {
    std::uint64_t cycle;
    std::size_t lane, bytes;
  };

  TopUnit& unit_;
  DataBus bus_;
  std::vector<std::uint8_t> beat_;   // the R beat being delivered (lanes it leaves: stale)
  std::vector<std::uint8_t> burst_;  // a read burst's bytes on their way from the memory
  // The R beats in flight, in order, and their bytes back to back (no allocation per
  // beat: the top reads a beat a clock).
  std::deque<Beat> due_;
  std::deque<std::uint8_t> pending_bytes_;
  std::deque<std::uint64_t> responses_;  // the B responses' due clocks
  tlm::tlm_generic_payload payload_;
  sc_time start_, last_write_;
  std::uint64_t cycle_ = 0, busy_cycles_ = 0;
  std::uint64_t bytes_read_ = 0, bytes_written_ = 0;
  bool address_error_ = false;
};

TopUnit::TopUnit(sc_core::sc_module_name name, int index, Kind kind,
                 const hls::HardwareConfig& config, const PlatformOptions& options,
                 std::unique_ptr<RtlAccelerator> top, FaultInjector& faults)
    : Unit(name, index, config, options),
      kind_(kind),
      config_(config),
      top_(std::move(top)),
      bridge_(
          std::make_unique<Bridge>(*this, DataBus{static_cast<std::size_t>(top_->bus_bytes())})),
      faults_(faults) {
  // The identification registers are the top's own.
  for (const std::uint8_t offset : {reg::kId, reg::kVersion, reg::kConfig, reg::kFeatures}) {
    set_reg(offset, top_->read_register(offset));
  }
  if (kind == Kind::kGemm) {  // the waveform files are the GEMM units'
    const std::vector<std::string> files = waveform_files(options.fst_path, config.gemm.count);
    if (!files.empty()) waveform_.fst_path = files[static_cast<std::size_t>(index)];
  }
  waveform_.fst_window = options.fst_window;
  waveform_.clock_mhz = config.clock_mhz;
  top_->attach_memory(bridge_.get());
}

TopUnit::~TopUnit() { top_->attach_memory(nullptr); }

std::uint8_t TopUnit::ctrl_offset() const {
  return kind_ == Kind::kGemm ? reg::kCtrl : reg::kAttCtrl;
}
std::uint8_t TopUnit::status_offset() const {
  return kind_ == Kind::kGemm ? reg::kStatus : reg::kAttStatus;
}
std::uint8_t TopUnit::cycles_offset() const {
  return kind_ == Kind::kGemm ? reg::kCyclesLo : reg::kAttCyclesLo;
}

Unit::JobResult TopUnit::run_job() {
  bridge_->clear_bytes();
  JobResult result = kind_ == Kind::kGemm ? run_gemm() : run_attention();
  counters_.bytes_read += bridge_->bytes_read();
  counters_.bytes_written += bridge_->bytes_written();
  return result;
}

std::uint32_t TopUnit::run_top(std::uint32_t ctrl, std::uint64_t work) {
  // The top keeps its registers between jobs (a clock per write): only those the
  // host changed since the last job are written again.
  for (const std::uint8_t offset : writable_registers()) {
    std::uint32_t& held = top_registers_[offset / 4];
    if (held == reg(offset)) continue;
    held = reg(offset);
    top_->write_register(offset, held);
  }
  // The waveform's clock follows the platform's: START is written at the job's time.
  waveform_.start_ps =
      static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1e12 + 0.5);
  top_->begin_waveform(waveform_);
  bridge_->begin(sc_core::sc_time_stamp());
  top_->write_register(ctrl_offset(), ctrl | reg::kCtrlStart);
  const std::uint64_t limit = kHangSlack + kHangFactor * work;
  while (!top_->interrupt() || !(top_->read_register(status_offset()) & reg::kStatusDone)) {
    if (bridge_->cycle() > limit) {
      throw DeviceError(std::string(basename()) + ": the RTL top shows no DONE after " +
                        std::to_string(limit) + " cycles");
    }
    top_->run(1);
  }
  const sc_time end = bridge_->end_time();
  if (end > sc_core::sc_time_stamp()) sc_core::wait(end - sc_core::sc_time_stamp());
  counters_.memory_cycles += bridge_->busy_cycles();
  return top_->read_register(status_offset());
}

Unit::JobResult TopUnit::run_gemm() {
  const bool vector = (reg(reg::kCtrl) & reg::kCtrlVector) != 0;
  const auto m_tiles = static_cast<int>(reg(reg::kMTiles)),
             n_tiles = static_cast<int>(reg(reg::kNTiles)), k = static_cast<int>(reg(reg::kK));
  const hls::EngineFault* fault =
      faults_.engine_job(engine_job(basename(), config_, vector, vector ? 0 : m_tiles, n_tiles, k));
  top_->arm_fault(fault);
  std::uint32_t status = 0;
  try {
    const auto rows = static_cast<std::uint64_t>(config_.gemm.rows);
    const std::uint64_t work = (static_cast<std::uint64_t>(m_tiles) + 1) *
                               (static_cast<std::uint64_t>(n_tiles) + 1) *
                               (static_cast<std::uint64_t>(k) + 2 * rows) * rows;
    status = run_top(vector ? reg::kCtrlVector : 0, work);
  } catch (...) {
    top_->arm_fault(nullptr);
    throw;
  }
  top_->arm_fault(nullptr);
  const std::uint64_t cycles = top_->read_register64(reg::kCyclesLo, reg::kCyclesHi);
  const std::uint64_t load_wait = top_->read_register64(reg::kLoadWaitLo, reg::kLoadWaitHi);
  if (bridge_->address_error()) return {"GEMM operands or results outside device memory", 0};
  if ((status & reg::kStatusError) && !(status & reg::kStatusChecksum)) {
    return {std::string(vector ? "vector job" : "GEMM job") + " of " + std::to_string(m_tiles) +
                "x" + std::to_string(n_tiles) + " tiles, K = " + std::to_string(k) +
                ": the RTL top refused it (STATUS.ERROR; its engine holds " +
                std::to_string(config_.gemm.buffer_words) + "-word operand buffers" +
                (vector ? " and takes K from " + std::to_string(config_.gemm.rows) : "") + ")",
            0};
  }
  hls::ChecksumReport checks;
  checks.failing_tiles = static_cast<int>(top_->read_register(reg::kChecksumFails));
  if (checks.failing_tiles > 0) {
    checks.first_failing_tile = static_cast<int>(top_->read_register(reg::kChecksumTile));
  }
  counters_.macs += job_macs(config_.array(), vector, m_tiles, n_tiles, k);
  return {"", cycles - std::min(cycles, load_wait), checks};
}

Unit::JobResult TopUnit::run_attention() {
  const auto head_size = static_cast<int>(reg(reg::kAttHeadSize));
  const AttentionRecords records = attention_records(config_, head_size);
  const std::uint32_t group = std::max<std::uint32_t>(1, reg(reg::kAttGroup));
  const std::uint64_t work = static_cast<std::uint64_t>(std::min(group, reg::kAttGroupMax)) *
                             (reg(reg::kAttPositions) + 1) * (records.kv_bytes() + 64);
  const std::uint32_t status = run_top(0, work);
  if (bridge_->address_error()) return {"attention records outside device memory", 0};
  if (status & reg::kStatusError) {
    return {"attention job of " + std::to_string(reg(reg::kAttPositions)) + " positions, " +
                std::to_string(reg(reg::kAttGroup)) + " query heads of size " +
                std::to_string(head_size) +
                ": the RTL top refused it (ATT_STATUS.ERROR; the unit holds 1.." +
                std::to_string(config_.attention.context_max) + " positions and 1.." +
                std::to_string(config_.attention.head_size_max) + " lanes, takes 1.." +
                std::to_string(reg::kAttGroupMax) + " heads and finite positive scales)",
            0};
  }
  // The fault site strikes each head's result record as it stands in memory.
  const std::uint64_t out = address(reg::kAttOutAddr, reg::kAttOutAddrHi);
  for (std::uint32_t h = 0; h < group; ++h) {
    const std::uint64_t accumulators =
        out + h * records.result_bytes() + record::kResultAcc.at(records.head_max);
    faults_.attention_job(basename(), head_size > 0 ? head_size : records.head_max,
                          memory_data() + accumulators, sc_core::sc_time_stamp().to_seconds());
  }
  return {"", top_->read_register64(reg::kAttCyclesLo, reg::kAttCyclesHi)};
}

}  // namespace tessera::sim
