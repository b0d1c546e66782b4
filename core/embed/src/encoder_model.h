// A model loaded for embeddings: the snapshot, the backend's ops, the weight
// formats that claimed its linears and the architecture that runs them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "rmlx/registry/registry.h"
#include "rmlx/sdk/architecture.h"
#include "rmlx/sdk/backend.h"
#include "rmlx/sdk/weight_format.h"
#include "rmlx/snapshot/snapshot.h"

namespace rmlx::embed {

class EncoderModel {
 public:
  // Throws std::runtime_error with one line naming the file/plugin and the problem.
  EncoderModel(const std::string& dir, const std::string& backend, int threads,
               registry::Registry& registry);
  ~EncoderModel();

  sdk::Ops& ops() { return *ops_; }
  sdk::Architecture& arch() { return *arch_; }
  const snapshot::Snapshot& snapshot() const { return *snapshot_; }
  // True when every layer keeps no cache: an encoder such as BERT, or a
  // decoder whose plugin runs it for hidden states (arch-llama).
  bool encoder() const { return encoder_; }

 private:
  std::unique_ptr<snapshot::Snapshot> snapshot_;
  registry::Component<sdk::Backend> backend_;
  std::unique_ptr<sdk::Ops> ops_;
  std::map<std::string, registry::Component<sdk::WeightFormat>> formats_;
  // Bound weights must die before their formats and the ops.
  registry::Component<sdk::Architecture> arch_;
  bool encoder_ = false;
};

}  // namespace rmlx::embed
