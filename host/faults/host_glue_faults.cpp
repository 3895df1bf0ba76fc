#include "faults/host_glue_faults.hpp"

#include <cstring>
#include <string>

namespace tessera::faults {

void HostGlueFaults::arm(const sim::FaultSpec& spec) {
  if (!sim::info(spec.site).on_host) {
    throw std::invalid_argument(sim::to_string(spec.site) + " faults strike the device");
  }
  armed_ = spec;
  record_ = sim::FaultRecord{};
  record_.spec = spec;
  rng_.seed(spec.seed);
  events_ = 0;
}

nlohmann::json HostGlueFaults::record() const {
  if (!armed_) return nullptr;
  return nlohmann::json::parse(sim::to_json(record_));
}

void HostGlueFaults::host_op_output(const char* op, int layer, Eigen::VectorXf& output) {
  if (!armed_) return;
  const bool now = !record_.struck && events_ == armed_->event;
  record_.events = ++events_;
  if (!now || output.size() == 0) return;
  const auto index = static_cast<Eigen::Index>(rng_() % static_cast<std::uint64_t>(output.size()));
  const int bit = static_cast<int>(rng_() % 32);
  std::uint32_t bits = 0;
  std::memcpy(&bits, &output[index], sizeof bits);
  bits = hls::apply_bit_fault(armed_->kind, bits, bit);
  std::memcpy(&output[index], &bits, sizeof bits);
  record_.struck = true;
  record_.bit = bit;
  record_.where = std::string("host ") + op + " layer " + std::to_string(layer) + " value " +
                  std::to_string(index) + " bit " + std::to_string(bit) + " (" +
                  sim::to_string(armed_->kind) + ")";
}

}  // namespace tessera::faults
