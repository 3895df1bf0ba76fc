#include "platform/units.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "platform/transaction.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/dma_shape.hpp"
#include "tessera/sim/dram_model.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"

namespace tessera::sim {

using sc_core::sc_time;

Unit::Unit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
           const PlatformOptions& options)
    : sc_module(name),
      registers("registers"),
      memory("memory"),
      index_(index),
      timed_(options.fidelity != Fidelity::kFunc),
      stores_data_(options.compute),
      period_(1.0 / config.clock_mhz, sc_core::SC_US),
      port_word_bytes_(config.gemm.rows),
      memory_latency_(config.memory.latency_ns, sc_core::SC_NS) {
  counters_.name = basename();
  registers.register_b_transport(this, &Unit::register_access);
  set_reg(reg::kId, reg::kIdValue);
  set_reg(reg::kVersion, reg::kVersionValue);
  SC_THREAD(thread);
}

void Unit::reset_counters() {
  const std::string name = counters_.name;
  counters_ = UnitCounters{};
  counters_.name = name;
}

void Unit::set_reg64(std::uint8_t lo, std::uint8_t hi, std::uint64_t value) {
  set_reg(lo, static_cast<std::uint32_t>(value));
  set_reg(hi, static_cast<std::uint32_t>(value >> 32));
}

