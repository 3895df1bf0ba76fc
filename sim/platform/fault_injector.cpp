#include "platform/fault_injector.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tessera::sim {
namespace {

const char* buffer_name(hls::OperandBuffer buffer) {
  return buffer == hls::OperandBuffer::kA ? "A" : "W";
}

}  // namespace

const std::vector<FaultSiteInfo>& fault_sites() {
  static const std::vector<FaultSiteInfo> sites = {
      {FaultSite::kAccumulator, "accumulator", "a PE accumulator of a GEMM engine", true, false},
      {FaultSite::kOperandBuffer, "operand_buffer", "a byte of a GEMM engine's operand buffers",
       true, false},
      {FaultSite::kResultFifo, "result_fifo", "a result word on its way from the array to memory",
       true, false},
      {FaultSite::kDeviceMemory, "device_memory", "a byte of allocated device memory", false,
       false},
      {FaultSite::kHostLink, "host_link", "a byte of a transfer over the host link", false, false},
      {FaultSite::kAttention, "attention",
       "an output accumulator lane of an attention unit, as its job ends", false, false},
      {FaultSite::kHostGlue, "host_glue",
       "an fp32 value of a host op (RMSNorm, RoPE, SwiGLU, residual add) in the runtime", false,
       true},
  };
  return sites;
}

const FaultSiteInfo& info(FaultSite site) {
  for (const FaultSiteInfo& entry : fault_sites()) {
    if (entry.site == site) return entry;
  }
  throw std::logic_error("a fault site missing from fault_sites()");
}

std::string to_string(FaultSite site) { return info(site).name; }

