#include "api/embedding_models.h"

#include <spdlog/spdlog.h>

#include "api/api_error.h"

namespace rmlx::api {

EmbeddingModels::Entry& EmbeddingModels::entry_locked(const ModelRuntime& model) {
  auto it = entries_.find(model.id());
  if (it == entries_.end()) {
    Entry e;
    e.embedding = embed::is_embedding_snapshot(model.dir());
    it = entries_.emplace(model.id(), std::move(e)).first;
  }
  return it->second;
}

bool EmbeddingModels::is_embedding(const ModelRuntime& model) {
  std::lock_guard lock(mu_);
  return entry_locked(model).embedding;
}

void EmbeddingModels::reject_generation(const ModelRuntime& model) {
  if (!is_embedding(model)) return;
  throw ApiError(ErrorKind::invalid_request,
                 "model '" + model.id() +
                     "' is an embedding model: it cannot generate text; use /v1/embeddings",
                 "model", "model_not_generative");
}

std::shared_ptr<embed::Embedder> EmbeddingModels::get(const ModelRuntime& model,
                                                      registry::Registry& registry, int threads) {
  // Loading holds the lock: concurrent first requests wait for one load.
  std::lock_guard lock(mu_);
  Entry& e = entry_locked(model);
  if (!e.embedding) {
    throw ApiError(ErrorKind::invalid_request,
                   "model '" + model.id() +
                       "' cannot embed: it is a generative model; /v1/embeddings needs an "
                       "embedding model",
                   "model", "model_not_embedding");
  }
  if (e.embedder) return e.embedder;
  if (!e.error.empty()) {
    throw ApiError(ErrorKind::unavailable, "model '" + model.id() + "' failed to load: " + e.error);
  }
  try {
    embed::EmbedderOptions options;
    options.model_dir = model.dir();
    options.threads = threads;
    spdlog::info("loading embedding model '{}' from {}", model.id(), model.dir());
    e.embedder = embed::Embedder::load(options, registry);
    spdlog::info("embedding model '{}' loaded ({}, {} dimensions, {} tokens at most, {} pooling)",
                 model.id(), e.embedder->info().architecture, e.embedder->info().dimensions,
                 e.embedder->info().max_tokens,
                 embed::pooling_name(e.embedder->info().sentence.pooling));
  } catch (const std::exception& ex) {
    e.error = ex.what();
    spdlog::error("model '{}' failed to load: {}", model.id(), e.error);
    throw ApiError(ErrorKind::unavailable, "model '" + model.id() + "' failed to load: " + e.error);
  }
  return e.embedder;
}

}  // namespace rmlx::api
