// The embedding side of the served models: which of them are embedding
// models (BERT / sentence-transformers snapshots) and their embedders,
// loaded on first use. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/model_runtime.h"
#include "rmlx/embed/embedder.h"

namespace rmlx::registry {
class Registry;
}

namespace rmlx::api {

class EmbeddingModels {
 public:
  // True when the model's snapshot is an embedding model (looked at once).
  bool is_embedding(const ModelRuntime& model);
  // The model's embedder, loaded once; throws ApiError 503 naming the model
  // and the reason when it cannot be loaded.
  std::shared_ptr<embed::Embedder> get(const ModelRuntime& model, registry::Registry& registry,
                                       int threads);
  // 400 for a generating route asked to run an embedding model.
  void reject_generation(const ModelRuntime& model);

 private:
  struct Entry {
    bool embedding = false;
    std::shared_ptr<embed::Embedder> embedder;
    std::string error;
  };
  Entry& entry_locked(const ModelRuntime& model);

  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by model id
};

}  // namespace rmlx::api
