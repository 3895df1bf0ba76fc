#pragma once

#include <Eigen/Core>

namespace tessera::models {

// The fp32 building blocks of a Llama forward pass. They are the host ops of every
// tessera device (RMSNorm, RoPE, SiLU stay in fp32 on the host), so they live here
// once and each numerical choice matches llama2.c's run.c.

// out = weight ⊙ x / sqrt(mean(x²) + epsilon)
void rmsnorm(Eigen::Ref<Eigen::VectorXf> out, const Eigen::Ref<const Eigen::VectorXf>& x,
             const Eigen::Ref<const Eigen::VectorXf>& weight, float epsilon);

// Rotates each adjacent pair (2i, 2i+1) of every head of `vec` by the angle
// pos · theta^(-2i / head_size): RoPE as llama2.c applies it (and llama.cpp's
// "normal" RoPE for the llama architecture).
void apply_rope(Eigen::Ref<Eigen::VectorXf> vec, int pos, int head_size, float theta);

// Numerically stable softmax over values[0, size), summed in index order.
void softmax_in_place(float* values, int size);

// SwiGLU's gate: hidden = silu(gate) ⊙ up, with silu(x) = x · σ(x).
void swiglu(Eigen::Ref<Eigen::VectorXf> hidden, const Eigen::Ref<const Eigen::VectorXf>& gate,
            const Eigen::Ref<const Eigen::VectorXf>& up);

}  // namespace tessera::models
