// rmlx-gpu-kernels: GB/s of the linear kernels on llama-3.1-8b matrices (bf16,
// affine 4/8-bit) for each GEMV variant, the prefill GEMM's TFLOP/s and the
// decode attention's time. Weights are random bytes: speed does not depend on them.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rmlx/kernels_cuda/kernels.h"

namespace {

namespace kc = rmlx::kernels_cuda;

void check(cudaError_t e) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "cuda: %s\n", cudaGetErrorString(e));
    std::exit(1);
  }
}

void* dev(std::size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes));
  check(cudaMemset(p, 0x11, bytes));
  return p;
}

template <typename F>
double time_ms(F&& f, int reps) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  f();
  cudaEventRecord(a);
  for (int i = 0; i < reps; ++i) f();
  cudaEventRecord(b);
  check(cudaEventSynchronize(b));
  float ms = 0;
  cudaEventElapsedTime(&ms, a, b);
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}

struct Mat {
  const char* name;
  int rows, cols, count;  // count: matrices of this shape per token
};

}  // namespace

int main() {
  // llama-3.1-8b per token: 32 layers of q,k,v,o,gate,up,down plus the output layer.
  const std::vector<Mat> mats = {{"q/o 4096x4096", 4096, 4096, 64},
                                 {"k/v 1024x4096", 1024, 4096, 64},
                                 {"gate/up 14336x4096", 14336, 4096, 64},
                                 {"down 4096x14336", 4096, 14336, 32},
                                 {"lm_head 128256x4096", 128256, 4096, 1}};
  struct Fmt {
    const char* name;
    int bits, group;
  };
  const std::vector<Fmt> fmts = {
      {"bf16", 0, 0}, {"affine4g64", 4, 64}, {"affine4g32", 4, 32}, {"affine8g64", 8, 64}};
  float* x = static_cast<float*>(dev(static_cast<std::size_t>(128) * 14336 * 4));
  float* y = static_cast<float*>(dev(static_cast<std::size_t>(128) * 128256 * 4));
  check(cudaMemset(x, 0, static_cast<std::size_t>(128) * 14336 * 4));
  for (const auto& f : fmts) {
    for (int n : {1, 8, 32}) {
      // rpw 0 is the default; n = 1: 4 (8) is four (eight) weight rows per warp, 1 (affine) the
      // same with the activations staged in shared memory; n > 1: 0 (affine) is the
      // block-wide GEMV, -1 the per-row GEMV, 1 the shared-memory batched one.
      for (int rpw : {0, -1, 1, 4, 8}) {
        if ((n > 1 && rpw > 1) || (n == 1 && rpw == -1) || (f.bits == 0 && rpw == 0)) continue;
        double total_ms = 0, total_bytes = 0;
        for (const auto& m : mats) {
          kc::WeightView w;
          w.rows = m.rows;
          w.cols = m.cols;
          w.bits = f.bits;
          w.group_size = f.group;
          w.type = kc::WType::bf16;
          std::size_t bytes = 0;
          if (f.bits == 0) {
            bytes = static_cast<std::size_t>(m.rows) * m.cols * 2;
            w.data = dev(bytes);
          } else {
            const std::size_t packed = static_cast<std::size_t>(m.rows) * m.cols * f.bits / 8;
            const std::size_t sb = static_cast<std::size_t>(m.rows) * (m.cols / f.group) * 2;
            w.data = dev(packed);
            w.scales = dev(sb);
            w.biases = dev(sb);
            bytes = packed + 2 * sb;
          }
          const double ms = time_ms([&] { kc::linear(w, x, n, y, nullptr, rpw); }, 20);
          total_ms += ms * m.count;
          total_bytes += static_cast<double>(bytes) * m.count;
          std::printf("%-11s n=%-3d rpw=%d %-22s %8.1f us %7.0f GB/s\n", f.name, n, rpw, m.name,
                      ms * 1e3, bytes / ms / 1e6);
          cudaFree(const_cast<void*>(w.data));
          if (w.scales) cudaFree(const_cast<void*>(w.scales));
          if (w.biases) cudaFree(const_cast<void*>(w.biases));
        }
        std::printf("TOTAL %-11s n=%-3d rpw=%d: %.2f ms per token-step, %.0f GB/s, %.1f steps/s\n",
                    f.name, n, rpw, total_ms, total_bytes / total_ms / 1e6, 1e3 / total_ms);
      }
    }
  }
  // Prefill GEMM rate.
  for (int bits : {0, 4}) {
    kc::WeightView w;
    w.rows = 4096;
    w.cols = 4096;
    w.bits = bits;
    w.group_size = 64;
    w.type = kc::WType::bf16;
    w.data = dev(static_cast<std::size_t>(4096) * 4096 * 2);
    w.scales = dev(4096 * 64 * 2);
    w.biases = dev(4096 * 64 * 2);
    float* xx = static_cast<float*>(dev(static_cast<std::size_t>(2048) * 4096 * 4));
    float* yy = static_cast<float*>(dev(static_cast<std::size_t>(2048) * 4096 * 4));
    check(cudaMemset(xx, 0, static_cast<std::size_t>(2048) * 4096 * 4));
    const double ms = time_ms([&] { kc::linear(w, xx, 2048, yy, nullptr); }, 5);
    std::printf("GEMM %s 2048x4096x4096: %.2f ms, %.1f TFLOP/s\n", bits ? "affine4" : "bf16", ms,
                2.0 * 2048 * 4096 * 4096 / ms / 1e9);
  }
  check(cudaDeviceSynchronize());
  return 0;
}
