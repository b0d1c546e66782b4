#include "encoder_model.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <stdexcept>

namespace rmlx::embed {

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

 private:
  sdk::Tensor w_, bias_;
};

class Binder final : public sdk::LinearBinder {
 public:
  Binder(snapshot::Snapshot& snap, sdk::Ops& ops,
         std::function<sdk::WeightFormat&(const std::string&)> format_for)
      : snap_(snap), ops_(ops), format_for_(std::move(format_for)) {}

  std::unique_ptr<sdk::LinearWeight> bind(const std::string& prefix) override {
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
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error(snap_.dir() + ": " + prefix + ": " + e.what());
    }
  }

  sdk::Tensor tensor(const std::string& name) override { return ops_.upload(snap_.claim(name)); }
  bool has(const std::string& name) const override { return snap_.find(name) != nullptr; }

 private:
  snapshot::Snapshot& snap_;
  sdk::Ops& ops_;
  std::function<sdk::WeightFormat&(const std::string&)> format_for_;
};

}  // namespace

EncoderModel::EncoderModel(const std::string& dir, const std::string& backend, int threads,
                           registry::Registry& registry) {
  snapshot_ = snapshot::Snapshot::open(dir);
  const std::string arch_name = snapshot_->architecture();
  if (arch_name.empty()) throw std::runtime_error(dir + "/config.json: no 'architectures' entry");
  backend_ = registry.create<sdk::Backend>(backend);
  sdk::BackendOptions bo;
  bo.threads = threads;
  ops_ = backend_->create_ops(bo);
  auto format_for = [&](const std::string& mode) -> sdk::WeightFormat& {
    auto it = formats_.find(mode);
    if (it == formats_.end()) {
      // Float activations: embeddings are compared with float references.
      it =
          formats_
              .emplace(mode, registry.create<sdk::WeightFormat>(mode, R"({"activations":"exact"})"))
              .first;
    }
    return *it->second;
  };
  arch_ = registry.create<sdk::Architecture>(arch_name);
  Binder binder(*snapshot_, *ops_, format_for);
  sdk::LoadContext ctx;
  ctx.config_json = snapshot_->config_text();
  ctx.binder = &binder;
  ctx.ops = ops_.get();
  try {
    arch_->load(ctx);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()).rfind(dir, 0) == 0
                                 ? e.what()
                                 : dir + ": " + arch_name + ": " + e.what());
  }
  encoder_ = true;
  for (const auto& layer : arch_->cache_layout()) {
    if (layer.kind != sdk::LayerCacheKind::none) encoder_ = false;
  }
  auto unclaimed = snapshot_->unclaimed();
  if (!unclaimed.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unclaimed.size() && i < 8; ++i)
      list += (i ? ", " : "") + unclaimed[i];
    if (unclaimed.size() > 8) list += ", ...";
    spdlog::warn("{}: {} tensor(s) no plugin claimed: {}", dir, unclaimed.size(), list);
  }
}

EncoderModel::~EncoderModel() = default;

}  // namespace rmlx::embed
