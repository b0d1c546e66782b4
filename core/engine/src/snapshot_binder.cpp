#include "rmlx/engine/snapshot_binder.h"

#include <array>
#include <stdexcept>

#include "rmlx/registry/registry.h"

namespace rmlx::engine {

namespace {

// An unquantized weight: multiplied and gathered by the backend's own ops.
class DenseLinear final : public sdk::LinearWeight {
 public:
  DenseLinear(sdk::Tensor w, sdk::Tensor bias) : w_(std::move(w)), bias_(std::move(bias)) {}
  std::int64_t in_features() const override { return w_.dim(1); }
  std::int64_t out_features() const override { return w_.dim(0); }
  void apply(sdk::Ops& ops, const sdk::Tensor& x, sdk::Tensor& y) const override {
    ops.dense_linear(w_, bias_.data != nullptr ? &bias_ : nullptr, x, y);
  }
  void gather_rows(sdk::Ops& ops, std::span<const std::int32_t> ids,
                   sdk::Tensor& out) const override {
    ops.gather_rows(w_, ids, out);
  }
  // q/k/v or gate/up in one pass where the backend offers it.
  void apply_shared(sdk::Ops& ops, std::span<const sdk::LinearWeight* const> more,
                    const sdk::Tensor& x, std::span<sdk::Tensor* const> ys) const override {
    auto* shared = static_cast<sdk::SharedDenseLinear*>(ops.native(sdk::kSharedDenseLinearKey));
    std::array<const sdk::Tensor*, 4> ws{};
    bool fits = shared != nullptr && bias_.data == nullptr && ys.size() == more.size() + 1 &&
                ys.size() <= ws.size();
    if (fits) ws[0] = &w_;
    for (std::size_t j = 0; fits && j < more.size(); ++j) {
      const auto* d = dynamic_cast<const DenseLinear*>(more[j]);
      fits = d != nullptr && d->bias_.data == nullptr;
      if (fits) ws[j + 1] = &d->w_;
    }
    if (fits && shared->run_shared_dense(std::span(ws.data(), ys.size()), x, ys)) return;
    sdk::LinearWeight::apply_shared(ops, more, x, ys);
  }

 private:
  sdk::Tensor w_, bias_;
};

}  // namespace

SnapshotBinder::SnapshotBinder(snapshot::Snapshot& snap, sdk::Ops& ops, FormatFor format_for)
    : snap_(snap), ops_(ops), format_for_(std::move(format_for)) {}

std::unique_ptr<sdk::LinearWeight> SnapshotBinder::bind(const std::string& prefix) {
  const sdk::Tensor& w = snap_.claim(prefix + ".weight");
  const sdk::Tensor* bias = snap_.claim_if_present(prefix + ".bias");
  auto spec = snap_.quant_for(prefix);
  if (!spec) {
    if (w.ndim() != 2) {
      throw std::runtime_error(snap_.dir() + ": tensor '" + prefix + ".weight' must be 2-D");
    }
    return std::make_unique<DenseLinear>(ops_.upload(w),
                                         bias != nullptr ? ops_.upload(*bias) : sdk::Tensor{});
  }
  sdk::PackedWeight pw;
  pw.weight = w;
  pw.scales = snap_.claim(prefix + ".scales");
  if (const sdk::Tensor* b = snap_.claim_if_present(prefix + ".biases")) pw.biases = *b;
  if (bias != nullptr) pw.bias = *bias;
  try {
    return format_for_(spec->mode).bind(pw, *spec, ops_);
  } catch (const registry::RegistryError&) {
    throw;  // already one line naming the plugin
  } catch (const std::exception& e) {
    throw std::runtime_error(snap_.dir() + ": " + prefix + ": " + e.what());
  }
}

sdk::Tensor SnapshotBinder::tensor(const std::string& name) {
  return ops_.upload(snap_.claim(name));
}

bool SnapshotBinder::has(const std::string& name) const {
  return snap_.find(name) != nullptr;
}

}  // namespace rmlx::engine
