// A loaded model: the snapshot, the backend's ops, the weight formats that
// claimed its tensors and the architecture that runs them. Tools that run
// forward passes themselves (benchmarks, teacher-forced comparisons) use it
// directly, without the scheduler.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/registry/registry.h"
#include "rmlx/sdk/architecture.h"
#include "rmlx/sdk/backend.h"
#include "rmlx/sdk/kv_codec.h"
#include "rmlx/sdk/weight_format.h"
#include "rmlx/snapshot/snapshot.h"

namespace rmlx::engine {

class Model {
 public:
  // Throws std::runtime_error with one line naming the file/plugin and the problem.
  Model(const EngineOptions& options, registry::Registry& registry);
  ~Model();

  sdk::Ops& ops() { return *ops_; }
  sdk::Architecture& arch() { return *arch_; }
  const snapshot::Snapshot& snapshot() const { return *snapshot_; }
  const sdk::KvCodec& k_codec() const { return *k_codec_; }
  const sdk::KvCodec& v_codec() const { return *v_codec_; }
  const ModelInfo& info() const { return info_; }

 private:
  std::unique_ptr<snapshot::Snapshot> snapshot_;
  registry::Component<sdk::Backend> backend_;
  std::unique_ptr<sdk::Ops> ops_;
  std::map<std::string, registry::Component<sdk::WeightFormat>> formats_;
  registry::Component<sdk::KvCodec> k_codec_, v_codec_;
  // Bound weights must die before their formats and the ops.
  registry::Component<sdk::Architecture> arch_;
  ModelInfo info_;
};

}  // namespace rmlx::engine
