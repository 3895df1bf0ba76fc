#include "support/synthetic_model.hpp"

#include <cstring>
#include <fstream>

namespace tessera::testing {
namespace {

using models::SyntheticTensor;

void write(const SyntheticModel& m, const std::filesystem::path& path,
           models::CheckpointFormat format, int group_size = 64) {
  models::SyntheticCheckpointOptions options;
  options.seed = m.seed;
  options.format = format;
  options.group_size = group_size;
  models::write_synthetic_checkpoint(m.config, path, options);
}

}  // namespace

models::ModelConfig model_config(int dim, int hidden_dim, int n_layers, int n_heads, int n_kv_heads,
                                 int vocab_size, int seq_len, bool shared_classifier) {
  models::ModelConfig c;
  c.dim = dim;
  c.hidden_dim = hidden_dim;
  c.n_layers = n_layers;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.vocab_size = vocab_size;
  c.seq_len = seq_len;
  c.shared_classifier = shared_classifier;
  return c;
}

SyntheticModel make_synthetic_model(const models::ModelConfig& c, std::uint32_t seed) {
  auto tensor = [&](SyntheticTensor t) { return models::synthetic_tensor(c, seed, t); };
  SyntheticModel m;
  m.config = c;
  m.seed = seed;
  m.embedding = tensor(SyntheticTensor::kEmbedding);
  m.rms_att = tensor(SyntheticTensor::kRmsAtt);
  m.wq = tensor(SyntheticTensor::kWq);
  m.wk = tensor(SyntheticTensor::kWk);
  m.wv = tensor(SyntheticTensor::kWv);
  m.wo = tensor(SyntheticTensor::kWo);
  m.rms_ffn = tensor(SyntheticTensor::kRmsFfn);
  m.w1 = tensor(SyntheticTensor::kW1);
  m.w2 = tensor(SyntheticTensor::kW2);
  m.w3 = tensor(SyntheticTensor::kW3);
  m.rms_final = tensor(SyntheticTensor::kRmsFinal);
  m.classifier = tensor(SyntheticTensor::kClassifier);
  return m;
}

void write_legacy(const SyntheticModel& m, const std::filesystem::path& path) {
  write(m, path, models::CheckpointFormat::kLegacyFp32);
}

void write_version1(const SyntheticModel& m, const std::filesystem::path& path) {
  write(m, path, models::CheckpointFormat::kVersion1Fp32);
}

void write_version2(const SyntheticModel& m, const std::filesystem::path& path, int group_size) {
  write(m, path, models::CheckpointFormat::kVersion2Int8, group_size);
}

std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_i32(std::vector<char>& bytes, std::size_t offset, std::int32_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

}  // namespace tessera::testing
