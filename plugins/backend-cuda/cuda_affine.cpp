// MLX affine-quantized linear layers on the GPU: packed codes, scales and
// biases uploaded once; decode runs the fused dequantize-GEMV kernels.
#include <rmlx/sdk/weight_format.h>

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cuda_ops.h"

namespace rmlx::backend_cuda {

namespace {

namespace kc = kernels_cuda;

class CudaAffineLinear final : public sdk::LinearWeight {
 public:
  CudaAffineLinear(kc::WeightView w, sdk::Tensor bias) : w_(w), bias_(std::move(bias)) {}
  std::int64_t in_features() const override { return w_.cols; }
  std::int64_t out_features() const override { return w_.rows; }

  void apply(sdk::Ops& ops, const sdk::Tensor& x, sdk::Tensor& y) const override {
    cuda(ops).linear(w_, bias_.data != nullptr ? &bias_ : nullptr, x, y);
  }
  void gather_rows(sdk::Ops& ops, std::span<const std::int32_t> ids,
                   sdk::Tensor& out) const override {
    cuda(ops).gather(w_, ids, out);
  }
  // q/k/v or gate/up: one launch for one decode row, one activation prep for several
  // (same results as one by one).
  void apply_shared(sdk::Ops& ops, std::span<const sdk::LinearWeight* const> more,
                    const sdk::Tensor& x, std::span<sdk::Tensor* const> ys) const override {
    std::array<kc::WeightView, kc::kMaxSharedLinear> ws{};
    bool fits = bias_.data == nullptr && ys.size() == more.size() + 1 && ys.size() <= ws.size();
    if (fits) ws[0] = w_;
    for (std::size_t j = 0; fits && j < more.size(); ++j) {
      const auto* a = dynamic_cast<const CudaAffineLinear*>(more[j]);
      fits = a != nullptr && a->bias_.data == nullptr;
      if (fits) ws[j + 1] = a->w_;
    }
    if (fits && shared_linear_enabled() &&
        cuda(ops).linear_shared(std::span(ws.data(), ys.size()), x, ys)) {
      return;
    }
    sdk::LinearWeight::apply_shared(ops, more, x, ys);
  }

 private:
  static CudaOps& cuda(sdk::Ops& ops) {
    auto* c = dynamic_cast<CudaOps*>(&ops);
    if (c == nullptr) {
      throw std::runtime_error("cuda: an affine weight bound to the CUDA backend used with '" +
                               ops.backend_name() + "'");
    }
    return *c;
  }

  kc::WeightView w_;
  sdk::Tensor bias_;
};

kc::WType scale_type(const sdk::Tensor& t) {
  switch (t.dtype) {
    case sdk::DType::f32:
      return kc::WType::f32;
    case sdk::DType::f16:
      return kc::WType::f16;
    case sdk::DType::bf16:
      return kc::WType::bf16;
    default:
      throw std::invalid_argument("cuda: affine scales must be F32, F16 or BF16, got " +
                                  std::string(sdk::dtype_name(t.dtype)));
  }
}

}  // namespace

std::unique_ptr<sdk::LinearWeight> bind_affine(const sdk::Tensor& packed, const sdk::Tensor& scales,
                                               const sdk::Tensor& biases, const sdk::Tensor& bias,
                                               int bits, int group_size, CudaOps& ops) {
  if (packed.dtype != sdk::DType::u32 || packed.ndim() != 2) {
    throw std::invalid_argument("cuda: affine packed weight must be a 2-D U32 tensor");
  }
  if (biases.dtype != scales.dtype) {
    throw std::invalid_argument("cuda: affine biases and scales must share a dtype");
  }
  kc::WeightView w;
  w.rows = packed.dim(0);
  w.cols = packed.dim(1) * 32 / bits;
  w.bits = bits;
  w.group_size = group_size;
  w.type = scale_type(scales);
  if (w.cols % 32 != 0 || w.cols % group_size != 0 ||
      scales.numel() != w.rows * (w.cols / group_size) || biases.numel() != scales.numel()) {
    throw std::invalid_argument("cuda: affine scales/biases do not match a [" +
                                std::to_string(w.rows) + ", " + std::to_string(w.cols) +
                                "] weight in groups of " + std::to_string(group_size));
  }
  w.data = ops.upload(packed).data;
  w.scales = ops.upload(scales).data;
  w.biases = ops.upload(biases).data;
  sdk::Tensor b;
  if (bias.data != nullptr) b = ops.upload(bias);
  return std::make_unique<CudaAffineLinear>(w, std::move(b));
}

}  // namespace rmlx::backend_cuda