// Register writes are ignored while the unit runs a job, as in the RTL top.
void Unit::register_access(tlm::tlm_generic_payload& payload, sc_time&) {
  const auto offset = static_cast<std::uint8_t>(payload.get_address());
  if (payload.get_data_length() != 4 || payload.get_address() >= reg::kUnitWindow ||
      offset % 4 != 0) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint32_t value = 0;
  if (payload.is_read()) {
    value = reg(offset);
    std::memcpy(payload.get_data_ptr(), &value, 4);
  } else if (!busy_) {
    std::memcpy(&value, payload.get_data_ptr(), 4);
    if (offset == ctrl_offset()) {
      set_reg(offset, value);  // the job reads its mode bits
      if (value & reg::kCtrlStart) start_.notify();
    } else if (offset != reg::kId && offset != reg::kVersion && offset != status_offset()) {
      set_reg(offset, value);
    }
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Unit::thread() {
  for (;;) {
    sc_core::wait(start_);
    busy_ = true;
    set_reg(status_offset(), reg::kStatusBusy);
    const sc_time began = sc_core::sc_time_stamp();
    const JobResult result = run_job();
    const auto cycles = static_cast<std::uint64_t>((sc_core::sc_time_stamp() - began) / period_);
    set_reg64(cycles_offset(), static_cast<std::uint8_t>(cycles_offset() + 4), cycles);
    ++counters_.jobs;
    counters_.busy_cycles += cycles;
    counters_.compute_cycles += result.compute_cycles;
    const bool checksum = result.error.empty() && result.checks.failing_tiles > 0;
    std::string error = result.error;
    if (checksum) {
      ++counters_.checksum_failures;
      error = std::to_string(result.checks.failing_tiles) +
              " output tile(s) failed their checksums (first: tile " +
              std::to_string(result.checks.first_failing_tile) + ")";
    }
    set_reg(reg::kChecksumFails, static_cast<std::uint32_t>(result.checks.failing_tiles));
    set_reg(reg::kChecksumTile, static_cast<std::uint32_t>(result.checks.first_failing_tile));
    set_reg(status_offset(), reg::kStatusDone | (error.empty() ? 0 : reg::kStatusError) |
                                 (checksum ? reg::kStatusChecksum : 0));
    busy_ = false;
    if (job_done_) job_done_(index_, error, checksum);
  }
}

namespace {

void wait_until(const sc_time& when) {
  if (when > sc_core::sc_time_stamp()) sc_core::wait(when - sc_core::sc_time_stamp());
}

}  // namespace

// Up to kDmaBurstsInFlight bursts are outstanding: a new one issues as soon as the
// oldest has completed, as a DMA engine with that many outstanding requests does.
// The unit's memory port moves one word (the array's row of bytes, docs/rtl.md) per
// clock, so a burst also ends no sooner than its last word has passed the port and
// then the memory's latency (a read's last word comes back, a write's lands).
class Unit::BurstStream {
 public:
  // At most `window` bursts outstanding.
  explicit BurstStream(Unit& unit, std::size_t window = kDmaBurstsInFlight)
      : unit_(unit), port_free_(sc_core::sc_time_stamp()), in_flight_(window) {}

  // Issues a transfer's bursts behind those issued before; `arrived` is when its last
  // burst completes (not waited for). False on an address error.
  bool transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool write,
                sc_time& arrived) {
    arrived = sc_core::sc_time_stamp();
    for (std::uint64_t done = 0; done < bytes;) {
      const std::uint64_t piece = std::min(kDmaBurstBytes, bytes - done);
      if (!burst(address + done, data == nullptr ? nullptr : data + done, piece, write, arrived)) {
        return false;
      }
      done += piece;
    }
    return true;
  }

  // A vector job's W in the gather's bursts (VectorGather), from `address`.
  bool gather(std::uint64_t address, const VectorGather& shape, sc_time& arrived) {
    arrived = sc_core::sc_time_stamp();
    const auto word = static_cast<std::uint64_t>(shape.word_bytes);
    const auto k = static_cast<std::uint64_t>(shape.k);
    const double port_bytes =
        std::max(unit_.port_word_bytes_, static_cast<double>(shape.beat_bytes));
    for (int first = 0; first < shape.row_tiles; first += shape.rows) {
      const int tiles = std::min(shape.rows, shape.row_tiles - first);
      for (std::uint64_t step = 0; step < k; step += dma::kVectorBurstBeats) {
        const std::uint64_t beats = std::min<std::uint64_t>(dma::kVectorBurstBeats, k - step);
        for (int r = first; r < first + tiles; ++r) {
          const std::uint64_t at = address + (static_cast<std::uint64_t>(r) * k + step) * word;
          if (!burst(at, nullptr, beats * word, false, arrived, port_bytes)) return false;
        }
      }
    }
    return true;
  }

  // One burst of `bytes` at `address`, `port_bytes` a clock (0: a word);
  // `arrived` moves to its completion if later.
  bool burst(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool write,
             sc_time& arrived, double port_bytes = 0) {
    if (port_bytes == 0) port_bytes = unit_.port_word_bytes_;
    const std::size_t window = in_flight_.size();
    if (issued_ >= window) wait_until(in_flight_[issued_ % window]);
    tlm::tlm_generic_payload& payload = unit_.payload_;
    prepare(payload, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, address, data, bytes);
    sc_time delay = sc_core::SC_ZERO_TIME;
    unit_.memory->b_transport(payload, delay);
    if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) return false;
    sc_time complete = sc_core::sc_time_stamp() + delay;
    if (unit_.timed_) {
      port_free_ = std::max(port_free_, sc_core::sc_time_stamp()) +
                   unit_.period_ * std::ceil(static_cast<double>(bytes) / port_bytes);
      complete = std::max(complete, port_free_ + unit_.memory_latency_);
    }
    in_flight_[issued_ % window] = complete;
    ++issued_;
    arrived = std::max(arrived, complete);
    return true;
  }

 private:
  Unit& unit_;
  sc_time port_free_;
  // Completion times of the bursts in flight, a ring: burst i is in slot i % size.
  std::vector<sc_time> in_flight_;
  std::size_t issued_ = 0;
};

void Unit::count_memory_time(const sc_time& began) {
  counters_.memory_cycles +=
      static_cast<std::uint64_t>((sc_core::sc_time_stamp() - began) / period_);
}

bool Unit::dma(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool write) {
  const sc_time began = sc_core::sc_time_stamp();
  BurstStream stream(*this);
  sc_time arrived;
  if (!stream.transfer(address, data, bytes, write, arrived)) return false;
  wait_until(arrived);
  (write ? counters_.bytes_written : counters_.bytes_read) += bytes;
  count_memory_time(began);
  return true;
}

std::uint8_t* Unit::results(std::size_t bytes) {
  if (!stores_data_) return nullptr;
  results_.resize(bytes);
  return results_.data();
}

