#include "tessera/sim/platform.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "platform/command_processor.hpp"
#include "platform/compute_backends.hpp"
#include "platform/device_memory.hpp"
#include "platform/fault_injector.hpp"
#include "platform/host_link.hpp"
#include "platform/simulation_context.hpp"
#include "platform/top_unit.hpp"
#include "platform/units.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/memory_bench.hpp"

namespace tessera::sim {

using sc_core::sc_time;

std::string to_string(Fidelity fidelity) {
  switch (fidelity) {
    case Fidelity::kFunc:
      return "func";
    case Fidelity::kTlm:
      return "tlm";
    case Fidelity::kRtl:
      return "rtl";
  }
  return "?";
}

Fidelity parse_fidelity(const std::string& name) {
  if (name == "func") return Fidelity::kFunc;
  if (name == "tlm") return Fidelity::kTlm;
  if (name == "rtl") return Fidelity::kRtl;
  throw std::invalid_argument("unknown fidelity '" + name + "' (func, tlm or rtl)");
}

namespace {

std::size_t sz(int n) { return static_cast<std::size_t>(n); }

constexpr std::uint64_t kAlignment = Platform::kAllocationAlignment;
constexpr std::uint64_t kCommandBytes = 64;        // one descriptor over the host link
constexpr std::uint64_t kTransferChunk = 1 << 20;  // host transfers move in 1 MiB pieces

void check_options(const hls::HardwareConfig& config, const PlatformOptions& options) {
  if (!options.compute && options.fidelity == Fidelity::kRtl) {
    throw std::invalid_argument("rtl fidelity: timing-only runs need the tlm fidelity");
  }
  if (config.gemm.rows != config.gemm.cols) {
    throw hls::ConfigError(config.name + ": gemm_units.rows = " + std::to_string(config.gemm.rows) +
                           " and cols = " + std::to_string(config.gemm.cols) +
                           " must be equal (memory words are one tile row)");
  }
}

// First-fit allocation of device memory.
class Allocator {
 public:
  explicit Allocator(std::uint64_t size) { free_[0] = size; }
  std::uint64_t allocate(std::uint64_t bytes) {
    const std::uint64_t need =
        (std::max<std::uint64_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < need) continue;
      const std::uint64_t at = it->first, left = it->second - need;
      free_.erase(it);
      if (left > 0) free_[at + need] = left;
      used_[at] = need;
      return at;
    }
    throw DeviceError("device memory full: " + std::to_string(bytes) + " bytes requested");
  }
  void release(std::uint64_t address) {
    const auto it = used_.find(address);
    if (it == used_.end()) throw DeviceError("release of an address that was not allocated");
    auto [at, size] = *it;
    used_.erase(it);
    const auto next = free_.find(at + size);
    if (next != free_.end()) {
      size += next->second;
      free_.erase(next);
    }
    auto prev = free_.lower_bound(at);
    if (prev != free_.begin() && std::prev(prev)->first + std::prev(prev)->second == at) {
      std::prev(prev)->second += size;
    } else {
      free_[at] = size;
    }
  }

  // The allocations as (address, bytes).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> allocations() const {
    return {used_.begin(), used_.end()};
  }

 private:
  std::map<std::uint64_t, std::uint64_t> free_, used_;
};

}  // namespace

