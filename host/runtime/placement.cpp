#include "runtime/placement.hpp"

#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "runtime/block_ops.hpp"

namespace tessera::runtime {
namespace {

const char* label(Backend b) { return b == Backend::kAccelerator ? "accel" : "cpu"; }

Backend parse_backend(const std::string& name, const std::string& item) {
  if (name == "accel") return Backend::kAccelerator;
  if (name == "cpu") return Backend::kCpu;
  throw std::invalid_argument("--place item '" + item + "': device '" + name +
                              "' is not accel or cpu");
}

int parse_layer(const std::string& text, int n_layers, const std::string& item) {
  std::size_t used = 0;
  int layer = -1;
  try {
    layer = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || layer < 0 || layer >= n_layers) {
    throw std::invalid_argument("--place item '" + item + "': layer '" + text + "' is not in 0.." +
                                std::to_string(n_layers - 1));
  }
  return layer;
}

}  // namespace

bool Placement::uses(Backend b) const {
  for (Backend l : layers) {
    if (l == b) return true;
  }
  return false;
}

std::string Placement::describe() const {
  std::string out;
  const int blocks = static_cast<int>(layers.size()) - 1;
  for (int first = 0; first < blocks;) {
    int last = first;
    while (last + 1 < blocks &&
           layers[static_cast<std::size_t>(last + 1)] == layers[static_cast<std::size_t>(first)]) {
      ++last;
    }
    out += (out.empty() ? "" : ",") + std::to_string(first) +
           (last > first ? "-" + std::to_string(last) : "") + ":" +
           label(layers[static_cast<std::size_t>(first)]);
    first = last + 1;
  }
  return out + (out.empty() ? "" : ",") + "head:" + label(layers.back());
}

Placement parse_placement(const std::string& spec, int n_layers) {
  Placement p;
  p.layers.assign(static_cast<std::size_t>(n_layers) + 1, Backend::kAccelerator);
  if (spec == "accel" || spec == "cpu") {
    p.layers.assign(p.layers.size(), parse_backend(spec, spec));
    return p;
  }
  // Each block is placed once: a second item for the same block is a mistake.
  std::vector<std::string> placed_by(p.layers.size());
  const auto place = [&](std::size_t block, Backend backend, const std::string& item) {
    if (!placed_by[block].empty()) {
      throw std::invalid_argument(
          "--place items '" + placed_by[block] + "' and '" + item + "' both place " +
          (block + 1 == p.layers.size() ? std::string("the head")
                                        : "layer " + std::to_string(block)));
    }
    placed_by[block] = item;
    p.layers[block] = backend;
  };
  std::stringstream in(spec);
  for (std::string item; std::getline(in, item, ',');) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) {
      throw std::invalid_argument("--place item '" + item + "' is not RANGE:DEVICE");
    }
    const std::string range = item.substr(0, colon);
    const Backend backend = parse_backend(item.substr(colon + 1), item);
    if (range == "head") {
      place(p.layers.size() - 1, backend, item);
      continue;
    }
    const auto dash = range.find('-');
    const int first = parse_layer(range.substr(0, dash), n_layers, item);
    const int last = dash == std::string::npos ? first
                     : dash + 1 == range.size()
                         ? n_layers - 1
                         : parse_layer(range.substr(dash + 1), n_layers, item);
    if (last < first) throw std::invalid_argument("--place item '" + item + "': empty range");
    for (int l = first; l <= last; ++l) place(static_cast<std::size_t>(l), backend, item);
  }
  return p;
}

Placement auto_placement(const models::ModelConfig& m, const hls::HardwareConfig& d,
                         int max_positions, const CpuRate& cpu) {
  if (!(cpu.macs_per_second > 0) || !(cpu.seconds_per_call >= 0)) {
    throw std::invalid_argument("auto placement: the CPU rate must be positive");
  }
  const BlockTraffic block = block_traffic(m);
  const double block_weights = block.weight_bytes;
  const double block_cache = 2.0 * max_positions * (m.kv_dim() + 4.0 * m.n_kv_heads);
  const double head_weights = static_cast<double>(m.vocab_size) * m.dim;
  const double bandwidth = d.memory.bandwidth_gbps * 1e9;
  const double round_trip = 2 * d.host_link.latency_us * 1e-6;
  // A block is block_ops()' submissions, the head one. Each moves its int8 input over
  // the host link and its int32 outputs back.
  const double link = d.host_link.bandwidth_gbps * 1e9;
  const double block_activations = block.input_bytes + block.output_bytes;
  const double block_accel =
      block_weights / bandwidth + block.submissions * round_trip + block_activations / link;
  // The fallback runs each matmul and the attention as a call of its own.
  const double block_cpu = block.calls * cpu.seconds_per_call +
                           (block_weights + 2.0 * max_positions * m.dim) / cpu.macs_per_second;
  const double head_accel =
      head_weights / bandwidth + round_trip + (m.dim + 4.0 * m.vocab_size) / link;
  const double head_cpu = cpu.seconds_per_call + head_weights / cpu.macs_per_second;

  Placement p;
  p.layers.assign(static_cast<std::size_t>(m.n_layers) + 1, Backend::kCpu);
  double free = 0.9 * static_cast<double>(d.memory.bytes);  // room for scratch buffers
  if (head_accel < head_cpu && head_weights <= free) {
    p.layers.back() = Backend::kAccelerator;
    free -= head_weights;
  }
  for (int l = 0; l < m.n_layers; ++l) {
    if (block_accel < block_cpu && block_weights + block_cache <= free) {
      p.layers[static_cast<std::size_t>(l)] = Backend::kAccelerator;
      free -= block_weights + block_cache;
    }
  }
  char reason[256];
  std::snprintf(reason, sizeof reason,
                "auto: per block %.1f us on %s vs %.1f us on the CPU fallback (%.2f G MAC/s, "
                "%.1f us per call); head %.1f vs %.1f us",
                block_accel * 1e6, d.name.c_str(), block_cpu * 1e6, cpu.macs_per_second / 1e9,
                cpu.seconds_per_call * 1e6, head_accel * 1e6, head_cpu * 1e6);
  p.reason = reason;
  return p;
}

}  // namespace tessera::runtime
