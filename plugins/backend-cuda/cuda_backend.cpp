// The CUDA backend plugin. It loads on any machine; without a GPU or driver,
// describe() and create_ops() say why it cannot run.
#include <cuda_runtime_api.h>
#include <rmlx/sdk/plugin.h>

#include <string>

#include "cuda_ops.h"

namespace {

class CudaBackend final : public rmlx::sdk::Backend {
 public:
  std::string name() const override { return "cuda"; }
  std::string describe() const override {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) return std::string("cuda: unavailable (") + cudaGetErrorString(e) + ")";
    std::string s = "cuda: " + std::to_string(count) + " device(s)";
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp p{};
      if (cudaGetDeviceProperties(&p, i) == cudaSuccess) {
        s += "; " + std::to_string(i) + ": " + p.name + " sm_" + std::to_string(p.major) +
             std::to_string(p.minor) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB";
      }
    }
    return s;
  }
  std::unique_ptr<rmlx::sdk::Ops> create_ops(const rmlx::sdk::BackendOptions& options) override {
    return std::make_unique<rmlx::backend_cuda::CudaOps>(options.device_index);
  }
};

}  // namespace

RMLX_PLUGIN("backend-cuda", "0.1.0", rmlx::sdk::component<rmlx::sdk::Backend, CudaBackend>("cuda"))