std::size_t Unit::read_in_place(InPlaceRead* regions, std::size_t count) {
  const sc_time began = sc_core::sc_time_stamp();
  // The gather's FIFO bounds its bursts in flight: kGatherGroups groups of a burst
  // per row tile a word a beat; with whole-bus beats as many bursts as those groups'
  // words (a burst fills one of the FIFO's entries).
  std::size_t window = kDmaBurstsInFlight;
  for (std::size_t i = 0; i < count; ++i) {
    if (!regions[i].gather) continue;
    const VectorGather& gather = *regions[i].gather;
    window = dma::kGatherGroups * static_cast<std::size_t>(gather.rows) *
             (gather.beat_bytes > gather.word_bytes ? dma::kVectorBurstBeats : 1);
  }
  BurstStream stream(*this, window);
  sc_time last = began;
  for (std::size_t i = 0; i < count; ++i) {
    InPlaceRead& region = regions[i];
    region.data = nullptr;
    const bool read = region.gather ? stream.gather(region.address, *region.gather, region.arrived)
                                    : stream.transfer(region.address, nullptr, region.bytes, false,
                                                      region.arrived);
    if (!read) return i;
    last = std::max(last, region.arrived);
    if (stores_data_) region.data = memory_data() + region.address;
  }
  wait_until(last);
  for (std::size_t i = 0; i < count; ++i) counters_.bytes_read += regions[i].bytes;
  count_memory_time(began);
  return count;
}

std::uint8_t* Unit::memory_data() {
  if (!stores_data_) return nullptr;
  if (memory_data_ == nullptr) {
    prepare(payload_, tlm::TLM_READ_COMMAND, 0, nullptr, 0);
    tlm::tlm_dmi dmi;
    if (!memory->get_direct_mem_ptr(payload_, dmi) || dmi.get_start_address() != 0) {
      throw DeviceError("device memory grants no direct access to its data");
    }
    memory_data_ = dmi.get_dmi_ptr();
  }
  return memory_data_;
}

void Unit::wait_cycles(std::uint64_t cycles) {
  if (timed_ && cycles > 0) sc_core::wait(period_ * static_cast<double>(cycles));
}

void Unit::wait_cycles_since(const sc_time& start, std::uint64_t cycles) {
  if (!timed_) return;
  const sc_time end = start + period_ * static_cast<double>(cycles);
  if (end > sc_core::sc_time_stamp()) sc_core::wait(end - sc_core::sc_time_stamp());
}

GemmUnit::GemmUnit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
                   const PlatformOptions& options, std::unique_ptr<GemmBackend> backend,
                   FaultInjector& faults)
    : Unit(name, index, config, options),
      config_(config),
      array_(config.array()),
      buffer_words_(config.gemm.buffer_words),
      memory_port_bytes_(config.gemm.port_bytes()),
      checksums_(config.gemm.checksums),
      backend_(std::move(backend)),
      faults_(faults) {
  set_reg(reg::kFeatures, checksums_ ? reg::kFeatureChecksums : 0);
  const int log2_depth = 31 - __builtin_clz(static_cast<unsigned>(buffer_words_));
  set_reg(reg::kConfig, static_cast<std::uint32_t>(array_.rows) |
                            static_cast<std::uint32_t>(array_.cols) << 8 |
                            static_cast<std::uint32_t>(log2_depth) << 16 |
                            static_cast<std::uint32_t>(log2_depth) << 24);
}

std::uint64_t job_macs(hls::ArrayShape array, bool vector, int m_tiles, int n_tiles, int k) {
  const std::uint64_t tiles =
      vector ? static_cast<std::uint64_t>((n_tiles + array.rows - 1) / array.rows)
             : static_cast<std::uint64_t>(m_tiles) * static_cast<std::uint64_t>(n_tiles);
  return tiles * static_cast<std::uint64_t>(array.rows * array.cols) *
         static_cast<std::uint64_t>(k);
}