FaultSite parse_fault_site(const std::string& name) {
  std::string known;
  for (const FaultSiteInfo& info : fault_sites()) {
    if (name == info.name) return info.site;
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  throw std::invalid_argument("unknown fault site '" + name + "' (" + known + ")");
}

std::string to_string(hls::BitFault kind) {
  switch (kind) {
    case hls::BitFault::kFlip:
      return "flip";
    case hls::BitFault::kStuckAt0:
      return "stuck0";
    case hls::BitFault::kStuckAt1:
      return "stuck1";
  }
  return "?";
}

hls::BitFault parse_bit_fault(const std::string& name) {
  for (hls::BitFault kind :
       {hls::BitFault::kFlip, hls::BitFault::kStuckAt0, hls::BitFault::kStuckAt1}) {
    if (to_string(kind) == name) return kind;
  }
  throw std::invalid_argument("unknown fault kind '" + name + "' (flip, stuck0 or stuck1)");
}

std::string to_json(const FaultRecord& r) {
  const nlohmann::ordered_json json = {{"site", to_string(r.spec.site)},
                                       {"kind", to_string(r.spec.kind)},
                                       {"event", r.spec.event},
                                       {"seed", r.spec.seed},
                                       {"struck", r.struck},
                                       {"time_s", r.seconds},
                                       {"where", r.where},
                                       {"events", r.events}};
  return json.dump();
}

void FaultInjector::arm(const FaultSpec& spec) {
  armed_ = spec;
  record_ = FaultRecord{};
  record_.spec = spec;
  rng_.seed(spec.seed);
  engine_jobs_ = commands_ = transfers_ = attention_jobs_ = 0;
}

std::optional<FaultRecord> FaultInjector::take() {
  if (!armed_) return std::nullopt;
  armed_.reset();
  return record_;
}

std::optional<FaultRecord> FaultInjector::record() const {
  if (!armed_) return std::nullopt;
  return record_;
}

FaultInjector::Event FaultInjector::event_of(FaultSite site) {
  switch (site) {
    case FaultSite::kDeviceMemory:
      return Event::kCommand;
    case FaultSite::kHostLink:
      return Event::kTransfer;
    case FaultSite::kAttention:
      return Event::kAttentionJob;
    default:
      return Event::kEngineJob;
  }
}

bool FaultInjector::due(Event event, std::uint64_t& counter) {
  if (!armed_ || event_of(armed_->site) != event) return false;
  const bool now = !record_.struck && counter == armed_->event;
  record_.events = ++counter;
  return now;
}

const hls::EngineFault* FaultInjector::engine_job(const EngineJob& job) {
  if (!due(Event::kEngineJob, engine_jobs_)) return nullptr;
  hls::EngineFault& f = engine_;
  f = hls::EngineFault{};
  f.kind = armed_->kind;
  const int rows = job.array.rows, cols = job.array.cols;
  const int tiles = job.vector ? (job.n_tiles * cols + rows * cols - 1) / (rows * cols)
                               : job.m_tiles * job.n_tiles;
  f.tile = static_cast<int>(draw(static_cast<std::uint64_t>(tiles)));
  f.step = static_cast<int>(draw(static_cast<std::uint64_t>(job.k) + 1));
  std::string where;
  switch (armed_->site) {
    case FaultSite::kAccumulator: {
      f.site = hls::EngineSite::kAccumulator;
      f.bit = static_cast<int>(draw(32));
      const auto pe = draw(static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols));
      f.row = static_cast<int>(pe / static_cast<std::uint64_t>(cols));
      f.col = static_cast<int>(pe % static_cast<std::uint64_t>(cols));
      // With checksums the checksum PEs (a row and a column of them, one in vector
      // mode) are as likely to be struck as any other. Drawn last, so a seed strikes
      // the same array PE with checksums on and off unless it moves here.
      if (job.checksums) {
        const std::uint64_t pes =
            static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols);
        const std::uint64_t checks = job.vector ? 1 : static_cast<std::uint64_t>(rows + cols);
        const std::uint64_t moved = draw(pes + checks);
        if (moved >= pes && job.vector) {
          f.row = rows;
          f.col = 0;
        } else if (moved >= pes && moved - pes < static_cast<std::uint64_t>(cols)) {
          f.row = rows;  // the checksum row
          f.col = static_cast<int>(moved - pes);
        } else if (moved >= pes) {
          f.row = static_cast<int>(moved - pes - static_cast<std::uint64_t>(cols));
          f.col = cols;  // the checksum column
        }
      }
      where = "accumulator PE(" + std::to_string(f.row) + "," + std::to_string(f.col) + ")";
      break;
    }
    case FaultSite::kOperandBuffer: {
      f.site = hls::EngineSite::kOperandBuffer;
      f.bit = static_cast<int>(draw(8));
      if (job.vector) {
        f.buffer = hls::OperandBuffer::kA;  // W streams past the buffers
        const auto k = static_cast<std::uint64_t>(job.k);
        const std::uint64_t byte = draw(k);
        f.word = static_cast<int>(byte / static_cast<std::uint64_t>(rows));
        f.lane = static_cast<int>(byte % static_cast<std::uint64_t>(rows));
      } else {
        const std::uint64_t a_bytes = static_cast<std::uint64_t>(job.m_tiles) *
                                      static_cast<std::uint64_t>(job.k) *
                                      static_cast<std::uint64_t>(rows);
        const std::uint64_t w_bytes = static_cast<std::uint64_t>(job.n_tiles) *
                                      static_cast<std::uint64_t>(job.k) *
                                      static_cast<std::uint64_t>(cols);
        std::uint64_t byte = draw(a_bytes + w_bytes);
        f.buffer = byte < a_bytes ? hls::OperandBuffer::kA : hls::OperandBuffer::kW;
        if (byte >= a_bytes) byte -= a_bytes;
        const auto width = static_cast<std::uint64_t>(byte < a_bytes ? rows : cols);
        f.word = static_cast<int>(byte / width);
        f.lane = static_cast<int>(byte % width);
      }
      where = std::string(buffer_name(f.buffer)) + " buffer word " + std::to_string(f.word) +
              " byte " + std::to_string(f.lane);
      break;
    }
    case FaultSite::kResultFifo:
      f.site = hls::EngineSite::kResultFifo;
      f.bit = static_cast<int>(draw(32));
      f.row = static_cast<int>(draw(static_cast<std::uint64_t>(rows)));
      f.col = static_cast<int>(draw(static_cast<std::uint64_t>(cols)));
      where = "result of PE(" + std::to_string(f.row) + "," + std::to_string(f.col) + ")";
      break;
    default:
      return nullptr;
  }
  // When in the job: the struck tile's step, tiles following each other every
  // `period` cycles (vector tiles every K).
  const std::uint64_t period = job.vector ? static_cast<std::uint64_t>(job.k) : job.period;
  const std::uint64_t cycle =
      static_cast<std::uint64_t>(f.tile) * period + static_cast<std::uint64_t>(f.step);
  record_.struck = true;
  record_.engine = f;
  record_.bit = f.bit;
  record_.seconds =
      job.seconds + (job.clock_mhz > 0 ? static_cast<double>(cycle) / (job.clock_mhz * 1e6) : 0);
  record_.where = job.unit + (job.vector ? " vector job" : " job") + " tile " +
                  std::to_string(f.tile) + " step " + std::to_string(f.step) + " " + where +
                  " bit " + std::to_string(f.bit) + " (" + to_string(f.kind) + ")";
  return &engine_;
}

