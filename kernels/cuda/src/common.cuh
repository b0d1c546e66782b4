// Device helpers shared by the kernels.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

__device__ __forceinline__ float bf16_bits_to_f32(std::uint16_t b) {
  return __uint_as_float(static_cast<unsigned>(b) << 16);
}
__device__ __forceinline__ float f16_bits_to_f32(std::uint16_t b) {
  return __half2float(__ushort_as_half(b));
}

template <WType T>
struct Elem;
template <>
struct Elem<WType::f32> {
  using type = float;
  static __device__ __forceinline__ float load(const void* p, std::int64_t i) {
    return static_cast<const float*>(p)[i];
  }
};
template <>
struct Elem<WType::f16> {
  using type = std::uint16_t;
  static __device__ __forceinline__ float load(const void* p, std::int64_t i) {
    return f16_bits_to_f32(static_cast<const std::uint16_t*>(p)[i]);
  }
};
template <>
struct Elem<WType::bf16> {
  using type = std::uint16_t;
  static __device__ __forceinline__ float load(const void* p, std::int64_t i) {
    return bf16_bits_to_f32(static_cast<const std::uint16_t*>(p)[i]);
  }
};

__device__ __forceinline__ float load_any(const void* p, WType t, std::int64_t i) {
  switch (t) {
    case WType::f32:
      return Elem<WType::f32>::load(p, i);
    case WType::f16:
      return Elem<WType::f16>::load(p, i);
    default:
      return Elem<WType::bf16>::load(p, i);
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Code `e` (0..31) of a chunk of 32 codes stored in BITS little-endian words.
template <int BITS>
__device__ __forceinline__ unsigned code_at(const unsigned* w, int e) {
  const int off = e * BITS;
  const int word = off >> 5, shift = off & 31;
  unsigned v = w[word] >> shift;
  if (shift + BITS > 32) v |= w[word + 1] << (32 - shift);
  return v & ((1u << BITS) - 1u);
}

// The same code as a float: the code's bits placed in the mantissa of 2^23, minus
// 2^23 (exact; a logic op and an add instead of a slower int-to-float convert).
template <int BITS>
__device__ __forceinline__ float code_f(const unsigned* w, int e) {
  return __uint_as_float(0x4B000000u | code_at<BITS>(w, e)) - 8388608.0f;
}

inline void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: ") + what + ": " + cudaGetErrorString(e));
  }
}

// A comparison switch: on unless the environment sets `name` to "0" (callers keep the
// answer in a function-local static: read once).
inline bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr || std::string_view(v) != "0";
}

// Programmatic dependent launch (Hopper): lets the next kernel's blocks start (its
// prologue, e.g. a GEMV's weight prefetch) while this one runs; they wait for this
// grid before reading its output.
__device__ __forceinline__ void launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// The current device's SMs (host side).
inline int sm_count() {
  int dev = 0, sms = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  return sms;
}

// Blocks of `threads` threads (no dynamic shared memory) one SM holds at once.
template <typename Kernel>
int blocks_per_sm(Kernel kernel, int threads) {
  int n = 0;
  cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, threads, 0);
  return n;
}

// 16 bytes from global to shared memory through cp.async (L2 only), and the shared
// memory address PTX takes.
__device__ __forceinline__ unsigned smem_u32(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void cp16(void* dst, const void* src) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_u32(dst)), "l"(src));
}

// Asks L2 for the 128-byte line holding p (no register waits on it).
__device__ __forceinline__ void prefetch_l2(const void* p) {
  asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

// A kernel launched by launch_pdl may be scheduled while the kernel before it on the
// stream is finishing; it must call wait_prior_grid() before touching memory that
// kernel writes (here: first thing). Without the launch attribute the wait returns at
// once.
__device__ __forceinline__ void wait_prior_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
  launch_dependents();
}

// A block may store into another's shared memory only once that block runs: a block
// that does arrives here first thing and waits (long since complete) before its first
// such store. Every thread of the block takes both.
__device__ __forceinline__ void cluster_arrive_relaxed() {
  asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
}
__device__ __forceinline__ void cluster_wait() {
  asm volatile("barrier.cluster.wait.aligned;" ::: "memory");
}

// RMLX_CUDA_PDL=0 launches every kernel plainly (for comparisons).
inline bool pdl_enabled() {
  static const bool on = env_on("RMLX_CUDA_PDL");
  return on;
}

// A cluster of more than one block (Hopper: co-scheduled blocks that may read each
// other's shared memory) groups cluster.x * cluster.y * cluster.z neighbouring blocks.
template <typename... Params, typename... Args>
void launch_pdl_clusters(const char* what, void (*kernel)(Params...), dim3 grid, dim3 block,
                         dim3 cluster, std::size_t smem, cudaStream_t s, Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = s;
  cudaLaunchAttribute attr[2];
  unsigned n = 0;
  if (cluster.x * cluster.y * cluster.z > 1) {
    attr[n].id = cudaLaunchAttributeClusterDimension;
    attr[n].val.clusterDim.x = cluster.x;
    attr[n].val.clusterDim.y = cluster.y;
    attr[n].val.clusterDim.z = cluster.z;
    ++n;
  }
  if (pdl_enabled()) {
    attr[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[n].val.programmaticStreamSerializationAllowed = 1;
    ++n;
  }
  cfg.attrs = attr;
  cfg.numAttrs = n;
  const cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: ") + what + ": " + cudaGetErrorString(e));
  }
}

// cluster_x consecutive blocks along x a cluster.
template <typename... Params, typename... Args>
void launch_pdl_cluster(const char* what, void (*kernel)(Params...), dim3 grid, dim3 block,
                        unsigned cluster_x, std::size_t smem, cudaStream_t s, Args&&... args) {
  launch_pdl_clusters(what, kernel, grid, block, dim3(cluster_x, 1, 1), smem, s,
                      std::forward<Args>(args)...);
}

template <typename... Params, typename... Args>
void launch_pdl(const char* what, void (*kernel)(Params...), dim3 grid, dim3 block,
                std::size_t smem, cudaStream_t s, Args&&... args) {
  launch_pdl_cluster(what, kernel, grid, block, 1, smem, s, std::forward<Args>(args)...);
}

inline unsigned blocks_for(std::int64_t n, int per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace rmlx::kernels_cuda
