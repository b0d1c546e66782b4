// MLX affine quantization (2-8 bits, groups of 32/64/128): packing shared with
// `convert`, fused dequantize-and-multiply kernels on the CPU.
#include <rmlx/sdk/plugin.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/op_profile.h"
#include "rmlx/kernels/ops.h"
#include "rmlx/kernels/qmatmul.h"

namespace {

namespace sdk = rmlx::sdk;
namespace k = rmlx::kernels;

k::FloatType scale_type(const sdk::Tensor& t, const std::string& what) {
  switch (t.dtype) {
    case sdk::DType::f32:
      return k::FloatType::f32;
    case sdk::DType::f16:
      return k::FloatType::f16;
    case sdk::DType::bf16:
      return k::FloatType::bf16;
    default:
      throw std::invalid_argument("affine: " + what + " must be F32, F16 or BF16, got " +
                                  std::string(sdk::dtype_name(t.dtype)));
  }
}

void check_spec(const sdk::QuantSpec& spec) {
  const int b = spec.bits;
  if (b != 2 && b != 3 && b != 4 && b != 5 && b != 6 && b != 8) {
    throw std::invalid_argument("affine: bits must be 2, 3, 4, 5, 6 or 8, got " +
                                std::to_string(b));
  }
  if (spec.group_size != 32 && spec.group_size != 64 && spec.group_size != 128) {
    throw std::invalid_argument("affine: group_size must be 32, 64 or 128, got " +
                                std::to_string(spec.group_size));
  }
}

k::qmm::AffineWeight view_of(const sdk::PackedWeight& w, const sdk::QuantSpec& spec) {
  check_spec(spec);
  if (w.weight.dtype != sdk::DType::u32 || w.weight.ndim() != 2) {
    throw std::invalid_argument("affine: packed weight must be a 2-D U32 tensor");
  }
  k::qmm::AffineWeight a;
  a.packed = w.weight.as<const std::uint32_t>();
  a.rows = w.weight.dim(0);
  a.cols = w.weight.dim(1) * 32 / spec.bits;
  a.bits = spec.bits;
  a.group_size = spec.group_size;
  a.scales = w.scales.data;
  a.biases = w.biases.data;
  a.scale_type = scale_type(w.scales, "scales");
  if (w.biases.dtype != w.scales.dtype) {
    throw std::invalid_argument("affine: biases and scales must share a dtype");
  }
  const std::int64_t groups = a.cols / spec.group_size;
  if (w.scales.numel() != a.rows * groups || w.biases.numel() != a.rows * groups) {
    throw std::invalid_argument(
        "affine: scales/biases shape [" + std::to_string(w.scales.dim(0)) + ", " +
        std::to_string(w.scales.numel() / std::max<std::int64_t>(1, w.scales.dim(0))) +
        "] does not match a [" + std::to_string(a.rows) + ", " + std::to_string(a.cols) +
        "] weight in groups of " + std::to_string(spec.group_size));
  }
  return a;
}

class AffineLinear final : public sdk::LinearWeight {
 public:
  AffineLinear(const k::qmm::AffineWeight& w, sdk::Tensor bias, bool exact)
      : w_(w), bias_(std::move(bias)), exact_(exact) {}
  std::int64_t in_features() const override { return w_.cols; }
  std::int64_t out_features() const override { return w_.rows; }

  void apply(sdk::Ops& ops, const sdk::Tensor& x, sdk::Tensor& y) const override {
    const k::ProfileScope scope(profile_of(ops), k::OpProfile::affine_linear);
    const std::int64_t n = x.numel() / w_.cols;
    k::qmm::matmul(exec_of(ops), w_, x.as<const float>(), n, y.as<float>(),
                   exact_ ? k::qmm::Activations::exact : k::qmm::Activations::int8);
    add_bias(ops, n, y);
  }

  // q/k/v or gate/up: the activations are prepared once and all rows of all weights
  // are one parallel pass (one pool dispatch instead of one per weight).
  void apply_shared(sdk::Ops& ops, std::span<const sdk::LinearWeight* const> more,
                    const sdk::Tensor& x, std::span<sdk::Tensor* const> ys) const override {
    std::vector<const AffineLinear*> all{this};
    for (const sdk::LinearWeight* m : more) {
      const auto* a = dynamic_cast<const AffineLinear*>(m);
      if (a == nullptr || a->exact_ != exact_ || a->w_.cols != w_.cols || a->w_.bits != w_.bits ||
          a->w_.group_size != w_.group_size) {
        return sdk::LinearWeight::apply_shared(ops, more, x, ys);
      }
      all.push_back(a);
    }
    if (ys.size() != all.size()) {
      throw std::invalid_argument("affine: apply_shared got " + std::to_string(all.size()) +
                                  " weights but " + std::to_string(ys.size()) + " outputs");
    }
    const k::ProfileScope scope(profile_of(ops), k::OpProfile::affine_shared);
    const std::int64_t n = x.numel() / w_.cols;
    std::vector<k::qmm::AffineWeight> ws;
    std::vector<float*> yp;
    for (std::size_t j = 0; j < all.size(); ++j) {
      ws.push_back(all[j]->w_);
      yp.push_back(ys[j]->as<float>());
    }
    k::qmm::matmul_shared_input(exec_of(ops), ws, x.as<const float>(), n, yp,
                                exact_ ? k::qmm::Activations::exact : k::qmm::Activations::int8);
    for (std::size_t j = 0; j < all.size(); ++j) all[j]->add_bias(ops, n, *ys[j]);
  }

