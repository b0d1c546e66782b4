// Architecture: how one model family's weights are wired and run.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rmlx/sdk/ops.h"
#include "rmlx/sdk/tensor.h"

namespace rmlx::sdk {

class WeightFormat;

enum class LayerCacheKind : std::uint8_t { invalid = 0, full_attention, sliding_window, recurrent, none };

struct LayerCache {
  LayerCacheKind kind = LayerCacheKind::full_attention;
  int n_kv_heads = 0;
  int head_dim = 0;
  int window = 0;  // sliding_window only
};

// Finds the WeightFormat plugin that stores a given linear layer and binds it.
class LinearBinder {
 public:
  virtual ~LinearBinder() = default;
  // `prefix` is the module name ("model.layers.0.mlp.down_proj"); throws a
  // descriptive error when the tensors are missing.
  virtual std::unique_ptr<LinearWeight> bind(const std::string& prefix) = 0;
  // Marks a plain tensor as used (norm weights, biases) and returns it on the
  // backend's device; throws when missing.
  virtual Tensor tensor(const std::string& name) = 0;
  virtual bool has(const std::string& name) const = 0;
};

struct LoadContext {
  std::string config_json;  // config.json as written in the snapshot
  LinearBinder* binder = nullptr;
  Ops* ops = nullptr;
};

// One forward pass: tokens of several sequences packed in rows.
struct ForwardBatch {
  std::span<const std::int32_t> tokens;
  std::span<const std::int32_t> positions;
  std::span<const AttentionSeq> seqs;
  std::span<const std::int32_t> logit_rows;  // rows whose logits are wanted
  std::span<const KvLayerView> kv;           // one per layer
  // Run only the first `layers` decoder layers, then the final norm and head
  // (self-speculative drafting); 0: all. Layers past it leave their cache alone.
  int layers = 0;
};

class Architecture {
 public:
  virtual ~Architecture() = default;
  virtual void load(const LoadContext& ctx) = 0;
  virtual std::vector<LayerCache> cache_layout() const = 0;
  virtual std::int64_t vocab_size() const = 0;
  // logits: [logit_rows.size(), vocab_size] f32 on the backend's device.
  virtual void forward(const ForwardBatch& batch, Ops& ops, Tensor& logits) = 0;
};

}  // namespace rmlx::sdk