FaultInjector::EngineJob engine_job(const std::string& unit, const hls::HardwareConfig& config,
                                    bool vector, int m_tiles, int n_tiles, int k) {
  FaultInjector::EngineJob job;
  job.unit = unit;
  job.array = config.array();
  job.vector = vector;
  job.m_tiles = m_tiles;
  job.n_tiles = n_tiles;
  job.k = k;
  job.checksums = config.gemm.checksums;
  job.seconds = sc_core::sc_time_stamp().to_seconds();
  job.clock_mhz = config.clock_mhz;
  job.period = gemm_tile_period(job.array, k, job.checksums);
  return job;
}

GemmBackend::Observed GemmUnit::observe(bool vector, int m_tiles, int n_tiles, int k,
                                        hls::ChecksumReport& checks) {
  GemmBackend::Observed observed;
  observed.fault = faults_.engine_job(engine_job(basename(), config_, vector, m_tiles, n_tiles, k));
  observed.checks = checksums_ ? &checks : nullptr;
  return observed;
}

std::uint8_t GemmUnit::ctrl_offset() const { return reg::kCtrl; }
std::uint8_t GemmUnit::status_offset() const { return reg::kStatus; }
std::uint8_t GemmUnit::cycles_offset() const { return reg::kCyclesLo; }

Unit::JobResult GemmUnit::run_job() {
  if (reg(reg::kCtrl) & reg::kCtrlVector) return run_vector_job();
  const auto m_tiles = static_cast<int>(reg(reg::kMTiles)),
             n_tiles = static_cast<int>(reg(reg::kNTiles)), k = static_cast<int>(reg(reg::kK));
  const long words = buffer_words_;
  if (m_tiles <= 0 || n_tiles <= 0 || k <= 0 || static_cast<long>(m_tiles) * k > words ||
      static_cast<long>(n_tiles) * k > words) {
    return {"GEMM job " + std::to_string(m_tiles) + "x" + std::to_string(n_tiles) +
                " tiles, K = " + std::to_string(k) + " does not fit the " +
                std::to_string(buffer_words_) + "-word operand buffers",
            0};
  }
  const std::size_t a_bytes = tiled_bytes(m_tiles * array_.rows, k, array_.rows);
  const std::size_t w_bytes = tiled_bytes(n_tiles * array_.cols, k, array_.cols);
  const std::size_t c_bytes =
      result_bytes(m_tiles * array_.rows, n_tiles * array_.cols, array_.rows, array_.cols);
  // W's bursts follow A's without a gap, as the top's burst splitter issues them.
  std::array<InPlaceRead, 2> operands{{{address(reg::kAAddr, reg::kAAddrHi), a_bytes},
                                       {address(reg::kWAddr, reg::kWAddrHi), w_bytes}}};
  if (read_in_place(operands.data(), operands.size()) < operands.size()) {
    return {"GEMM operands outside device memory", 0};
  }
  const std::uint8_t *a = operands[0].data, *w = operands[1].data;
  std::uint8_t* c = results(c_bytes);
  std::uint64_t cycles = 0;
  hls::ChecksumReport checks;
  try {
    cycles =
        backend_->run(a, w, m_tiles, n_tiles, k, c, observe(false, m_tiles, n_tiles, k, checks));
  } catch (const DeviceError& e) {
    return {e.what(), 0, {}};
  }
  wait_cycles(cycles);
  if (!dma(address(reg::kCAddr, reg::kCAddrHi), c, c_bytes, true)) {
    return {"GEMM results outside device memory", cycles};
  }
  counters_.macs += job_macs(array_, false, m_tiles, n_tiles, k);
  return {"", cycles, checks};
}

// The top's gather takes one FIFO entry a cycle (docs/rtl.md "GEMM engine"). With
// words a beat, an entry is a word and a beat's words come across the bursts of its
// group: the last beat of the last group is complete (rows - 1)·(beats - 1) + 1 cycles
// after the group's last word has arrived, for that group's row tiles and K steps, as
// the words of its other beats wait in the FIFO. With whole-bus beats an entry holds
// all the group's K steps of a row tile: the last entry completes every beat of the
// group at once, and the engine takes them a cycle each.
std::uint64_t GemmUnit::gather_lag(int n_tiles, int k, bool whole_bus_beats) const {
  const auto rows = static_cast<std::uint64_t>(array_.rows);
  const auto tiles = static_cast<std::uint64_t>(n_tiles), steps = static_cast<std::uint64_t>(k);
  const std::uint64_t last_rows = tiles - (tiles - 1) / rows * rows;
  const std::uint64_t last_beats =
      steps - (steps - 1) / dma::kVectorBurstBeats * dma::kVectorBurstBeats;
  if (whole_bus_beats) return last_beats;
  return (last_rows - 1) * (last_beats - 1) + 1;
}

