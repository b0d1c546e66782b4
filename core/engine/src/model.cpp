#include "model.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "rmlx/engine/snapshot_binder.h"

namespace rmlx::engine {

Model::Model(const EngineOptions& options, registry::Registry& registry) {
  snapshot_ = snapshot::Snapshot::open(
      options.model_dir, options.no_mmap ? snapshot::LoadMode::read : snapshot::LoadMode::map);
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
