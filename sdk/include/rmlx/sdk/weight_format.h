// WeightFormat: how a (quantized) tensor is stored, (de)quantized and multiplied.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/sdk/ops.h"
#include "rmlx/sdk/tensor.h"

namespace rmlx::sdk {

struct QuantSpec {
  std::string mode;  // "affine", "mxfp4" ...
  int bits = 0;
  int group_size = 0;
};

// The tensors a quantized linear layer is stored as (MLX names them
// <prefix>.weight, <prefix>.scales, <prefix>.biases).
struct PackedWeight {
  Tensor weight;
  Tensor scales;
  Tensor biases;  // may be empty (dtype invalid)
  Tensor bias;    // the layer's additive bias, may be empty
};

class WeightFormat {
 public:
  virtual ~WeightFormat() = default;
  virtual std::string name() const = 0;
  // Binds stored tensors to a backend ("cpu", "cuda").
  virtual std::unique_ptr<LinearWeight> bind(const PackedWeight& w, const QuantSpec& spec,
                                             Ops& ops) const = 0;
  // w: [rows, cols] f32 -> packed tensors written into `out` (owned by the caller's vectors).
  virtual void quantize(const float* w, std::int64_t rows, std::int64_t cols, const QuantSpec& spec,
                        std::vector<std::uint8_t>& packed, std::vector<std::uint8_t>& scales,
                        std::vector<std::uint8_t>& biases) const = 0;
  virtual void dequantize(const PackedWeight& w, const QuantSpec& spec, float* out) const = 0;
};

}  // namespace rmlx::sdk
