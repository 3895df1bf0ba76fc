#include "runtime/cpu_rate.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "runtime/opencl_kernels.hpp"

namespace tessera::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kLarge = 1024, kSmall = 16;  // GEMVs of 1 M and 256 MACs
constexpr double kMinSeconds = 0.1;
constexpr int kMaxCalls = 2000;

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

fs::path default_cpu_rate_cache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "tessera" / "cpu_rate.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".cache" / "tessera" / "cpu_rate.json";
  }
  return {};
}

namespace {

// Seconds per call of an n x n GEMV on the fallback.
double seconds_per_gemv(OpenClKernels& cpu, int n) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<std::int8_t> w(static_cast<std::size_t>(n) * static_cast<std::size_t>(n)),
      a(static_cast<std::size_t>(n));
  for (auto& x : w) x = static_cast<std::int8_t>(byte(rng));
  for (auto& x : a) x = static_cast<std::int8_t>(byte(rng));
  std::vector<std::int32_t> c(static_cast<std::size_t>(n));
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = 1;
  g.n = n;
  g.k = n;
  g.c_int32 = c.data();
  cpu.gemm(g);  // the weights reach the device and the kernels warm up
  int calls = 0;
  const auto start = Clock::now();
  double seconds = 0;
  while (seconds < kMinSeconds && calls < kMaxCalls) {
    cpu.gemm(g);
    ++calls;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return seconds / calls;
}

// The rate of the large GEMV less the per-call cost of the small one.
CpuRate measure(OpenClKernels& cpu) {
  const double small = seconds_per_gemv(cpu, kSmall), large = seconds_per_gemv(cpu, kLarge);
  const double macs = static_cast<double>(kLarge) * kLarge - static_cast<double>(kSmall) * kSmall;
  return {macs / std::max(large - small, 1e-9), small, "measured now"};
}

}  // namespace

CpuRate cpu_fallback_rate(const fs::path& file) {
  OpenClKernels cpu("Portable Computing Language", "", OpenClKernels::Kernels::kSource, 1);
  const std::string key = host_name() + " | " + cpu_model() + " | " +
                          std::to_string(std::thread::hardware_concurrency()) + " threads | " +
                          cpu.device_name();
  nlohmann::json cache = nlohmann::json::object();
  if (!file.empty()) {
    std::ifstream in(file);
    cache = nlohmann::json::parse(in, nullptr, false);
    if (!cache.is_object()) cache = nlohmann::json::object();
    const nlohmann::json& entry = cache.contains(key) ? cache[key] : nlohmann::json();
    if (entry.is_object() && entry.value("macs_per_second", 0.0) > 0 &&
        entry.value("seconds_per_call", -1.0) >= 0) {
      return {entry["macs_per_second"].get<double>(), entry["seconds_per_call"].get<double>(),
              "cached in " + file.string()};
    }
  }
  CpuRate rate = measure(cpu);
  if (!file.empty()) {
    // Written aside and renamed: runs that calibrate at once never see half a file.
    std::error_code error;
    fs::create_directories(file.parent_path(), error);
    cache[key] = {{"macs_per_second", rate.macs_per_second},
                  {"seconds_per_call", rate.seconds_per_call}};
    const fs::path temporary = file.string() + "." + std::to_string(getpid());
    std::ofstream(temporary) << cache.dump(2) << "\n";
    fs::rename(temporary, file, error);
    if (!error) rate.source = "measured now, kept in " + file.string();
  }
  return rate;
}

}  // namespace tessera::runtime
