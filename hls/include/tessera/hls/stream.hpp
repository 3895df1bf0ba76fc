#pragma once

// A bounded FIFO with the interface of Vitis HLS's hls::stream (read, write, empty,
// full), so the kernels read as HLS code and still compile natively as the C model.
// Storage is a fixed ring buffer: no dynamic allocation.

#include <cstddef>

namespace tessera::hls {

template <typename T, int DEPTH>
class Stream {
  static_assert(DEPTH > 0, "a stream needs room for one element");

 public:
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == DEPTH; }
  // Writing a full stream or reading an empty one would stall hardware forever; the
  // C model records it so the kernel can report an internal error instead.
  void write(const T& value) {
    if (full()) {
      misused_ = true;
      return;
    }
    data_[(head_ + count_) % DEPTH] = value;
    ++count_;
  }
  T read() {
    if (empty()) {
      misused_ = true;
      return T{};
    }
    T value = data_[head_];
    head_ = (head_ + 1) % DEPTH;
    --count_;
    return value;
  }
  bool misused() const { return misused_; }

 private:
  T data_[static_cast<std::size_t>(DEPTH)];  // written before it is read
  int head_ = 0;
  int count_ = 0;
  bool misused_ = false;
};

}  // namespace tessera::hls