struct Platform::Impl {
  Impl(const hls::HardwareConfig& c, const PlatformOptions& o)
      : config(c), options(o), allocator(c.memory.bytes) {
    check_options(config, options);
    // The backends or tops first: they may refuse the configuration, and SystemC
    // cannot unwind a half-built module hierarchy.
    const bool rtl = options.fidelity == Fidelity::kRtl;
    std::vector<std::unique_ptr<GemmBackend>> gemm_backends;
    std::vector<std::unique_ptr<AttentionBackend>> attention_backends;
    std::vector<std::unique_ptr<RtlAccelerator>> tops;
    for (int i = 0; i < config.gemm.count + config.attention.count; ++i) {
      if (rtl) {
        tops.push_back(make_rtl_accelerator(config));
      } else if (i < config.gemm.count) {
        gemm_backends.push_back(make_gemm_backend(config, options));
      } else {
        attention_backends.push_back(make_attention_backend(options));
      }
    }
    const bool timed = options.fidelity != Fidelity::kFunc;
    memory = std::make_unique<DeviceMemory>("memory", config, timed, options.compute);
    link = std::make_unique<HostLink>("host_link", config, timed);
    link->memory.bind(memory->socket);
    std::vector<Unit*> gemm, attention;
    for (int i = 0; i < config.gemm.count; ++i) {
      const std::string name = "gemm" + std::to_string(i);
      if (rtl) {
        units.push_back(std::make_unique<TopUnit>(name.c_str(), i, TopUnit::Kind::kGemm, config,
                                                  options, std::move(tops[sz(i)]), faults));
      } else {
        units.push_back(std::make_unique<GemmUnit>(name.c_str(), i, config, options,
                                                   std::move(gemm_backends[sz(i)]), faults));
      }
      gemm.push_back(units.back().get());
    }
    for (int i = 0; i < config.attention.count; ++i) {
      const std::string name = "attention" + std::to_string(i);
      if (rtl) {
        units.push_back(
            std::make_unique<TopUnit>(name.c_str(), i, TopUnit::Kind::kAttention, config, options,
                                      std::move(tops[sz(config.gemm.count + i)]), faults));
      } else {
        units.push_back(std::make_unique<AttentionUnit>(
            name.c_str(), i, config, options, std::move(attention_backends[sz(i)]), faults));
      }
      attention.push_back(units.back().get());
    }
    for (auto& unit : units) unit->memory.bind(memory->socket);
    processor = std::make_unique<CommandProcessor>("command_queue", gemm, attention);
    processor->on_command_start([this](std::uint64_t id) {
      faults.command_starts(id, sc_core::sc_time_stamp().to_seconds(), allocator.allocations(),
                            memory->data());
    });
    // Elaborate now: sockets finish binding and unit threads start waiting.
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
  ~Impl() {
    context.activate();
    processor.reset();
    units.clear();
    link.reset();
    memory.reset();
  }

  // Advances simulated time by `delay` (the host waits that long).
  void advance(const sc_time& delay) {
    if (delay > sc_core::SC_ZERO_TIME) sc_core::sc_start(delay);
  }

  // Puts a transfer on the host link in 1 MiB pieces; returns when the last lands.
  sc_time send(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool to_device) {
    sc_time last = sc_core::SC_ZERO_TIME;
    for (std::uint64_t done = 0; done < bytes; done += kTransferChunk) {
      const std::uint64_t piece = std::min(kTransferChunk, bytes - done);
      std::uint8_t* bytes_moved = data == nullptr ? nullptr : data + done;
      last = std::max(last, link->transfer(address + done, bytes_moved, piece, to_device));
      // A write's data has landed in device memory; a read's is in the host's buffer.
      std::uint8_t* landed = to_device ? (memory->data() == nullptr || data == nullptr
                                              ? nullptr
                                              : memory->data() + address + done)
                                       : bytes_moved;
      faults.host_transfer(address + done, landed, piece, to_device,
                           sc_core::sc_time_stamp().to_seconds());
    }
    return last;
  }

  // Returns when the transfer has landed (simulated time).
  sc_time transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool to_device) {
    context.activate();
    const sc_time last = send(address, data, bytes, to_device);
    // Writes are posted: the host goes on while the link carries them, ahead of
    // anything sent later. Reads wait for their data.
    if (to_device) {
      writes_done = std::max(writes_done, sc_core::sc_time_stamp() + last);
      return sc_core::sc_time_stamp() + last;
    }
    advance(last);
    return sc_core::sc_time_stamp();
  }

  SimulationContext context;  // first: everything below lives in it
  hls::HardwareConfig config;
  PlatformOptions options;
  Allocator allocator;
  FaultInjector faults;
  std::unique_ptr<DeviceMemory> memory;
  // Worked out by a memory benchmark run on the model, on first asking.
  mutable std::optional<double> achievable_gbps;
  std::unique_ptr<HostLink> link;
  std::vector<std::unique_ptr<Unit>> units;
  std::unique_ptr<CommandProcessor> processor;
  std::uint64_t enqueued = 0;
  struct Readback {
    std::uint64_t address;
    std::uint8_t* data;
    std::uint64_t bytes;
  };
  std::vector<Readback> readbacks;              // pushed to the host when the commands are done
  sc_time writes_done = sc_core::SC_ZERO_TIME;  // when the last posted write lands
  sc_time counters_since = sc_core::SC_ZERO_TIME;
};