bool GemmUnit::whole_bus_beats(std::uint64_t w_address, int k) const {
  const auto bus = static_cast<std::uint64_t>(memory_port_bytes_);
  return memory_port_bytes_ > array_.rows && w_address % bus == 0 &&
         static_cast<std::size_t>(k) % dma::kVectorBurstBeats == 0;
}

// A GEMV job: A into the buffer, then W streams from memory while the engine runs,
// so the job takes as long as the slower of the two.
Unit::JobResult GemmUnit::run_vector_job() {
  const auto n_tiles = static_cast<int>(reg(reg::kNTiles)), k = static_cast<int>(reg(reg::kK));
  if (n_tiles <= 0 || k < array_.rows ||
      static_cast<long>(vector_a_bytes(k, array_.rows) / static_cast<std::size_t>(array_.rows)) >
          buffer_words_) {
    return {"vector job of " + std::to_string(n_tiles) + " row tiles, K = " + std::to_string(k) +
                ": K must be at least " + std::to_string(array_.rows) + " and fit the " +
                std::to_string(buffer_words_) + "-word A buffer",
            0};
  }
  const std::size_t a_bytes = vector_a_bytes(k, array_.rows);
  const std::size_t w_bytes = static_cast<std::size_t>(n_tiles) * static_cast<std::size_t>(k) *
                              static_cast<std::size_t>(array_.cols);
  const std::size_t c_bytes = vector_result_bytes(n_tiles, array_.cols);
  // W's bursts follow A's without a gap and stream into the engine, which starts
  // once A is in: the job waits for both.
  std::array<InPlaceRead, 2> operands{{{address(reg::kAAddr, reg::kAAddrHi), a_bytes},
                                       {address(reg::kWAddr, reg::kWAddrHi), w_bytes}}};
  const bool whole_beats = whole_bus_beats(operands[1].address, k);
  operands[1].gather = VectorGather{k, n_tiles, array_.rows, array_.cols,
                                    whole_beats ? memory_port_bytes_ : array_.cols};
  const std::size_t read = read_in_place(operands.data(), operands.size());
  if (read < operands.size()) {
    return {std::string("vector job ") + (read == 0 ? "A" : "W") + " outside device memory", 0};
  }
  const std::uint8_t *a = operands[0].data, *w = operands[1].data;
  const sc_time engine_start = operands[0].arrived, w_arrived = operands[1].arrived;
  std::uint8_t* c = results(c_bytes);
  std::uint64_t cycles = 0;
  hls::ChecksumReport checks;
  try {
    cycles = backend_->run_vector(a, w, n_tiles, k, c, observe(true, 0, n_tiles, k, checks));
  } catch (const DeviceError& e) {
    return {e.what(), 0, {}};
  }
  // The engine takes a beat (a K step of its vector tile) per cycle at best and ends
  // its last tile `drain` cycles after that tile's last beat: no sooner than that
  // after the gather has the last beat, which it has `gather_lag` cycles after W's
  // last word has arrived.
  const auto beats = static_cast<std::uint64_t>((n_tiles + array_.rows - 1) / array_.rows) *
                     static_cast<std::uint64_t>(k);
  const std::uint64_t drain = cycles > beats ? cycles - beats : 0;
  wait_cycles_since(engine_start, cycles);
  wait_cycles_since(w_arrived, gather_lag(n_tiles, k, whole_beats) + drain);
  if (!dma(address(reg::kCAddr, reg::kCAddrHi), c, c_bytes, true)) {
    return {"vector job results outside device memory", cycles};
  }
  counters_.macs += job_macs(array_, true, 0, n_tiles, k);
  return {"", cycles, checks};
}

