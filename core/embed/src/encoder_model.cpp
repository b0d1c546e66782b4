#include "encoder_model.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "rmlx/engine/snapshot_binder.h"

namespace rmlx::embed {

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
  // Decoder plugins that can serve embeddings (arch-llama) switch to final
  // hidden states without a cache; encoder plugins take no options.
  arch_ = registry.create<sdk::Architecture>(arch_name, R"({"output":"hidden_states"})");
  engine::SnapshotBinder binder(*snapshot_, *ops_, format_for);
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
