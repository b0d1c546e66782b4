// rmlx-gpu-prefill: TFLOP/s of the prefill kernels on llama-3.1-8b shapes — the
// tensor-core linear (bf16 and affine 4-bit g64 weights, M = 2,048 tokens) and
// flash-attention prefill (32 query heads, 8 KV heads, head_dim 128, causal) —
// and the prefill time they add up to for the whole model. Inputs are random
// (never zeros: they run faster than real data).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rmlx/kernels_cuda/flash_prefill.h"
#include "rmlx/kernels_cuda/gemm.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace {

namespace kc = rmlx::kernels_cuda;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "cuda: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

struct Rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::uint32_t>(s >> 16);
  }
};

enum class Fill { bits, bf16_small, f32_unit, f16_unit };

// A device buffer of `count` elements of random data of the given kind.
void* random_device(std::size_t count, Fill kind, Rng& rng) {
  const std::size_t elem = kind == Fill::f32_unit || kind == Fill::bits ? 4 : 2;
  void* d = nullptr;
  check(cudaMalloc(&d, count * elem), "cudaMalloc");
  const std::size_t chunk = std::size_t{1} << 24;
  std::vector<std::uint32_t> h32;
  std::vector<std::uint16_t> h16;
  for (std::size_t off = 0; off < count; off += chunk) {
    const std::size_t n = std::min(chunk, count - off);
    if (elem == 4) {
      h32.resize(n);
      for (auto& v : h32) {
        const std::uint32_t r = rng.next();
        if (kind == Fill::bits) {
          v = r;
        } else {
          const float f = static_cast<float>(r & 0xffffu) / 32768.0f - 1.0f;
          std::memcpy(&v, &f, 4);
        }
      }
      check(cudaMemcpy(static_cast<char*>(d) + off * 4, h32.data(), n * 4, cudaMemcpyHostToDevice),
            "upload");
    } else {
      h16.resize(n);
      for (auto& v : h16) {
        const std::uint32_t r = rng.next();
        // bf16 |x| in [2^-8, 2^-2); f16 |x| in [2^-2, 2).
        v = kind == Fill::bf16_small
                ? static_cast<std::uint16_t>((r & 0x8000u) | ((119u + r % 6u) << 7) |
                                             (r >> 20 & 0x7fu))
                : static_cast<std::uint16_t>((r & 0x8000u) | ((13u + r % 3u) << 10) |
                                             (r >> 16 & 0x3ffu));
      }
      check(cudaMemcpy(static_cast<char*>(d) + off * 2, h16.data(), n * 2, cudaMemcpyHostToDevice),
            "upload");
    }
  }
  return d;
}

template <typename F>
double time_ms(F&& f, int reps) {
  cudaEvent_t a, b;
  check(cudaEventCreate(&a), "event");
  check(cudaEventCreate(&b), "event");
  for (int i = 0; i < 3; ++i) f();
  check(cudaEventRecord(a), "record");
  for (int i = 0; i < reps; ++i) f();
  check(cudaEventRecord(b), "record");
  check(cudaEventSynchronize(b), "sync");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, a, b), "elapsed");
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}

