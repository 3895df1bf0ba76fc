#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "runtime/block_ops.hpp"
#include "runtime/device.hpp"
#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/gemm_i8.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/quantized_model.hpp"

namespace tessera::runtime {

// Where the int8 kernels run: the HLS C models (HlsKernels) or an OpenCL device, the
// simulated accelerator or the CPU fallback (OpenClKernels). Implementations throw on
// a failed kernel.
class Int8Kernels {
 public:
  virtual ~Int8Kernels() = default;
  virtual void gemm(const hls::GemmArgs& args) = 0;
  // Independent GEMMs issued together (a layer's q/k/v or gate/up projections), so a
  // device can submit them at once.
  virtual void gemms(const std::vector<hls::GemmArgs>& calls) {
    for (const hls::GemmArgs& call : calls) gemm(call);
  }
  virtual void attention(const hls::AttentionArgs& args) = 0;
  // The model's weights, before the first call: a device may put them in its memory
  // now rather than at their first use.
  // Reports ("upload", step, steps) if it takes steps.
  virtual void preload(const models::QuantizedModel& model, const PhaseProgress& progress) {
    (void)model;
    (void)progress;
  }
  // The calls that follow belong to transformer block `layer` (n_layers: the
  // classifier); devices that place layers apart route on it.
  virtual void begin_layer(int layer) { (void)layer; }
};

// The int8 model path of docs/numerics.md: weights quantized at load, every matmul
// and the attention through the int8 kernels, host ops (embedding lookup, RMSNorm,
// RoPE, SwiGLU, residual adds, the inputs' Hadamard rotation, activation
// quantization, key offsets) in fp32. K and V are cached as int8 with one scale per
// position and kv head.
class Int8Model {
 public:
  // Quantizes the weights (progress: "quantize") and preloads them on the kernels'
  // device ("upload").
  Int8Model(const models::Checkpoint& checkpoint, int max_positions, Int8Kernels& kernels,
            const PhaseProgress& progress = {});

  const Eigen::VectorXf& forward(int token, int pos);
  const models::ModelConfig& config() const { return checkpoint_.config(); }
  const models::Checkpoint& checkpoint() const { return checkpoint_; }
  const models::QuantizedModel& quantized_weights() const { return weights_; }

  // Called with each block's output (the residual stream), for checks.
  std::function<void(int layer, const Eigen::VectorXf& output)> layer_observer;
  // Called with the output of every fp32 host op before it is used (RMSNorm "rmsnorm",
  // RoPE "rope_q" and "rope_k", SwiGLU "swiglu", residual add "residual"; the final
  // RMSNorm with layer = n_layers): fault injection in the host glue strikes here.
  std::function<void(const char* op, int layer, Eigen::VectorXf& output)> host_op_output;

 private:
  struct Projection {
    const models::QuantizedMatrix* w;
    Eigen::VectorXf* out;
  };
  // out = W x for every projection of the same input, in one Int8Kernels::gemms call.
  void linear(const Eigen::VectorXf& x, const std::vector<Projection>& projections);
  // The matmuls of block op `op` (block_ops()) on input x, into `outputs` in the
  // order of the op's matrices.
  void matmuls(const BlockOp& op, const models::QuantizedLayer& layer, const Eigen::VectorXf& x,
               std::initializer_list<Eigen::VectorXf*> outputs);
  void cache_keys_and_values(int layer, int pos);
  void host_op_done(const char* op, int layer, Eigen::VectorXf& output) {
    if (host_op_output) host_op_output(op, layer, output);
  }
  void attention(int layer, int pos);

  models::Checkpoint checkpoint_;
  models::QuantizedModel weights_;
  Int8Kernels& kernels_;
  int max_positions_;
  // Per layer: [position][kv head][head_size] int8 and [position][kv head] scales.
  std::vector<std::vector<std::int8_t>> k_cache_, v_cache_;
  std::vector<std::vector<float>> k_scale_, v_scale_;
  // Activations of the current position.
  Eigen::VectorXf x_, xb_, q_, k_, v_, attention_out_, proj_, gate_, up_, hidden_, logits_;
  Eigen::VectorXf rotated_;  // the matmul input being quantized
  std::vector<std::int8_t> quantized_;
  float x_scale_ = 0;  // of quantized_
  std::vector<std::int8_t> q_int8_;
  std::vector<float> q_scale_;
  std::vector<std::int32_t> attention_acc_;
  std::vector<numerics::AttentionNorm> attention_norm_;
};

}  // namespace tessera::runtime
