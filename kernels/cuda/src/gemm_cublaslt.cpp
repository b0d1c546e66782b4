#include "gemm_cublaslt.h"

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace rmlx::kernels_cuda {

void SharedObjectClose::operator()(void* handle) const {
  if (handle != nullptr) dlclose(handle);
}

namespace {

template <typename F>
void resolve(void* so, const char* name, F& out) {
  void* sym = dlsym(so, name);
  if (sym == nullptr) throw std::runtime_error(std::string("cuBLASLt lacks ") + name);
  out = reinterpret_cast<F>(sym);
}

}  // namespace

CublasLt::CublasLt() {
  // The soname of the toolkit built against first, then the toolkit's own folder.
  const std::string major = std::to_string(CUBLAS_VER_MAJOR);
  std::vector<std::string> names = {"libcublasLt.so." + major};
  for (const char* env : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* root = std::getenv(env)) {
      names.push_back(std::string(root) + "/lib64/libcublasLt.so." + major);
    }
  }
  names.push_back("/usr/local/cuda/lib64/libcublasLt.so." + major);
  std::string tried;
  for (const auto& n : names) {
    if (void* so = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      so_.reset(so);
      path_ = n;
      break;
    }
    tried += (tried.empty() ? "" : ", ") + n;
  }
  if (!so_) throw std::runtime_error("cuBLASLt not found (tried " + tried + ")");
  void* so = so_.get();
  resolve(so, "cublasLtCreate", create);
  resolve(so, "cublasLtDestroy", destroy);
  resolve(so, "cublasLtGetVersion", get_version);
  resolve(so, "cublasLtMatmulDescCreate", desc_create);
  resolve(so, "cublasLtMatmulDescSetAttribute", desc_set);
  resolve(so, "cublasLtMatmulDescDestroy", desc_destroy);
  resolve(so, "cublasLtMatrixLayoutCreate", layout_create);
  resolve(so, "cublasLtMatrixLayoutDestroy", layout_destroy);
  resolve(so, "cublasLtMatmulPreferenceCreate", pref_create);
  resolve(so, "cublasLtMatmulPreferenceSetAttribute", pref_set);
  resolve(so, "cublasLtMatmulPreferenceDestroy", pref_destroy);
  resolve(so, "cublasLtMatmulAlgoGetHeuristic", heuristic);
  resolve(so, "cublasLtMatmul", matmul);
  const std::size_t v = get_version();
  if (v / 10000 != CUBLAS_VER_MAJOR) {
    throw std::runtime_error(path_ + " is version " + std::to_string(v) + ", built against " +
                             major + ".x");
  }
}

}  // namespace rmlx::kernels_cuda