struct Shape {
  const char* name;
  std::int64_t rows, cols;
  int per_layer;  // times per layer (0: once per model)
};

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t tokens = argc > 1 ? std::atoll(argv[1]) : 2048;
  const double bf16_rate = argc > 2 ? std::atof(argv[2]) : 789.0;  // TFLOP/s, measured
  Rng rng;
  kc::TensorGemm gemm;
  if (!gemm.available()) {
    std::printf("tensor GEMM unavailable: %s\n", gemm.unavailable_reason().c_str());
    return 1;
  }
  const int layers = 32;
  const Shape shapes[] = {
      {"q_proj/o_proj 4096x4096", 4096, 4096, 2}, {"k_proj/v_proj 1024x4096", 1024, 4096, 2},
      {"qkv fused 6144x4096", 6144, 4096, 0},     {"gate/up 14336x4096", 14336, 4096, 2},
      {"down 4096x14336", 4096, 14336, 1},        {"lm_head 128256x4096", 128256, 4096, -1}};
  float* x = static_cast<float*>(
      random_device(static_cast<std::size_t>(tokens) * 14336, Fill::f32_unit, rng));
  float* y = nullptr;
  check(cudaMalloc(reinterpret_cast<void**>(&y), static_cast<std::size_t>(tokens) * 128256 * 4),
        "cudaMalloc y");
  double model_ms[2] = {0.0, 0.0};
  double model_flop = 0.0;
  std::printf("linear M=%lld | weights | ms | TFLOP/s\n", static_cast<long long>(tokens));
  for (const Shape& sh : shapes) {
    const double flop = 2.0 * static_cast<double>(tokens) * sh.rows * sh.cols;
    const int times = sh.per_layer > 0 ? sh.per_layer * layers : sh.per_layer < 0 ? 1 : 0;
    model_flop += flop * times;
    for (int q = 0; q < 2; ++q) {
      kc::WeightView w;
      w.rows = sh.rows;
      w.cols = sh.cols;
      std::vector<void*> owned;
      if (q == 0) {
        w.type = kc::WType::bf16;
        w.data = random_device(static_cast<std::size_t>(sh.rows * sh.cols), Fill::bf16_small, rng);
        owned.push_back(const_cast<void*>(w.data));
      } else {
        w.type = kc::WType::bf16;
        w.bits = 4;
        w.group_size = 64;
        const std::size_t groups = static_cast<std::size_t>(sh.rows * sh.cols / 64);
        w.data = random_device(static_cast<std::size_t>(sh.rows * sh.cols / 8), Fill::bits, rng);
        w.scales = random_device(groups, Fill::bf16_small, rng);
        w.biases = random_device(groups, Fill::bf16_small, rng);
        owned = {const_cast<void*>(w.data), const_cast<void*>(w.scales),
                 const_cast<void*>(w.biases)};
      }
      const double ms = time_ms(
          [&] {
            if (!gemm.linear(w, x, tokens, y, nullptr)) {
              std::fprintf(stderr, "tensor GEMM refused %s\n", sh.name);
              std::exit(1);
            }
          },
          10);
      check(cudaGetLastError(), "linear");
      model_ms[q] += ms * times;
      std::printf("%s | %s | %.3f | %.1f\n", sh.name, q == 0 ? "bf16" : "affine 4-bit g64", ms,
                  flop / ms * 1e-9);
      for (void* p : owned) cudaFree(p);
    }
  }

  // Flash prefill over a paged cache (16-token blocks in a shuffled order).
  std::printf("attention | tokens | ms | TFLOP/s (causal)\n");
  double attn_ms_2048 = 0.0;
  for (int len : {2048, 8192}) {
    const int heads = 32, kv_heads = 8, hd = 128, bs = 16;
    const int n_blocks = len / bs;
    const std::size_t cache_elems = static_cast<std::size_t>(n_blocks) * bs * kv_heads * hd;
    void* kcache = random_device(cache_elems, Fill::f16_unit, rng);
    void* vcache = random_device(cache_elems, Fill::f16_unit, rng);
    float* q = static_cast<float*>(
        random_device(static_cast<std::size_t>(len) * heads * hd, Fill::f32_unit, rng));
    float* out = nullptr;
    check(
        cudaMalloc(reinterpret_cast<void**>(&out), static_cast<std::size_t>(len) * heads * hd * 4),
        "out");
    std::vector<std::int32_t> table(static_cast<std::size_t>(n_blocks));
    for (int i = 0; i < n_blocks; ++i) table[static_cast<std::size_t>(i)] = (i * 7919) % n_blocks;
    std::vector<std::int32_t> host(4 + static_cast<std::size_t>(len) + table.size(), 0);
    host[0] = 0;
    host[1] = len;
    host[2] = 0;
    host[3] = 0;
    std::copy(table.begin(), table.end(), host.begin() + 4 + len);
    std::int32_t* ints = nullptr;
    check(cudaMalloc(reinterpret_cast<void**>(&ints), host.size() * 4), "ints");
    check(cudaMemcpy(ints, host.data(), host.size() * 4, cudaMemcpyHostToDevice), "ints");
    kc::AttnArgs a;
    a.q = q;
    a.out = out;
    a.k_cache = kcache;
    a.v_cache = vcache;
    a.seqs = reinterpret_cast<const kc::AttnSeq*>(ints);
    a.row_seq = ints + 4;
    a.tables = ints + 4 + len;
    a.n_rows = len;
    a.n_seqs = 1;
    a.block_size = bs;
    a.n_heads = heads;
    a.n_kv_heads = kv_heads;
    a.head_dim = hd;
    a.scale = 1.0f / std::sqrt(128.0f);
    a.max_keys = len;
    const double flop = 4.0 * hd * heads * (static_cast<double>(len) * (len + 1) / 2);
    const std::size_t out_elems = static_cast<std::size_t>(len) * heads * hd;
    std::vector<float> first(out_elems), other(out_elems);
    const char* names[] = {"", "q in registers", "q in registers, 3 blocks/SM",
                           "q in shared, 3 blocks/SM"};
    for (int v : {3, 1, 2}) {
      const auto variant = static_cast<kc::FlashVariant>(v);
      const double ms = time_ms([&] { kc::flash_prefill(a, nullptr, variant); }, 5);
      check(cudaGetLastError(), "flash_prefill");
      check(cudaMemcpy((v == 3 ? first : other).data(), out, out_elems * 4, cudaMemcpyDeviceToHost),
            "download");
      float diff = 0.0f;
      for (std::size_t i = 0; v != 3 && i < out_elems; ++i)
        diff = std::max(diff, std::fabs(first[i] - other[i]));
      std::printf("flash prefill (%s) | %d | %.3f | %.1f | max |diff| to the first %.3g\n",
                  names[v], len, ms, flop / ms * 1e-9, diff);
      if (len == 2048 && (attn_ms_2048 == 0.0 || ms < attn_ms_2048)) attn_ms_2048 = ms;
    }
    if (len == 2048) {
      const double old_ms = time_ms([&] { kc::attention(a, nullptr); }, 1);
      check(cudaGetLastError(), "attention");
      std::printf("split-K kernel (before) | %d | %.3f | %.1f\n", len, old_ms,
                  flop / old_ms * 1e-9);
    }
    for (void* p :
         {kcache, vcache, static_cast<void*>(q), static_cast<void*>(out), static_cast<void*>(ints)})
      cudaFree(p);
  }

  // The 8B model's prefill from these parts (norms, RoPE, residual adds not counted).
  for (int q = 0; q < 2; ++q) {
    const double total = model_ms[q] + layers * attn_ms_2048 * (tokens == 2048 ? 1.0 : 0.0);
    std::printf(
        "8B prefill %lld tokens, %s: linears %.1f ms + attention %.1f ms = %.1f ms -> %.0f "
        "tok/s, %.0f TFLOP/s counting 2 x params x tokens = %.2f of %.0f\n",
        static_cast<long long>(tokens), q == 0 ? "bf16" : "affine 4-bit g64", model_ms[q],
        layers * attn_ms_2048, total, tokens / total * 1e3, model_flop / total * 1e-9,
        model_flop / total * 1e-9 / bf16_rate, bf16_rate);
  }
  cudaFree(x);
  cudaFree(y);
  return 0;
}
