// An MLX model snapshot directory: config.json, generation_config.json,
// tokenizer files, chat template and the (possibly sharded) safetensors weights,
// memory-mapped (or read into anonymous memory, LoadMode::read) and exposed as
// zero-copy tensor views.
//
// Tensors whose bytes are not aligned to their element size in the file (MLX's
// writer does not align) are copied once into aligned memory; all others point
// straight into the mapping. Claiming is not thread-safe: load from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "rmlx/sdk/tensor.h"
#include "rmlx/sdk/weight_format.h"
#include "rmlx/snapshot/quant_config.h"
#include "rmlx/snapshot/safetensors.h"

namespace rmlx::snapshot {

struct GenerationDefaults {
  std::vector<std::int64_t> eos_token_ids;  // generation_config.json, else config.json
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
  std::optional<std::int64_t> top_k;
  std::optional<bool> do_sample;
};

struct TensorLocation {
  std::size_t file = 0;  // index into files()
  const TensorInfo* info = nullptr;
};

class Snapshot : public sdk::WeightSource {
 public:
  // Reads and validates everything; throws SnapshotError (one line) on any problem.
  // `mode`: how the safetensors files reach memory (mapped, or read into memory).
  static std::unique_ptr<Snapshot> open(const std::string& dir, LoadMode mode = LoadMode::map);
  ~Snapshot() override;

  const std::string& dir() const { return dir_; }
  const nlohmann::json& config() const { return config_; }
  const std::string& config_text() const { return config_text_; }
  // architectures[0] ("LlamaForCausalLM"), or "" when absent.
  std::string architecture() const;
  std::string model_type() const;
  const QuantConfig& quantization() const { return quant_; }
  // How module `prefix` ("model.layers.0.mlp.down_proj") is quantized: its
  // override, else the top-level spec when "<prefix>.scales" exists, else none.
  std::optional<sdk::QuantSpec> quant_for(const std::string& prefix) const;
  const GenerationDefaults& generation() const { return generation_; }

  // Tokenizer files found in the directory (tokenizer.json, tokenizer_config.json ...).
  const std::vector<std::string>& tokenizer_files() const { return tokenizer_files_; }
  bool has_file(const std::string& name) const;
  // chat_template.jinja, else tokenizer_config.json's chat_template (the "default"
  // entry when it is a list of named templates).
  const std::optional<std::string>& chat_template() const { return chat_template_; }

  // WeightSource (does not claim).
  const sdk::Tensor* find(const std::string& name) const override;
  std::vector<std::string> names() const override;  // sorted

  // Marks a tensor used and returns it; throws "<dir>: missing tensor '<name>'".
  const sdk::Tensor& claim(const std::string& name);
  const sdk::Tensor* claim_if_present(const std::string& name);
  bool claimed(const std::string& name) const { return claimed_.count(name) != 0; }
  // Tensors nobody claimed, sorted.
  std::vector<std::string> unclaimed() const;

  const std::vector<SafetensorsFile>& files() const { return files_; }
  const TensorLocation* location(const std::string& name) const;
  std::uint64_t weight_bytes() const { return weight_bytes_; }
  // Sum of the sizes of every regular file in the directory.
  std::uint64_t bytes_on_disk() const;
  // How many tensors were copied because their file bytes were misaligned.
  std::size_t copied_tensors() const { return copies_.size(); }
  std::uint64_t copied_bytes() const { return copied_bytes_; }

 private:
  Snapshot() = default;
  void load_config();
  void load_generation();
  void load_tokenizer_files();
  void load_weights(LoadMode mode);
  void add_file(SafetensorsFile file, const std::set<std::string>* expected);

  std::string dir_;
  std::string config_text_;
  nlohmann::json config_;
  QuantConfig quant_;
  GenerationDefaults generation_;
  std::vector<std::string> tokenizer_files_;
  std::optional<std::string> chat_template_;
  std::vector<SafetensorsFile> files_;
  std::unordered_map<std::string, sdk::Tensor> tensors_;
  std::unordered_map<std::string, TensorLocation> locations_;
  std::vector<std::unique_ptr<std::uint64_t[]>> copies_;
  std::uint64_t copied_bytes_ = 0;
  std::uint64_t weight_bytes_ = 0;
  std::set<std::string> claimed_;
};

// Reads a whole text file; throws SnapshotError naming it.
std::string read_text_file(const std::string& path);
// Parses JSON text; errors name `origin` and the byte offset.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

}  // namespace rmlx::snapshot
