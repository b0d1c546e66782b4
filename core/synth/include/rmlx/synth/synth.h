// Synthetic model snapshots: the exact configuration of a real model
// (llama-3.2-1b, llama-3.1-8b, qwen3-0.6b, qwen3-8b, smollm2-135m) with seeded
// random weights (normal(0, 0.02) linears and embeddings, norms 1), bf16 or MLX
// affine quantized, written tensor by tensor in row chunks so memory stays small.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rmlx::synth {

struct ModelShape {
  std::string name;               // "llama-3.2-1b"
  nlohmann::ordered_json config;  // config.json as the real model has it (minus quantization)
};

const std::vector<ModelShape>& known_shapes();
// Throws std::invalid_argument listing the known names.
const ModelShape& shape_named(const std::string& name);

struct SynthOptions {
  std::string like;
  std::string out_dir;
  std::string quant = "bf16";  // "bf16" or "affine:BITS:GROUP"
  std::uint64_t seed = 0;
  int layers = 0;             // 0: as the real model
  std::int64_t vocab = 0;     // 0: as the real model; fewer rows make small test models
  std::string tokenizer_dir;  // copied in when non-empty
  std::uint64_t max_shard_bytes = 5ull << 30;
};

struct SynthSummary {
  std::uint64_t parameters = 0;
  std::uint64_t bytes = 0;
  std::size_t tensors = 0;
  std::size_t shards = 0;
  bool tokenizer_copied = false;
};

// Throws std::invalid_argument / snapshot::SnapshotError with one clear line.
SynthSummary synthesize(const SynthOptions& options);

}  // namespace rmlx::synth
