#pragma once

#include <string>

namespace tessera::hls {

// What a kernel reports instead of asserting: hardware has no exceptions, and a bad
// argument must reach the user as a clear error.
enum class Status {
  kOk,
  kBadArray,             // array rows or columns outside what the kernel was built for
  kBadShape,             // M, N or K not positive, or null buffers
  kAccumulationTooDeep,  // K beyond numerics::kMaxAccumulationDepth
  kBadScale,             // a scale that is negative, infinite or NaN
  kBadHeads,             // head counts the kernel cannot map (GQA grouping, head size)
  kContextTooLong,       // more positions than the attention buffers hold
  kInternalError,        // a stream was over- or under-run: a kernel bug
  kChecksumMismatch,     // an output tile failed its checksums (tessera/hls/abft.hpp)
};

std::string describe(Status status);

}  // namespace tessera::hls