  void gather_rows(sdk::Ops& ops, std::span<const std::int32_t> ids,
                   sdk::Tensor& out) const override {
    (void)exec_of(ops);
    k::ops::embedding(w_, ids.data(), static_cast<std::int64_t>(ids.size()), out.as<float>());
  }

 private:
  void add_bias(sdk::Ops& ops, std::int64_t n, sdk::Tensor& y) const {
    if (bias_.data == nullptr) return;
    for (std::int64_t i = 0; i < n; ++i) {
      sdk::Tensor row = y;
      row.shape = {w_.rows};
      row.data = y.as<float>() + i * w_.rows;
      ops.add(row, bias_, row);
    }
  }

  // The CPU backend's per-op timing (RMLX_CPU_PROFILE), or null.
  static k::OpProfile* profile_of(sdk::Ops& ops) {
    return static_cast<k::OpProfile*>(ops.native("cpu.profile"));
  }

  static const k::Exec& exec_of(sdk::Ops& ops) {
    auto* exec = static_cast<const k::Exec*>(ops.native("cpu.exec"));
    if (exec == nullptr) {
      throw std::runtime_error("affine: no kernels for backend '" + ops.backend_name() + "'");
    }
    return *exec;
  }

  k::qmm::AffineWeight w_;
  sdk::Tensor bias_;  // f32 on the device, or empty
  bool exact_;
};

class AffineFormat final : public sdk::WeightFormat {
 public:
  explicit AffineFormat(std::string_view options)
      : exact_(options.find("\"activations\":\"int8\"") == std::string_view::npos) {}

  std::string name() const override { return "affine"; }

  std::unique_ptr<sdk::LinearWeight> bind(const sdk::PackedWeight& w, const sdk::QuantSpec& spec,
                                          sdk::Ops& ops) const override {
    auto view = view_of(w, spec);
    // A device backend brings its own affine kernels.
    using DeviceBind = std::unique_ptr<sdk::LinearWeight> (*)(const sdk::PackedWeight&,
                                                              const sdk::QuantSpec&, sdk::Ops&);
    if (auto* bind = static_cast<DeviceBind*>(ops.native("affine.bind"))) {
      return (*bind)(w, spec, ops);
    }
    sdk::Tensor bias;
    if (w.bias.data != nullptr) {
      if (w.bias.dtype != sdk::DType::f32) {
        // Biases are small: keep an f32 copy so the add kernel reads one type.
        bias = convert_bias(w.bias);
      } else {
        bias = ops.upload(w.bias);
      }
    }
    // Q8_0 / Q4_0 imports: the int8 kernels need not read the biases.
    if (!exact_) view.bias_per_scale = k::qmm::symmetric_bias_factor(view);
    return std::make_unique<AffineLinear>(view, bias, exact_);
  }

  void quantize(const float* w, std::int64_t rows, std::int64_t cols, const sdk::QuantSpec& spec,
                std::vector<std::uint8_t>& packed, std::vector<std::uint8_t>& scales,
                std::vector<std::uint8_t>& biases) const override {
    check_spec(spec);
    const std::int64_t groups = rows * (cols / spec.group_size);
    packed.resize(static_cast<std::size_t>(rows * cols * spec.bits / 8));
    scales.resize(static_cast<std::size_t>(groups) * sizeof(float));
    biases.resize(static_cast<std::size_t>(groups) * sizeof(float));
    k::affine::quantize(
        w, rows, cols, spec.bits, spec.group_size, reinterpret_cast<std::uint32_t*>(packed.data()),
        reinterpret_cast<float*>(scales.data()), reinterpret_cast<float*>(biases.data()));
  }

  void dequantize(const sdk::PackedWeight& w, const sdk::QuantSpec& spec,
                  float* out) const override {
    auto view = view_of(w, spec);
    std::vector<std::int32_t> ids(static_cast<std::size_t>(view.rows));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int32_t>(i);
    k::ops::embedding(view, ids.data(), view.rows, out);
  }

 private:
  sdk::Tensor convert_bias(const sdk::Tensor& b) const {
    auto type = scale_type(b, "bias");
    auto& store = owned_.emplace_back(static_cast<std::size_t>(b.numel()));
    for (std::int64_t i = 0; i < b.numel(); ++i) {
      const auto* h = static_cast<const std::uint16_t*>(b.data);
      store[static_cast<std::size_t>(i)] = type == k::FloatType::f32
                                               ? static_cast<const float*>(b.data)[i]
                                           : type == k::FloatType::f16 ? k::f16_to_f32(h[i])
                                                                       : k::bf16_to_f32(h[i]);
    }
    sdk::Tensor t = b;
    t.dtype = sdk::DType::f32;
    t.data = store.data();
    return t;
  }

  bool exact_;
  mutable std::vector<std::vector<float>> owned_;
};

}  // namespace

RMLX_PLUGIN("quant-affine", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::WeightFormat, AffineFormat>("affine"))
