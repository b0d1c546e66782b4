// The CPU backend plugin.
#include <rmlx/sdk/plugin.h>

#include <string>
#include <thread>

#include "cpu_ops.h"
#include "rmlx/kernels/isa.h"

namespace {

class CpuBackend final : public rmlx::sdk::Backend {
 public:
  std::string name() const override { return "cpu"; }
  std::string describe() const override {
    return "cpu: " + std::string(rmlx::kernels::isa_name(rmlx::kernels::select_isa())) +
           " kernels, " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads";
  }
  std::unique_ptr<rmlx::sdk::Ops> create_ops(const rmlx::sdk::BackendOptions& options) override {
    return std::make_unique<rmlx::backend_cpu::CpuOps>(options.threads);
  }
};

}  // namespace

RMLX_PLUGIN("backend-cpu", "0.1.0", rmlx::sdk::component<rmlx::sdk::Backend, CpuBackend>("cpu"))