Platform::Platform(const hls::HardwareConfig& config, const PlatformOptions& options)
    : impl_(std::make_unique<Impl>(config, options)) {}

Platform::~Platform() = default;

const hls::HardwareConfig& Platform::config() const { return impl_->config; }
const PlatformOptions& Platform::options() const { return impl_->options; }

std::uint64_t Platform::allocate(std::uint64_t bytes) { return impl_->allocator.allocate(bytes); }
void Platform::release(std::uint64_t address) { impl_->allocator.release(address); }

double Platform::write(std::uint64_t address, const void* data, std::uint64_t bytes) {
  // The payload's data pointer is not const; the memory only reads from it here.
  return impl_->transfer(address, static_cast<std::uint8_t*>(const_cast<void*>(data)), bytes, true)
      .to_seconds();
}

void Platform::read(std::uint64_t address, void* data, std::uint64_t bytes) {
  impl_->transfer(address, static_cast<std::uint8_t*>(data), bytes, false);
}

void Platform::read_when_done(std::uint64_t address, void* data, std::uint64_t bytes) {
  impl_->readbacks.push_back({address, static_cast<std::uint8_t*>(data), bytes});
}

std::uint32_t Platform::read_register(std::uint32_t address) {
  impl_->context.activate();
  return impl_->processor->read_register(address);
}

std::uint64_t Platform::enqueue(const GemmCommand& command) {
  impl_->context.activate();
  impl_->processor->push(command, impl_->link->message(kCommandBytes));
  return impl_->enqueued++;
}

std::uint64_t Platform::enqueue(const AttentionCommand& command) {
  impl_->context.activate();
  impl_->processor->push(command, impl_->link->message(kCommandBytes));
  return impl_->enqueued++;
}

void Platform::keep_command_times(bool keep) { impl_->processor->keep_times(keep); }

std::uint64_t Platform::next_command() const { return impl_->enqueued; }

Platform::CommandTimes Platform::command_times(std::uint64_t id) const {
  const CommandProcessor::Times t = impl_->processor->times(id);
  return {t.start.to_seconds(), t.end.to_seconds()};
}

void Platform::forget_command_times(std::uint64_t id) { impl_->processor->forget_times_before(id); }

void Platform::run_until_idle() {
  Impl& p = *impl_;
  p.context.activate();
  // Runs until no process has anything left to do: every command has finished.
  if (sc_core::sc_pending_activity()) sc_core::sc_start();
  if (!p.processor->idle() || p.processor->completed() != p.enqueued) {
    throw DeviceError("device stopped with " +
                      std::to_string(p.enqueued - p.processor->completed()) +
                      " commands unfinished");
  }
  // The device pushes the queued reads, then the completion interrupt follows them:
  // the host sees both one link latency after the last byte left.
  sc_time arrived = p.link->latency();
  for (const Impl::Readback& r : p.readbacks) {
    arrived = std::max(arrived, p.send(r.address, r.data, r.bytes, false));
  }
  p.readbacks.clear();
  p.advance(arrived);
  if (p.writes_done > sc_core::sc_time_stamp()) p.advance(p.writes_done - sc_core::sc_time_stamp());
  const std::string error = p.processor->take_error();
  CommandProcessor::ChecksumFailures failed = p.processor->take_checksum_failures();
  if (!error.empty()) throw DeviceError(error);
  if (!failed.commands.empty()) {
    const std::size_t more = failed.commands.size() - 1;
    throw ChecksumError(failed.first + (more > 0 ? " (and " + std::to_string(more) +
                                                       " more job(s) failed their checksums)"
                                                 : ""),
                        std::move(failed.commands));
  }
}

void Platform::arm_fault(const FaultSpec& spec) {
  Impl& p = *impl_;
  if (!p.options.compute) {
    throw std::invalid_argument("fault injection needs data: this platform runs timing only");
  }
  if (info(spec.site).on_host) {
    throw std::invalid_argument(to_string(spec.site) +
                                " faults strike the host runtime's fp32 ops, not the device "
                                "(tessera faults --workload decode injects them)");
  }
  p.faults.arm(spec);
}

