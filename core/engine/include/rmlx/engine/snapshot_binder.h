// Hands a snapshot's tensors to an Architecture plugin as it loads: a linear
// layer that the snapshot quantizes goes to the WeightFormat plugin of its
// mode, any other stays dense and runs on the backend's own ops. Shared by the
// generation engine and the embedding engine.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "rmlx/sdk/architecture.h"
#include "rmlx/sdk/weight_format.h"
#include "rmlx/snapshot/snapshot.h"

namespace rmlx::engine {

class SnapshotBinder final : public sdk::LinearBinder {
 public:
  // The WeightFormat for a quantization mode ("affine"); throws when none.
  using FormatFor = std::function<sdk::WeightFormat&(const std::string& mode)>;

  SnapshotBinder(snapshot::Snapshot& snap, sdk::Ops& ops, FormatFor format_for);

  std::unique_ptr<sdk::LinearWeight> bind(const std::string& prefix) override;
  sdk::Tensor tensor(const std::string& name) override;
  bool has(const std::string& name) const override;

 private:
  snapshot::Snapshot& snap_;
  sdk::Ops& ops_;
  FormatFor format_for_;
};

}  // namespace rmlx::engine