void FaultInjector::command_starts(
    std::uint64_t id, double seconds,
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& allocated, std::uint8_t* memory) {
  if (memory == nullptr || !due(Event::kCommand, commands_)) return;
  std::uint64_t total = 0;
  for (const auto& [address, bytes] : allocated) total += bytes;
  std::uint64_t byte = draw(total);
  const int bit = static_cast<int>(draw(8));
  std::uint64_t address = 0;
  for (const auto& [at, bytes] : allocated) {
    if (byte < bytes) {
      address = at + byte;
      break;
    }
    byte -= bytes;
  }
  record_.struck = true;
  record_.seconds = seconds;
  record_.address = address;
  record_.bit = bit;
  if (total == 0) {
    record_.where = "device memory before command " + std::to_string(id) + ": nothing allocated";
    return;
  }
  std::uint8_t& value = memory[address];
  value = static_cast<std::uint8_t>(
      hls::apply_bit_fault(armed_->kind, static_cast<std::uint32_t>(value), bit));
  record_.where = "device memory byte " + std::to_string(address) + " bit " + std::to_string(bit) +
                  " before command " + std::to_string(id) + " (" + to_string(armed_->kind) + ")";
}

void FaultInjector::host_transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes,
                                  bool to_device, double seconds) {
  if (data == nullptr || bytes == 0 || !due(Event::kTransfer, transfers_)) return;
  const std::uint64_t byte = draw(bytes);
  const int bit = static_cast<int>(draw(8));
  data[byte] = static_cast<std::uint8_t>(
      hls::apply_bit_fault(armed_->kind, static_cast<std::uint32_t>(data[byte]), bit));
  record_.struck = true;
  record_.seconds = seconds;
  record_.address = address + byte;
  record_.bit = bit;
  record_.where = std::string(to_device ? "host-to-device" : "device-to-host") + " transfer of " +
                  std::to_string(bytes) + " bytes, byte " + std::to_string(byte) + " bit " +
                  std::to_string(bit) + " (" + to_string(armed_->kind) + ")";
}

void FaultInjector::attention_job(const std::string& unit, int lanes, std::uint8_t* accumulators,
                                  double seconds) {
  if (!due(Event::kAttentionJob, attention_jobs_) || lanes <= 0) return;
  const auto lane = static_cast<int>(draw(static_cast<std::uint64_t>(lanes)));
  const int bit = static_cast<int>(draw(32));
  std::uint8_t& byte =
      accumulators[4 * static_cast<std::size_t>(lane) + static_cast<std::size_t>(bit / 8)];
  const auto mask = static_cast<std::uint8_t>(1u << (bit % 8));
  switch (armed_->kind) {
    case hls::BitFault::kFlip:
      byte ^= mask;
      break;
    case hls::BitFault::kStuckAt0:
      byte &= static_cast<std::uint8_t>(~mask);
      break;
    case hls::BitFault::kStuckAt1:
      byte |= mask;
      break;
  }
  record_.struck = true;
  record_.bit = bit;
  record_.seconds = seconds;
  record_.where = unit + " job " + std::to_string(attention_jobs_ - 1) + " lane " +
                  std::to_string(lane) + " bit " + std::to_string(bit);
}

}  // namespace tessera::sim
