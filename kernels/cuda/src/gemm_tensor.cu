// Tensor-core linear layers: activations converted to the weight's 16-bit type
// (or split in two for near-f32 products), affine weights dequantized into a
// reusable bf16 buffer, then one cuBLASLt GEMM with f32 accumulation and output.
#include <cuda_bf16.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "common.cuh"
#include "gemm_cublaslt.h"
#include "rmlx/kernels_cuda/gemm.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr std::size_t kWorkspaceBytes = 32u << 20;

template <typename T16>
__device__ __forceinline__ T16 round16(float v);
template <>
__device__ __forceinline__ __nv_bfloat16 round16<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ __half round16<__half>(float v) {
  return __float2half_rn(v);
}
template <typename T16>
__device__ __forceinline__ float widen(T16 v);
template <>
__device__ __forceinline__ float widen<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <>
__device__ __forceinline__ float widen<__half>(__half v) {
  return __half2float(v);
}

// hi[i] = round(x[i]); lo[i] = round(x[i] - hi[i]) when lo is given.
template <typename T16>
__global__ void to16_kernel(const float* __restrict__ x, std::int64_t count, T16* __restrict__ hi,
                            T16* __restrict__ lo) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    const T16 h = round16<T16>(v);
    hi[i] = h;
    if (lo != nullptr) lo[i] = round16<T16>(v - widen<T16>(h));
  }
}

__global__ void fold_kernel(const float* __restrict__ t, std::int64_t count,
                            float* __restrict__ y) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = t[i] + t[count + i];
  }
}

// One thread per 32-code chunk (one group holds whole chunks): 64 bytes of bf16 out.
template <int BITS, WType S>
__global__ void dequant_bf16_kernel(const unsigned* __restrict__ packed, const void* scales,
                                    const void* biases, std::int64_t rows, int cols, int group_size,
                                    std::uint16_t* __restrict__ out) {
  const int chunks = cols / 32;
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * chunks) return;
  const std::int64_t r = i / chunks;
  const int c = static_cast<int>(i % chunks);
  unsigned w[BITS];
  const unsigned* src = packed + (r * chunks + c) * BITS;
#pragma unroll
  for (int j = 0; j < BITS; ++j) w[j] = src[j];
  const std::int64_t g = r * (cols / group_size) + (c * 32) / group_size;
  const float scale = Elem<S>::load(scales, g), bias = Elem<S>::load(biases, g);
  unsigned packed_out[16];
#pragma unroll
  for (int e = 0; e < 32; e += 2) {
    // Two roundings (no fused multiply-add), as the CPU backend and mlx compute it.
    const float a = __fadd_rn(__fmul_rn(scale, static_cast<float>(code_at<BITS>(w, e))), bias);
    const float b = __fadd_rn(__fmul_rn(scale, static_cast<float>(code_at<BITS>(w, e + 1))), bias);
    const __nv_bfloat162 p = __floats2bfloat162_rn(a, b);
    packed_out[e / 2] = *reinterpret_cast<const unsigned*>(&p);
  }
  uint4* dst = reinterpret_cast<uint4*>(out + r * cols + c * 32);
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    dst[q] = make_uint4(packed_out[4 * q], packed_out[4 * q + 1], packed_out[4 * q + 2],
                        packed_out[4 * q + 3]);
  }
}

unsigned grid_for(std::int64_t count) {
  const std::int64_t blocks = (count + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

int alignment(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  int al = 256;
  while (al > 1 && a % static_cast<std::uintptr_t>(al) != 0) al /= 2;
  return al;
}

void lt_check(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuda: ") + what + " failed (cuBLAS status " +
                             std::to_string(static_cast<int>(st)) + ")");
  }
}

struct DeviceFreeFn {
  void operator()(void* p) const { cudaFree(p); }
};

// A device buffer that only grows. A replaced buffer is kept until the end:
// CUDA graphs recorded earlier still read and write it when replayed.
struct GrowBuffer {
  std::unique_ptr<void, DeviceFreeFn> p;
  std::size_t bytes = 0;
  std::vector<std::unique_ptr<void, DeviceFreeFn>> retired;
  void* get(std::size_t need, cudaStream_t s) {
    if (need <= bytes) return p.get();
    cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(s, &st) != cudaSuccess || st != cudaStreamCaptureStatusNone) {
      throw std::runtime_error(
          "cuda: tensor GEMM buffers must grow outside graph capture (run the shape once first)");
    }
    // Doubling keeps the retired buffers smaller than the live one.
    const std::size_t want = std::max(need, 2 * bytes);
    void* q = nullptr;
    const cudaError_t e = cudaMalloc(&q, want);
    if (e != cudaSuccess) {
      throw std::runtime_error(std::string("cuda: GEMM buffer of ") + std::to_string(want) +
                               " bytes: " + cudaGetErrorString(e));
    }
    if (p) retired.push_back(std::move(p));
    p.reset(q);
    bytes = want;
    return q;
  }
};

}  // namespace

