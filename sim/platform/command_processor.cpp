#include "platform/command_processor.hpp"

#include <cstring>

#include "platform/transaction.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::sim {

using sc_core::sc_time;

CommandProcessor::CommandProcessor(sc_core::sc_module_name name, std::vector<Unit*> gemm_units,
                                   std::vector<Unit*> attention_units)
    : sc_module(name),
      gemm_units_(std::move(gemm_units)),
      attention_units_(std::move(attention_units)) {
  // One register port per unit, in window order: GEMM units, then attention units.
  all_units_ = gemm_units_;
  all_units_.insert(all_units_.end(), attention_units_.begin(), attention_units_.end());
  for (Unit* unit : all_units_) {
    const std::string socket_name = std::string("to_") + unit->basename();
    sockets_.push_back(std::make_unique<tlm_utils::simple_initiator_socket<CommandProcessor>>(
        socket_name.c_str()));
    sockets_.back()->bind(unit->registers);
  }
  running_command_.assign(all_units_.size(), 0);
  for (Unit* unit : gemm_units_) {
    unit->set_job_done(
        [this, port = port_of(*unit)](int index, const std::string& error, bool checksum) {
          job_done(port, "gemm", index, error, checksum);
        });
  }
  for (Unit* unit : attention_units_) {
    unit->set_job_done(
        [this, port = port_of(*unit)](int index, const std::string& error, bool checksum) {
          job_done(port, "attention", index, error, checksum);
        });
  }
  SC_THREAD(thread);
}

void CommandProcessor::push(const Command& command, const sc_time& delay) {
  pending_.push_back({sc_core::sc_time_stamp() + delay, command, pushed_++, keep_times_});
  arrived_.notify(delay);
}

CommandProcessor::Times CommandProcessor::times(std::uint64_t id) const {
  const auto found = times_.find(id);
  return found == times_.end() ? Times{} : found->second;
}

void CommandProcessor::forget_times_before(std::uint64_t id) {
  times_.erase(times_.begin(), times_.lower_bound(id));
}

std::string CommandProcessor::take_error() {
  std::string error;
  error.swap(error_);
  return error;
}

CommandProcessor::ChecksumFailures CommandProcessor::take_checksum_failures() {
  ChecksumFailures failures;
  std::swap(failures, checksum_failures_);
  return failures;
}

void CommandProcessor::job_done(std::size_t port, const std::string& kind, int unit,
                                const std::string& error, bool checksum) {
  const auto kept = times_.find(running_command_[port]);
  if (kept != times_.end()) kept->second.end = sc_core::sc_time_stamp();
  --running_;
  ++completed_;
  const std::string message = kind + std::to_string(unit) + ": " + error;
  if (checksum) {
    if (checksum_failures_.commands.empty()) checksum_failures_.first = message;
    checksum_failures_.commands.push_back(running_command_[port]);
  } else if (!error.empty() && error_.empty()) {
    error_ = message;
  }
  unit_freed_.notify(sc_core::SC_ZERO_TIME);
}

void CommandProcessor::thread() {
  for (;;) {
    while (pending_.empty()) sc_core::wait(arrived_);
    const sc_time now = sc_core::sc_time_stamp();
    if (pending_.front().arrival > now) {
      sc_core::wait(pending_.front().arrival - now);
      continue;
    }
    const Command command = pending_.front().command;
    const std::uint64_t id = pending_.front().id;
    const bool timed = pending_.front().timed;
    Unit& unit = *wait_for_free_unit(
        std::holds_alternative<GemmCommand>(command) ? gemm_units_ : attention_units_);
    running_command_[port_of(unit)] = id;
    if (timed) times_[id].start = sc_core::sc_time_stamp();
    if (command_started_) command_started_(id);
    std::visit([&](const auto& c) { program(unit, c); }, command);
    pending_.pop_front();
  }
}

Unit* CommandProcessor::wait_for_free_unit(const std::vector<Unit*>& units) {
  for (;;) {
    for (Unit* unit : units) {
      if (!unit->busy()) return unit;
    }
    sc_core::wait(unit_freed_);
  }
}

std::size_t CommandProcessor::port_of(const Unit& unit) const {
  for (std::size_t i = 0; i < all_units_.size(); ++i) {
    if (all_units_[i] == &unit) return i;
  }
  return 0;  // unreachable: every unit has a port
}

void CommandProcessor::write_register(Unit& unit, std::uint8_t offset, std::uint32_t value) {
  tlm::tlm_generic_payload& payload = payload_;
  prepare(payload, tlm::TLM_WRITE_COMMAND, offset, reinterpret_cast<unsigned char*>(&value), 4);
  sc_time delay = sc_core::SC_ZERO_TIME;
  (*sockets_[port_of(unit)])->b_transport(payload, delay);
}

std::uint32_t CommandProcessor::read_register(std::uint32_t address) {
  const std::size_t port = address / reg::kUnitWindow;
  if (port >= sockets_.size() || address % 4 != 0) return 0;
  std::uint32_t value = 0;
  tlm::tlm_generic_payload& payload = payload_;
  prepare(payload, tlm::TLM_READ_COMMAND, address % reg::kUnitWindow,
          reinterpret_cast<unsigned char*>(&value), 4);
  sc_time delay = sc_core::SC_ZERO_TIME;
  (*sockets_[port])->b_transport(payload, delay);
  return value;
}

void CommandProcessor::program(Unit& unit, const GemmCommand& c) {
  ++running_;
  write_register(unit, reg::kMTiles, static_cast<std::uint32_t>(c.m_tiles));
  write_register(unit, reg::kNTiles, static_cast<std::uint32_t>(c.n_tiles));
  write_register(unit, reg::kK, static_cast<std::uint32_t>(c.k));
  write_register(unit, reg::kAAddr, static_cast<std::uint32_t>(c.a));
  write_register(unit, reg::kAAddrHi, static_cast<std::uint32_t>(c.a >> 32));
  write_register(unit, reg::kWAddr, static_cast<std::uint32_t>(c.w));
  write_register(unit, reg::kWAddrHi, static_cast<std::uint32_t>(c.w >> 32));
  write_register(unit, reg::kCAddr, static_cast<std::uint32_t>(c.c));
  write_register(unit, reg::kCAddrHi, static_cast<std::uint32_t>(c.c >> 32));
  write_register(unit, reg::kCtrl, reg::kCtrlStart | (c.vector ? reg::kCtrlVector : 0u));
  unit.mark_started();
}

void CommandProcessor::program(Unit& unit, const AttentionCommand& c) {
  ++running_;
  write_register(unit, reg::kAttPositions, static_cast<std::uint32_t>(c.positions));
  write_register(unit, reg::kAttHeadSize, static_cast<std::uint32_t>(c.head_size));
  write_register(unit, reg::kAttGroup, static_cast<std::uint32_t>(c.group));
  write_register(unit, reg::kAttQAddr, static_cast<std::uint32_t>(c.query));
  write_register(unit, reg::kAttQAddrHi, static_cast<std::uint32_t>(c.query >> 32));
  write_register(unit, reg::kAttKvAddr, static_cast<std::uint32_t>(c.kv));
  write_register(unit, reg::kAttKvAddrHi, static_cast<std::uint32_t>(c.kv >> 32));
  write_register(unit, reg::kAttOutAddr, static_cast<std::uint32_t>(c.out));
  write_register(unit, reg::kAttOutAddrHi, static_cast<std::uint32_t>(c.out >> 32));
  write_register(unit, reg::kAttCtrl, 1);
  unit.mark_started();
}

}  // namespace tessera::sim
