#include "platform/units.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "tessera/sim/device_abi.hpp"

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
      period_(1.0 / config.clock_mhz, sc_core::SC_US) {
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
      if (value & 1u) start_.notify();
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
    set_reg(status_offset(), reg::kStatusDone | (result.error.empty() ? 0 : reg::kStatusError));
    busy_ = false;
    if (job_done_) job_done_(index_, result.error);
  }
}

bool Unit::dma(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool write) {
  const sc_time began = sc_core::sc_time_stamp();
  for (std::uint64_t done = 0; done < bytes;) {
    sc_time window = sc_core::SC_ZERO_TIME;
    for (int i = 0; i < kBurstsInFlight && done < bytes; ++i) {
      const std::uint64_t piece = std::min(kBurstBytes, bytes - done);
      tlm::tlm_generic_payload payload;
      payload.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      payload.set_address(address + done);
      payload.set_data_ptr(data == nullptr ? nullptr : data + done);
      payload.set_data_length(static_cast<unsigned>(piece));
      payload.set_streaming_width(static_cast<unsigned>(piece));
      sc_time delay = sc_core::SC_ZERO_TIME;
      memory->b_transport(payload, delay);
      if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) return false;
      window = std::max(window, delay);
      done += piece;
    }
    if (window > sc_core::SC_ZERO_TIME) sc_core::wait(window);
  }
  (write ? counters_.bytes_written : counters_.bytes_read) += bytes;
  counters_.memory_cycles +=
      static_cast<std::uint64_t>((sc_core::sc_time_stamp() - began) / period_);
  return true;
}

void Unit::wait_cycles(std::uint64_t cycles) {
  if (timed_ && cycles > 0) sc_core::wait(period_ * static_cast<double>(cycles));
}

GemmUnit::GemmUnit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
                   const PlatformOptions& options)
    : Unit(name, index, config, options),
      array_(config.array()),
      buffer_words_(config.gemm.buffer_words),
      backend_(make_gemm_backend(config, options)) {
  const int log2_depth = 31 - __builtin_clz(static_cast<unsigned>(buffer_words_));
  set_reg(reg::kConfig, static_cast<std::uint32_t>(array_.rows) |
                            static_cast<std::uint32_t>(array_.cols) << 8 |
                            static_cast<std::uint32_t>(log2_depth) << 16 |
                            static_cast<std::uint32_t>(log2_depth) << 24);
}

std::uint8_t GemmUnit::ctrl_offset() const { return reg::kCtrl; }
std::uint8_t GemmUnit::status_offset() const { return reg::kStatus; }
std::uint8_t GemmUnit::cycles_offset() const { return reg::kCyclesLo; }

Unit::JobResult GemmUnit::run_job() {
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
  std::vector<std::uint8_t> a, w, c;
  if (stores_data()) {
    a.resize(a_bytes);
    w.resize(w_bytes);
    c.resize(c_bytes);
  }
  auto data = [this](std::vector<std::uint8_t>& v) { return stores_data() ? v.data() : nullptr; };
  if (!dma(address(reg::kAAddr, reg::kAAddrHi), data(a), a_bytes, false) ||
      !dma(address(reg::kWAddr, reg::kWAddrHi), data(w), w_bytes, false)) {
    return {"GEMM operands outside device memory", 0};
  }
  std::uint64_t cycles = 0;
  try {
    cycles = backend_->run(data(a), data(w), m_tiles, n_tiles, k, data(c));
  } catch (const DeviceError& e) {
    return {e.what(), 0};
  }
  wait_cycles(cycles);
  if (!dma(address(reg::kCAddr, reg::kCAddrHi), data(c), c_bytes, true)) {
    return {"GEMM results outside device memory", cycles};
  }
  counters_.macs += static_cast<std::uint64_t>(m_tiles) * static_cast<std::uint64_t>(n_tiles) *
                    static_cast<std::uint64_t>(array_.rows * array_.cols) *
                    static_cast<std::uint64_t>(k);
  return {"", cycles};
}

AttentionUnit::AttentionUnit(sc_core::sc_module_name name, int index,
                             const hls::HardwareConfig& config, const PlatformOptions& options)
    : Unit(name, index, config, options),
      records_(attention_records(config)),
      context_max_(config.attention.context_max),
      backend_(make_attention_backend(config, options)) {}

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
  const std::size_t kv_bytes = static_cast<std::size_t>(positions) * records_.kv_bytes();
  std::vector<std::uint8_t> query, kv, result;
  if (stores_data()) {
    query.resize(records_.query_bytes());
    kv.resize(kv_bytes);
    result.resize(records_.result_bytes());
  }
  auto data = [this](std::vector<std::uint8_t>& v) { return stores_data() ? v.data() : nullptr; };
  if (!dma(address(reg::kAttQAddr, reg::kAttQAddrHi), data(query), records_.query_bytes(), false) ||
      !dma(address(reg::kAttKvAddr, reg::kAttKvAddrHi), data(kv), kv_bytes, false)) {
    return {"attention records outside device memory", 0};
  }
  std::uint64_t cycles = 0;
  try {
    cycles = backend_->run(data(query), data(kv), positions, data(result));
  } catch (const DeviceError& e) {
    return {e.what(), 0};
  }
  wait_cycles(cycles);
  if (!dma(address(reg::kAttOutAddr, reg::kAttOutAddrHi), data(result), records_.result_bytes(),
           true)) {
    return {"attention result outside device memory", cycles};
  }
  return {"", cycles};
}

}  // namespace tessera::sim
