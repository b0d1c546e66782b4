#include "model.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <stdexcept>

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

 private:
  sdk::Tensor w_, bias_;
};

class SnapshotBinder final : public sdk::LinearBinder {
 public:
  SnapshotBinder(snapshot::Snapshot& snap, sdk::Ops& ops,
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

Model::Model(const EngineOptions& options, registry::Registry& registry) {
  snapshot_ = snapshot::Snapshot::open(options.model_dir);
  const std::string arch_name = snapshot_->architecture();
  if (arch_name.empty()) {
    throw std::runtime_error(options.model_dir + "/config.json: no 'architectures' entry");
  }
  // "cuda:1": the backend's name, then the device index.
  const auto device_colon = options.backend.find(':');
  backend_ = registry.create<sdk::Backend>(options.backend.substr(0, device_colon));
  sdk::BackendOptions bo;
  bo.threads = options.threads;
  if (device_colon != std::string::npos) {
    const std::string index = options.backend.substr(device_colon + 1);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("--device " + options.backend + ": the index must be a number");
    }
    bo.device_index = std::stoi(index);
  }
  ops_ = backend_->create_ops(bo);

  const auto colon = options.kv_codec.find(':');
  const std::string k_name = options.kv_codec.substr(0, colon);
  const std::string v_name =
      colon == std::string::npos ? k_name : options.kv_codec.substr(colon + 1);
  k_codec_ = registry.create<sdk::KvCodec>(k_name);
  v_codec_ = registry.create<sdk::KvCodec>(v_name);

  const std::string format_options =
      options.exact_activations ? R"({"activations":"exact"})" : R"({"activations":"int8"})";
  auto format_for = [&](const std::string& mode) -> sdk::WeightFormat& {
    auto it = formats_.find(mode);
    if (it == formats_.end()) {
      it = formats_.emplace(mode, registry.create<sdk::WeightFormat>(mode, format_options)).first;
    }
    return *it->second;
  };

  arch_ = registry.create<sdk::Architecture>(arch_name);
  SnapshotBinder binder(*snapshot_, *ops_, format_for);
  sdk::LoadContext ctx;
  ctx.config_json = snapshot_->config_text();
  ctx.binder = &binder;
  ctx.ops = ops_.get();
  try {
    arch_->load(ctx);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()).rfind(options.model_dir, 0) == 0
                                 ? e.what()
                                 : options.model_dir + ": " + arch_name + ": " + e.what());
  }
  auto unclaimed = snapshot_->unclaimed();
  if (!unclaimed.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unclaimed.size() && i < 8; ++i)
      list += (i ? ", " : "") + unclaimed[i];
    if (unclaimed.size() > 8) list += ", ...";
    spdlog::warn("{}: {} tensor(s) no plugin claimed: {}", options.model_dir, unclaimed.size(),
                 list);
  }

  info_.id = std::filesystem::path(options.model_dir).lexically_normal().filename().string();
  if (info_.id.empty()) {
    info_.id = std::filesystem::path(options.model_dir)
                   .lexically_normal()
                   .parent_path()
                   .filename()
                   .string();
  }
  info_.architecture = arch_name;
  info_.vocab_size = arch_->vocab_size();
  int ctx_len = snapshot_->config().value("max_position_embeddings", 4096);
  info_.max_model_len = options.max_model_len > 0 ? options.max_model_len : std::min(ctx_len, 8192);
  for (auto id : snapshot_->generation().eos_token_ids)
    info_.eos_ids.push_back(static_cast<std::int32_t>(id));
}

// Members die in reverse order: the architecture (holding bound weights) goes
// before the formats, the ops and the mapped snapshot.
Model::~Model() = default;

}  // namespace rmlx::engine
