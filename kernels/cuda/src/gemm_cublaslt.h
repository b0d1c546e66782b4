// cuBLASLt opened at run time: the entry points the tensor-core GEMM uses.
#pragma once

#include <cublasLt.h>

#include <memory>
#include <string>

namespace rmlx::kernels_cuda {

struct SharedObjectClose {
  void operator()(void* handle) const;
};

class CublasLt {
 public:
  // Opens the library and resolves every entry point; throws std::runtime_error
  // naming what is missing.
  CublasLt();

  decltype(&cublasLtCreate) create = nullptr;
  decltype(&cublasLtDestroy) destroy = nullptr;
  decltype(&cublasLtGetVersion) get_version = nullptr;
  decltype(&cublasLtMatmulDescCreate) desc_create = nullptr;
  decltype(&cublasLtMatmulDescSetAttribute) desc_set = nullptr;
  decltype(&cublasLtMatmulDescDestroy) desc_destroy = nullptr;
  decltype(&cublasLtMatrixLayoutCreate) layout_create = nullptr;
  decltype(&cublasLtMatrixLayoutDestroy) layout_destroy = nullptr;
  decltype(&cublasLtMatmulPreferenceCreate) pref_create = nullptr;
  decltype(&cublasLtMatmulPreferenceSetAttribute) pref_set = nullptr;
  decltype(&cublasLtMatmulPreferenceDestroy) pref_destroy = nullptr;
  decltype(&cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&cublasLtMatmul) matmul = nullptr;

 private:
  std::unique_ptr<void, SharedObjectClose> so_;
  std::string path_;
};

}  // namespace rmlx::kernels_cuda
