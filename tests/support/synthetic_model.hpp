#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"
#include "tessera/models/synthetic_model.hpp"

namespace tessera::testing {

// The weights tessera synth-model writes (models::synthetic_values), held in memory
// so tests can compare what a loader read, reach shapes stories260K does not have
// (separate classifier, other GQA groupings) and build malformed files by editing
// valid ones.
struct SyntheticModel {
  models::ModelConfig config;
  std::uint64_t seed = 0;
  // Tensors in llama2.c legacy order, each stack covering all layers.
  std::vector<float> embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, classifier;
};

models::ModelConfig model_config(int dim, int hidden_dim, int n_layers, int n_heads, int n_kv_heads,
                                 int vocab_size, int seq_len, bool shared_classifier = true);

SyntheticModel make_synthetic_model(const models::ModelConfig& config, std::uint32_t seed);

void write_legacy(const SyntheticModel& model, const std::filesystem::path& path);
void write_version1(const SyntheticModel& model, const std::filesystem::path& path);
// Q8_0 export: int8 per group with scale max|w| / 127, as llama2.c's export.py.
void write_version2(const SyntheticModel& model, const std::filesystem::path& path, int group_size);

// Raw bytes helpers for corrupting files.
std::vector<char> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes);
void write_i32(std::vector<char>& bytes, std::size_t offset, std::int32_t value);

}  // namespace tessera::testing
