// The sdk::LinearWeight face of PackedLinear, for architecture plugins that
// run many rows per pass (encoders, decoders asked for embeddings): on the
// CPU backend a dense layer is repacked at load; a quantized one, or any
// layer on another backend, binds through the LinearBinder as usual.
// Header-only: it needs the SDK, which the kernels library does not.
#pragma once

#include <rmlx/sdk/architecture.h>

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/kernels/encoder.h"
#include "rmlx/kernels/half.h"

namespace rmlx::kernels::encoder {

// A dense linear layer repacked for the CPU kernels.
class PackedDenseWeight final : public sdk::LinearWeight {
 public:
  PackedDenseWeight(const sdk::Tensor& w, const sdk::Tensor* bias)
      : packed_(w.data, type_of(w), w.dim(0), w.dim(1), floats(bias).data()) {}

  std::int64_t in_features() const override { return packed_.cols(); }
  std::int64_t out_features() const override { return packed_.rows(); }

  void apply(sdk::Ops& ops, const sdk::Tensor& x, sdk::Tensor& y) const override {
    const auto* exec = static_cast<const Exec*>(ops.native("cpu.exec"));
    if (exec == nullptr) throw std::runtime_error("packed linear: needs the cpu backend");
    if (x.dtype != sdk::DType::f32 || y.dtype != sdk::DType::f32 ||
        x.numel() % packed_.cols() != 0 ||
        y.numel() != x.numel() / packed_.cols() * packed_.rows()) {
      throw std::invalid_argument("packed linear: shapes disagree");
    }
    packed_.apply(*exec, x.as<const float>(), x.numel() / packed_.cols(), y.as<float>());
  }

  void gather_rows(sdk::Ops&, std::span<const std::int32_t>, sdk::Tensor&) const override {
    throw std::logic_error("packed linear: gather_rows on a linear layer");
  }

  static bool supported(const sdk::Tensor& w) {
    return w.shape.size() == 2 && (w.dtype == sdk::DType::f32 || w.dtype == sdk::DType::f16 ||
                                   w.dtype == sdk::DType::bf16);
  }

 private:
  static PackedLinear::Type type_of(const sdk::Tensor& t) {
    using T = PackedLinear::Type;
    return t.dtype == sdk::DType::f32 ? T::f32 : t.dtype == sdk::DType::f16 ? T::f16 : T::bf16;
  }

  static std::vector<float> floats(const sdk::Tensor* t) {
    std::vector<float> v;
    if (t == nullptr) return v;
    v.resize(static_cast<std::size_t>(t->numel()));
    const auto* h = static_cast<const std::uint16_t*>(t->data);
    for (std::size_t i = 0; i < v.size(); ++i) {
      switch (t->dtype) {
        case sdk::DType::f32:
          v[i] = static_cast<const float*>(t->data)[i];
          break;
        case sdk::DType::f16:
          v[i] = f16_to_f32(h[i]);
          break;
        case sdk::DType::bf16:
          v[i] = bf16_to_f32(h[i]);
          break;
        default:
          throw std::runtime_error("packed linear: a bias must be f32, f16 or bf16");
      }
    }
    return v;
  }

  PackedLinear packed_;
};

// `prefix` ("encoder.layer.0.attention.self.query") as a PackedDenseWeight
// when `ops` is the CPU backend's and the snapshot stores it dense in a float
// type; otherwise binder.bind(prefix).
inline std::unique_ptr<sdk::LinearWeight> bind_packed_linear(sdk::LinearBinder& b, sdk::Ops* ops,
                                                             const std::string& prefix) {
  const bool cpu = ops != nullptr && ops->native("cpu.exec") != nullptr;
  if (cpu && !b.has(prefix + ".scales") && b.has(prefix + ".weight")) {
    const sdk::Tensor w = b.tensor(prefix + ".weight");
    if (PackedDenseWeight::supported(w)) {
      sdk::Tensor bias;
      const bool has_bias = b.has(prefix + ".bias");
      if (has_bias) bias = b.tensor(prefix + ".bias");
      if (has_bias && bias.numel() != w.dim(0)) {
        throw std::runtime_error(prefix + ".bias: " + std::to_string(bias.numel()) +
                                 " values for " + std::to_string(w.dim(0)) + " outputs");
      }
      return std::make_unique<PackedDenseWeight>(w, has_bias ? &bias : nullptr);
    }
  }
  return b.bind(prefix);
}

}  // namespace rmlx::kernels::encoder
