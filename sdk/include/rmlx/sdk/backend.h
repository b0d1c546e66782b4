// Backend: device memory and the kernels behind the op API.
#pragma once

#include <memory>
#include <string>

#include "rmlx/sdk/ops.h"

namespace rmlx::sdk {

struct BackendOptions {
  int threads = 0;      // 0: the backend's default
  int device_index = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // One line: device model, features used ("cpu: 2 threads, avx512_vnni").
  virtual std::string describe() const = 0;
  virtual std::unique_ptr<Ops> create_ops(const BackendOptions& options) = 0;
};

}  // namespace rmlx::sdk
