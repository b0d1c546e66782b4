// rmlx-gpu-kernels: GB/s of the linear kernels on llama-3.1-8b matrices (bf16,
// affine 2/4/8-bit) at 1-128 activation rows for each kernel variant (the
// tensor-core affine kernel with two or three activation parts, the SIMT GEMVs,
// dequantize + cuBLASLt) and the prefill GEMM's TFLOP/s. Weights are random
// bytes (codes) or random bf16 values, activations random: never zeros.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rmlx/kernels_cuda/affine_batch.h"
#include "rmlx/kernels_cuda/gemm.h"
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

// Random bytes (xorshift), copied to the device: the kernels never see zeros.
std::vector<std::uint32_t> random_words(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  std::uint64_t z = 0x9e3779b97f4a7c15ull;
  for (auto& w : v) {
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    w = static_cast<std::uint32_t>(z >> 11);
  }
  return v;
}

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
  const std::vector<Fmt> fmts = {{"bf16", 0, 0},
                                 {"affine4g64", 4, 64},
                                 {"affine4g32", 4, 32},
                                 {"affine8g64", 8, 64},
                                 {"affine2g64", 2, 64}};
  // Largest matrix: 128256 x 4096 bf16 (1 GiB) / codes; one random pattern for all.
  const std::size_t max_bytes = static_cast<std::size_t>(128256) * 4096 * 2;
  void* wbuf = dev(max_bytes);
  {
    const auto words = random_words(max_bytes / 4);
    check(cudaMemcpy(wbuf, words.data(), max_bytes, cudaMemcpyHostToDevice));
  }
  // bf16 weights: random bits would hold NaN/Inf; keep sign, a small exponent, random mantissa.
  void* wbf16 = dev(max_bytes);
  {
    auto words = random_words(max_bytes / 4);
    for (auto& w : words) w = (w & 0x807f807fu) | 0x3c003c00u;
    check(cudaMemcpy(wbf16, words.data(), max_bytes, cudaMemcpyHostToDevice));
  }
  // Scales and biases: 0x3c3c as bf16 (0.0115), all valid.
  const std::size_t max_sb = static_cast<std::size_t>(256) << 20;
  void* sbuf = dev(max_sb);
  void* bbuf = dev(max_sb);
  check(cudaMemset(sbuf, 0x3c, max_sb));
  check(cudaMemset(bbuf, 0xbc, max_sb));
  float* x = static_cast<float*>(dev(static_cast<std::size_t>(128) * 14336 * 4));
  {
    std::vector<float> xs(static_cast<std::size_t>(128) * 14336);
    const auto words = random_words(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      xs[i] = (static_cast<float>(words[i] % 20001) - 10000.0f) / 5000.0f + 1e-3f;
    }
    check(cudaMemcpy(x, xs.data(), xs.size() * 4, cudaMemcpyHostToDevice));
  }
  float* y = static_cast<float*>(dev(static_cast<std::size_t>(128) * 128256 * 4));
  kc::TensorGemm gemm;
  gemm.set_min_rows_affine(1);
  const bool have_lt = gemm.available();
  // Variants: "rpw=R" is kc::linear's rows_per_warp (0 the default; for affine weights 16
  // the SIMT kernels that were the default before the tensor-core one, 4 / 8 the
  // single-row GEMV); "mma pP" the tensor-core affine kernel with P activation parts
  // ("unstaged": three parts split by each lane instead of once per block in shared memory);
  // "cublasLt" the dequantize + cuBLASLt path.
  struct Variant {
    std::string name;
    int rpw, parts;
    bool lt;
    bool batch = false;  // the int8 tensor-core kernel for 2..128 rows of 4-bit codes
  };
  // Its scratch: fixed-point activations, split partial sums, counters (left zero).
  void *bact = nullptr, *bpart = nullptr, *btick = nullptr;
  if (cudaMalloc(&bact, 64u << 20) != cudaSuccess || cudaMalloc(&bpart, 64u << 20) != cudaSuccess ||
      cudaMalloc(&btick, 65536 * 4) != cudaSuccess ||
      cudaMemset(btick, 0, 65536 * 4) != cudaSuccess) {
    std::fprintf(stderr, "cudaMalloc failed\n");
    return 1;
  }
  // RMLX_KB_FORMATS / RMLX_KB_ROWS (comma lists, e.g. "affine4g64,bf16" / "1,8") narrow the run.
  const auto listed = [](const char* env, const std::string& item) {
    const char* v = std::getenv(env);
    if (v == nullptr || *v == 0) return true;
    const std::string list = std::string(",") + v + ",";
    return list.find("," + item + ",") != std::string::npos;
  };
  for (const auto& f : fmts) {
    if (!listed("RMLX_KB_FORMATS", f.name)) continue;
    for (int n : {1, 2, 4, 8, 16, 32, 64, 128}) {
      if (!listed("RMLX_KB_ROWS", std::to_string(n))) continue;
      std::vector<Variant> vs;
      if (f.bits == 0) {
        if (n <= 32 && (n == 1 || n % 8 == 0)) vs.push_back({"rpw=1", 1, 0, false});
      } else {
        vs.push_back({"mma default", 0, 0, false});
        vs.push_back({"mma p3", 0, 3, false});
        vs.push_back({"mma p2", 0, 2, false});
        if (n == 1) vs.push_back({"mma unstaged", 0, -3, false});
        if (n <= 32) vs.push_back({"simt (rpw=16)", 16, 0, false});
        if (n == 1) vs.push_back({"rpw=4", 4, 0, false});
        if (n == 1) vs.push_back({"rpw=2", 2, 0, false});
        if (n >= 32 && have_lt) vs.push_back({"cublasLt", 0, 0, true});
        if (f.bits == 4 && n >= 2) vs.push_back({"int8 batch", 0, 0, false, true});
      }
      for (const auto& v : vs) {
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
            w.data = wbf16;
          } else {
            const std::size_t packed = static_cast<std::size_t>(m.rows) * m.cols * f.bits / 8;
            const std::size_t sb = static_cast<std::size_t>(m.rows) * (m.cols / f.group) * 2;
            w.data = wbuf;
            w.scales = sbuf;
            w.biases = bbuf;
            bytes = packed + 2 * sb;
          }
          // Each call reads another part of the 1 GiB buffers, so a matrix smaller than L2
          // is read from device memory every time, as in a model.
          std::size_t rep = 0;
          const auto at = [&](void* base, std::size_t buf, std::size_t need) {
            const std::size_t span = buf - need;
            const std::size_t off = span == 0 ? 0 : (rep * (need + 4096)) % span / 256 * 256;
            return static_cast<void*>(static_cast<char*>(base) + off);
          };
          const auto call = [&] {
            ++rep;
            if (f.bits == 0) {
              w.data = at(wbf16, max_bytes, static_cast<std::size_t>(m.rows) * m.cols * 2);
            } else {
              const std::size_t sb = static_cast<std::size_t>(m.rows) * (m.cols / f.group) * 2;
              w.data = at(wbuf, max_bytes, static_cast<std::size_t>(m.rows) * m.cols * f.bits / 8);
              w.scales = at(sbuf, max_sb, sb);
              w.biases = at(bbuf, max_sb, sb);
            }
            if (v.batch) {
              if (!kc::affine_batch_applies(w, n)) std::exit(5);
              const kc::AffineBatchPlan plan = kc::affine_batch_plan(w, n);
              kc::affine_batch_linear(w, x, n, y, plan, bact, static_cast<float*>(bpart),
                                      static_cast<unsigned*>(btick), nullptr);
            } else if (v.lt) {
              if (!gemm.linear(w, x, n, y, nullptr)) std::exit(3);
            } else if (v.parts != 0) {
              // parts -3: three parts, activations not staged in shared memory.
              if (!kc::affine_mma_linear(w, x, n, y, nullptr, v.parts < 0 ? -v.parts : v.parts,
                                         v.parts > 0)) {
                std::exit(4);
              }
            } else {
              kc::linear(w, x, n, y, nullptr, v.rpw);
            }
          };
          const double ms = time_ms(call, 20);
          total_ms += ms * m.count;
          total_bytes += static_cast<double>(bytes) * m.count;
          std::printf("%-11s n=%-3d %-14s %-22s %8.1f us %7.0f GB/s\n", f.name, n, v.name.c_str(),
                      m.name, ms * 1e3, bytes / ms / 1e6);
        }
        std::printf("TOTAL %-11s n=%-3d %-14s: %.3f ms per token-step, %.0f GB/s, %.1f steps/s\n",
                    f.name, n, v.name.c_str(), total_ms, total_bytes / total_ms / 1e6,
                    1e3 / total_ms);
      }
    }
  }
  // Prefill GEMM rate.
  for (int bits : {0, 4}) {
    if (!listed("RMLX_KB_FORMATS", "gemm")) break;
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