AttentionUnit::AttentionUnit(sc_core::sc_module_name name, int index,
                             const hls::HardwareConfig& config, const PlatformOptions& options,
                             std::unique_ptr<AttentionBackend> backend, FaultInjector& faults)
    : Unit(name, index, config, options),
      config_(config),
      context_max_(config.attention.context_max),
      backend_(std::move(backend)),
      faults_(faults) {}

std::uint8_t AttentionUnit::ctrl_offset() const { return reg::kAttCtrl; }
std::uint8_t AttentionUnit::status_offset() const { return reg::kAttStatus; }
std::uint8_t AttentionUnit::cycles_offset() const { return reg::kAttCyclesLo; }

Unit::JobResult AttentionUnit::run_job() {
  const auto positions = static_cast<int>(reg(reg::kAttPositions));
  if (positions <= 0 || positions > context_max_) {
    return {"attention job with " + std::to_string(positions) + " positions (the unit holds 1.." +
                std::to_string(context_max_) + ")",
            0};
  }
  const auto head_size = static_cast<int>(reg(reg::kAttHeadSize));
  if (head_size < 0 || head_size > config_.attention.head_size_max) {
    return {"attention job with head size " + std::to_string(reg(reg::kAttHeadSize)) +
                " (the unit holds 1.." + std::to_string(config_.attention.head_size_max) +
                " lanes)",
            0};
  }
  const std::uint32_t group = std::max<std::uint32_t>(1, reg(reg::kAttGroup));
  if (group > reg::kAttGroupMax) {
    return {"attention job with " + std::to_string(group) + " query heads (the unit takes 1.." +
                std::to_string(reg::kAttGroupMax) + ")",
            0};
  }
  const AttentionRecords records = attention_records(config_, head_size);
  const std::size_t kv_bytes = static_cast<std::size_t>(positions) * records.kv_bytes();
  const std::size_t query_bytes = records.query_bytes(), result_bytes = records.result_bytes();
  // The unit starts once the query records are in (the RTL port reads a later head's
  // while the one before it runs, for no more latency); the K/V records, asked for
  // only then, stream into the running unit, which takes one per cycle in its load
  // phase (the first `positions` of a job's cycles, docs/rtl.md): the phase ends when
  // the last record has arrived and `positions` cycles have passed, whichever is
  // later, and the rest of the job's cycles follow.
  InPlaceRead query_records{address(reg::kAttQAddr, reg::kAttQAddrHi), group * query_bytes};
  if (read_in_place(&query_records, 1) < 1) return {"attention records outside device memory", 0};
  const sc_time unit_start = sc_core::sc_time_stamp();
  InPlaceRead kv_records{address(reg::kAttKvAddr, reg::kAttKvAddrHi), kv_bytes};
  if (read_in_place(&kv_records, 1) < 1) return {"attention records outside device memory", 0};
  const std::uint8_t *query = query_records.data, *kv = kv_records.data;
  std::uint8_t* result = results(group * result_bytes);
  // The group's heads one after another over the K/V records the unit holds.
  std::uint64_t cycles = 0;
  try {
    for (std::uint32_t h = 0; h < group; ++h) {
      std::uint8_t* head_result = result == nullptr ? nullptr : result + h * result_bytes;
      cycles += backend_->run(records, query == nullptr ? nullptr : query + h * query_bytes, kv,
                              positions, head_result);
      if (head_result != nullptr) {
        faults_.attention_job(basename(), head_size > 0 ? head_size : records.head_max,
                              head_result + record::kResultAcc.at(records.head_max),
                              sc_core::sc_time_stamp().to_seconds());
      }
    }
  } catch (const DeviceError& e) {
    return {e.what(), 0};
  }
  const auto load = std::min<std::uint64_t>(static_cast<std::uint64_t>(positions), cycles);
  wait_cycles_since(unit_start, load);
  wait_cycles(cycles - load);
  if (!dma(address(reg::kAttOutAddr, reg::kAttOutAddrHi), result, group * result_bytes, true)) {
    return {"attention result outside device memory", cycles};
  }
  return {"", cycles};
}

}  // namespace tessera::sim