std::optional<FaultRecord> Platform::take_fault() { return impl_->faults.take(); }
std::optional<FaultRecord> Platform::armed_fault() const { return impl_->faults.record(); }

void Platform::wait_for_writes() {
  Impl& p = *impl_;
  p.context.activate();
  if (p.writes_done > sc_core::sc_time_stamp()) p.advance(p.writes_done - sc_core::sc_time_stamp());
}

double Platform::now_seconds() const {
  impl_->context.activate();
  return sc_core::sc_time_stamp().to_seconds();
}

std::uint64_t Platform::now_cycles() const {
  return static_cast<std::uint64_t>(now_seconds() * impl_->config.clock_mhz * 1e6 + 0.5);
}

PlatformCounters Platform::counters() const {
  const Impl& p = *impl_;
  p.context.activate();
  PlatformCounters c;
  c.preset = p.config.name;
  c.fidelity = to_string(p.options.fidelity);
  c.clock_mhz = p.config.clock_mhz;
  c.simulated_seconds = (sc_core::sc_time_stamp() - p.counters_since).to_seconds();
  for (const auto& unit : p.units) c.units.push_back(unit->counters());
  c.memory_bytes_read = p.memory->bytes_read();
  c.memory_bytes_written = p.memory->bytes_written();
  if (c.simulated_seconds > 0) {
    c.memory_bandwidth_gbps = static_cast<double>(c.memory_bytes_read + c.memory_bytes_written) /
                              c.simulated_seconds / 1e9;
  }
  c.host_bytes_to_device = p.link->bytes_to_device();
  c.host_bytes_from_device = p.link->bytes_from_device();
  c.host_link_busy_seconds = p.link->busy_seconds();
  if (!p.achievable_gbps) p.achievable_gbps = achievable_memory_gbps(p.config);
  c.memory_achievable_gbps = *p.achievable_gbps;
  c.commands = p.processor->completed();
  return c;
}

void Platform::reset_counters() {
  Impl& p = *impl_;
  p.context.activate();
  for (auto& unit : p.units) unit->reset_counters();
  p.memory->reset_counters();
  p.link->reset_counters();
  p.counters_since = sc_core::sc_time_stamp();
}

std::string to_json(const PlatformCounters& c, int indent) {
  nlohmann::ordered_json units = nlohmann::ordered_json::array();
  for (const UnitCounters& u : c.units) {
    const double seconds = static_cast<double>(u.busy_cycles) / (c.clock_mhz * 1e6);
    units.push_back(
        {{"unit", u.name},
         {"jobs", u.jobs},
         {"busy_cycles", u.busy_cycles},
         {"compute_cycles", u.compute_cycles},
         {"memory_cycles", u.memory_cycles},
         {"stall_cycles", u.busy_cycles - std::min(u.busy_cycles, u.compute_cycles)},
         {"macs", u.macs},
         {"checksum_failures", u.checksum_failures},
         {"bytes_read", u.bytes_read},
         {"bytes_written", u.bytes_written},
         {"bandwidth_gbps",
          seconds > 0 ? static_cast<double>(u.bytes_read + u.bytes_written) / seconds / 1e9
                      : 0.0}});
  }
  const nlohmann::ordered_json json = {{"preset", c.preset},
                                       {"fidelity", c.fidelity},
                                       {"clock_mhz", c.clock_mhz},
                                       {"simulated_seconds", c.simulated_seconds},
                                       {"commands", c.commands},
                                       {"memory_achievable_gbps", c.memory_achievable_gbps},
                                       {"memory",
                                        {{"bytes_read", c.memory_bytes_read},
                                         {"bytes_written", c.memory_bytes_written},
                                         {"bandwidth_gbps", c.memory_bandwidth_gbps}}},
                                       {"host_link",
                                        {{"bytes_to_device", c.host_bytes_to_device},
                                         {"bytes_from_device", c.host_bytes_from_device},
                                         {"busy_seconds", c.host_link_busy_seconds}}},
                                       {"units", units}};
  return json.dump(indent);
}

}  // namespace tessera::sim
