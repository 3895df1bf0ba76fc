#include "tessera/models/hadamard_rotation.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace tessera::models {

namespace {

// A fixed pseudo-random sign per coordinate (splitmix64 finaliser of the index), so
// that inputs lined up with a Hadamard row are not left unspread.
bool flips_sign(int index) {
  std::uint64_t z = static_cast<unsigned>(index);
  z += 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return ((z ^ (z >> 31)) & 1u) != 0;
}

// Normalised fast Walsh–Hadamard transform of a block of power-of-two length.
void walsh_hadamard(float* x, int length) {
  for (int half = 1; half < length; half *= 2) {
    for (int start = 0; start < length; start += 2 * half) {
      for (int i = start; i < start + half; ++i) {
        const float a = x[i], b = x[i + half];
        x[i] = a + b;
        x[i + half] = a - b;
      }
    }
  }
  const float norm = 1.0f / std::sqrt(static_cast<float>(length));
  for (int i = 0; i < length; ++i) x[i] *= norm;
}

// The hash per coordinate costs more than the rest of a small rotation: the widths
// models use are looked up.
constexpr int kTabulatedSigns = 1 << 16;

int largest_power_of_two_at_most(int n) {
  int p = 1;
  while (p <= n / 2) p *= 2;
  return p;
}

}  // namespace

void hadamard_rotate(float* x, int n) {
  static const std::vector<bool> kFlips = [] {
    std::vector<bool> flips(kTabulatedSigns);
    for (int i = 0; i < kTabulatedSigns; ++i) flips[static_cast<std::size_t>(i)] = flips_sign(i);
    return flips;
  }();
  for (int i = 0; i < n; ++i) {
    const bool flip = i < kTabulatedSigns ? kFlips[static_cast<std::size_t>(i)] : flips_sign(i);
    if (flip) x[i] = -x[i];
  }
  for (int start = 0; start < n;) {
    const int length = largest_power_of_two_at_most(n - start);
    walsh_hadamard(x + start, length);
    start += length;
  }
}

}  // namespace tessera::models
