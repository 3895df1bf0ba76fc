#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <systemc>
#include <tlm>
#include <variant>
#include <vector>

#include "platform/units.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sim {

// The device's command queue: commands arrive from the host link, run in order of
// arrival on the first free unit of their kind (programmed through its registers),
// and complete in any order.
class CommandProcessor : public sc_core::sc_module {
 public:
  using Command = std::variant<GemmCommand, AttentionCommand>;

  SC_HAS_PROCESS(CommandProcessor);
  CommandProcessor(sc_core::sc_module_name name, std::vector<Unit*> gemm_units,
                   std::vector<Unit*> attention_units);

  // Called by the host; the command becomes visible to the device after `delay`.
  // Commands are numbered 0, 1, ... in the order they are pushed.
  void push(const Command& command, const sc_core::sc_time& delay);
  // When command `id` started on a unit and when its unit reported it done, for
  // commands pushed while keep_times(true) (off by default: long runs of many
  // commands would keep every one); zero times otherwise or until it has finished.
  // Forgotten by forget_times_before().
  struct Times {
    sc_core::sc_time start, end;
  };
  Times times(std::uint64_t id) const;
  void forget_times_before(std::uint64_t id);
  void keep_times(bool keep) { keep_times_ = keep; }
  bool idle() const { return pending_.empty() && running_ == 0; }
  std::uint64_t completed() const { return completed_; }
  // The first error since the last call, "" if none. Checksum failures are not
  // errors here: they are listed by take_checksum_failures().
  std::string take_error();
  // The commands whose jobs failed their checksums since the last call, with the
  // first one's message.
  struct ChecksumFailures {
    std::vector<std::uint64_t> commands;
    std::string first;
  };
  ChecksumFailures take_checksum_failures();
  // Called as each command starts on its unit (an observer: fault injection).
  void on_command_start(std::function<void(std::uint64_t id)> observer) {
    command_started_ = std::move(observer);
  }
  std::uint32_t read_register(std::uint32_t address);

 private:
  struct Pending {
    sc_core::sc_time arrival;
    Command command;
    std::uint64_t id;
    bool timed;  // keep its times
  };

  void thread();
  Unit* wait_for_free_unit(const std::vector<Unit*>& units);
  void program(Unit& unit, const GemmCommand& command);
  void program(Unit& unit, const AttentionCommand& command);
  void write_register(Unit& unit, std::uint8_t offset, std::uint32_t value);
  std::size_t port_of(const Unit& unit) const;
  void job_done(std::size_t port, const std::string& kind, int unit, const std::string& error,
                bool checksum);

  std::vector<Unit*> gemm_units_, attention_units_, all_units_;
  std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<CommandProcessor>>> sockets_;
  std::deque<Pending> pending_;
  tlm::tlm_generic_payload payload_;  // reused by every register access
  sc_core::sc_event arrived_, unit_freed_;
  int running_ = 0;
  std::uint64_t completed_ = 0, pushed_ = 0;
  std::vector<std::uint64_t> running_command_;  // per port: the command its unit runs
  std::map<std::uint64_t, Times> times_;
  bool keep_times_ = false;
  std::string error_;
  ChecksumFailures checksum_failures_;
  std::function<void(std::uint64_t)> command_started_;
};

}  // namespace tessera::sim