struct TensorGemm::Impl {
  std::optional<CublasLt> lt;
  cublasLtHandle_t handle = nullptr;
  bool tried = false;
  std::string reason;
  GrowBuffer workspace, act16, w16, stacked;

  // A matmul plan per (type, m, n, k, alignments): descriptors and the chosen algorithm.
  struct Plan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
    cublasLtMatmulAlgo_t algo{};
  };
  using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, int, int, int>;
  std::map<Key, Plan> plans;

  ~Impl() {
    clear_plans();
    if (handle != nullptr) lt->destroy(handle);
  }

  void clear_plans() {
    for (auto& [key, p] : plans) {
      if (p.op != nullptr) lt->desc_destroy(p.op);
      for (auto* l : {p.a, p.b, p.d})
        if (l != nullptr) lt->layout_destroy(l);
    }
    plans.clear();
  }

  bool open() {
    if (tried) return handle != nullptr;
    tried = true;
    try {
      lt.emplace();
      lt_check(lt->create(&handle), "cublasLtCreate");
    } catch (const std::exception& e) {
      reason = e.what();
      handle = nullptr;
    }
    return handle != nullptr;
  }

  // D[n, m] (row-major, f32) = B[n, k] A[m, k]^T, both operands of `type`.
  const Plan* plan(cudaDataType_t type, std::int64_t m, std::int64_t n, std::int64_t k,
                   const void* a, const void* b, const void* d) {
    const Key key{static_cast<int>(type), m, n, k, alignment(a), alignment(b), alignment(d)};
    if (auto it = plans.find(key); it != plans.end()) return &it->second;
    if (plans.size() > 512) clear_plans();
    Plan p;
    lt_check(lt->desc_create(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    lt_check(lt->desc_set(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)), "transa");
    lt_check(lt->desc_set(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)), "transb");
    // Column-major view: A is k x m (the weight, transposed by the op), B is k x n.
    lt_check(lt->layout_create(&p.a, type, static_cast<std::uint64_t>(k),
                               static_cast<std::uint64_t>(m), k),
             "layout A");
    lt_check(lt->layout_create(&p.b, type, static_cast<std::uint64_t>(k),
                               static_cast<std::uint64_t>(n), k),
             "layout B");
    lt_check(lt->layout_create(&p.d, CUDA_R_32F, static_cast<std::uint64_t>(m),
                               static_cast<std::uint64_t>(n), m),
             "layout D");
    cublasLtMatmulPreference_t pref = nullptr;
    lt_check(lt->pref_create(&pref), "cublasLtMatmulPreferenceCreate");
    const std::uint64_t ws = kWorkspaceBytes;
    const std::uint32_t al[3] = {static_cast<std::uint32_t>(std::get<4>(key)),
                                 static_cast<std::uint32_t>(std::get<5>(key)),
                                 static_cast<std::uint32_t>(std::get<6>(key))};
    lt->pref_set(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    lt->pref_set(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al[0], sizeof(al[0]));
    lt->pref_set(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al[1], sizeof(al[1]));
    lt->pref_set(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al[2], sizeof(al[2]));
    lt->pref_set(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al[2], sizeof(al[2]));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t st =
        lt->heuristic(handle, p.op, p.a, p.b, p.d, p.d, pref, 1, &result, &found);
    lt->pref_destroy(pref);
    if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
      lt->desc_destroy(p.op);
      for (auto* l : {p.a, p.b, p.d}) lt->layout_destroy(l);
      return nullptr;
    }
    p.algo = result.algo;
    return &plans.emplace(key, p).first->second;
  }

  void run(const Plan& p, const void* a, const void* b, float* d, cudaStream_t s) {
    const float one = 1.0f, zero = 0.0f;
    void* ws = workspace.get(kWorkspaceBytes, s);
    lt_check(lt->matmul(handle, p.op, &one, a, p.a, b, p.b, &zero, d, p.d, d, p.d, &p.algo, ws,
                        kWorkspaceBytes, s),
             "cublasLtMatmul");
  }
};

TensorGemm::TensorGemm() : impl_(std::make_unique<Impl>()) {}
TensorGemm::~TensorGemm() = default;

bool TensorGemm::available() {
  return impl_->open();
}
const std::string& TensorGemm::unavailable_reason() const {
  return impl_->reason;
}

