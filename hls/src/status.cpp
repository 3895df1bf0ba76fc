#include "tessera/hls/status.hpp"

#include "tessera/numerics/int8.hpp"

namespace tessera::hls {

std::string describe(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kBadArray:
      return "array size not supported by this build";
    case Status::kBadShape:
      return "sizes must be positive and buffers non-null";
    case Status::kAccumulationTooDeep:
      return "K exceeds the int32 accumulation limit of " +
             std::to_string(numerics::kMaxAccumulationDepth);
    case Status::kBadScale:
      return "scales must be finite and non-negative";
    case Status::kBadHeads:
      return "head counts cannot be mapped (n_heads must be a multiple of n_kv_heads, head "
             "size within the attention unit)";
    case Status::kContextTooLong:
      return "context longer than the attention unit holds";
    case Status::kInternalError:
      return "internal error: a stream over- or under-ran";
    case Status::kChecksumMismatch:
      return "an output tile failed its checksums (a fault in the engine)";
  }
  return "unknown status";
}

}  // namespace tessera::hls