bool TensorGemm::linear(const WeightView& w, const float* x, std::int64_t n, float* y,
                        cudaStream_t s) {
  const bool affine = w.bits != 0;
  const std::int64_t min_rows =
      affine && min_rows_affine_ > 0 ? min_rows_affine_
      : affine ? (affine_mma_applies(w, 1) ? kTensorMinRowsAffine : kTensorMinRowsAffineSimt)
      : w.type == WType::f32 ? kTensorMinRowsF32
                             : kTensorMinRowsDense;
  if (n < min_rows || w.rows <= 0 || w.cols <= 0) return false;
  if (affine && (w.group_size <= 0 || w.group_size % 32 != 0 || w.cols % w.group_size != 0)) {
    return false;  // the SIMT kernels name the problem
  }
  if (!impl_->open()) return false;
  Impl& im = *impl_;
  const std::int64_t m = w.rows, k = w.cols;

  if (!affine && w.type == WType::f32) {
    // f32 weights: an f32 GEMM on the SIMT units of cuBLAS, exact like the rest.
    const Impl::Plan* p = im.plan(CUDA_R_32F, m, n, k, w.data, x, y);
    if (p == nullptr) return false;
    im.run(*p, w.data, x, y, s);
    return true;
  }

  const bool half = !affine && w.type == WType::f16;
  const cudaDataType_t type = half ? CUDA_R_16F : CUDA_R_16BF;
  const bool split = n < kTensorSplitBelow;
  const std::int64_t act_rows = split ? 2 * n : n;
  const std::size_t act_bytes = static_cast<std::size_t>(act_rows * k) * 2;
  void* act = im.act16.get(act_bytes, s);
  const void* weights = w.data;
  if (affine) weights = im.w16.get(static_cast<std::size_t>(m * k) * 2, s);
  float* out = split ? static_cast<float*>(
                           im.stacked.get(static_cast<std::size_t>(2 * n * m) * sizeof(float), s))
                     : y;
  const Impl::Plan* p = im.plan(type, m, act_rows, k, weights, act, out);
  if (p == nullptr) return false;

  if (affine) dequantize_to_bf16(w, static_cast<std::uint16_t*>(const_cast<void*>(weights)), s);
  const std::int64_t count = n * k;
  if (half) {
    auto* h = static_cast<__half*>(act);
    to16_kernel<__half><<<grid_for(count), 256, 0, s>>>(x, count, h, split ? h + count : nullptr);
  } else {
    auto* h = static_cast<__nv_bfloat16*>(act);
    to16_kernel<__nv_bfloat16>
        <<<grid_for(count), 256, 0, s>>>(x, count, h, split ? h + count : nullptr);
  }
  check_launch("tensor GEMM activations");
  im.run(*p, weights, act, out, s);
  if (split) {
    fold_kernel<<<grid_for(n * m), 256, 0, s>>>(out, n * m, y);
    check_launch("tensor GEMM fold");
  }
  return true;
}

void dequantize_to_bf16(const WeightView& w, std::uint16_t* out, cudaStream_t s) {
  if (w.bits == 0 || w.cols % 32 != 0 || w.cols % w.group_size != 0 || w.group_size % 32 != 0) {
    throw std::invalid_argument("cuda: dequantize_to_bf16 needs an affine weight in whole groups");
  }
  const std::int64_t total = w.rows * (w.cols / 32);
  const unsigned blocks = static_cast<unsigned>((total + 255) / 256);
  const auto* packed = static_cast<const unsigned*>(w.data);
  const int cols = static_cast<int>(w.cols);
  const auto launch = [&]<int BITS>() {
    switch (w.type) {
      case WType::f32:
        dequant_bf16_kernel<BITS, WType::f32>
            <<<blocks, 256, 0, s>>>(packed, w.scales, w.biases, w.rows, cols, w.group_size, out);
        break;
      case WType::f16:
        dequant_bf16_kernel<BITS, WType::f16>
            <<<blocks, 256, 0, s>>>(packed, w.scales, w.biases, w.rows, cols, w.group_size, out);
        break;
      default:
        dequant_bf16_kernel<BITS, WType::bf16>
            <<<blocks, 256, 0, s>>>(packed, w.scales, w.biases, w.rows, cols, w.group_size, out);
    }
  };
  switch (w.bits) {
    case 2:
      launch.template operator()<2>();
      break;
    case 3:
      launch.template operator()<3>();
      break;
    case 4:
      launch.template operator()<4>();
      break;
    case 5:
      launch.template operator()<5>();
      break;
    case 6:
      launch.template operator()<6>();
      break;
    case 8:
      launch.template operator()<8>();
      break;
    default:
      throw std::invalid_argument("cuda: affine bits must be 2, 3, 4, 5, 6 or 8, got " +
                                  std::to_string(w.bits));
  }
  check_launch("dequantize_to_bf16");
}

}  // namespace rmlx::kernels_cuda
