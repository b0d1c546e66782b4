// The prep of the batch linear (affine_batch.cu): each activation row once into the
// form the kernel reads (three base-256 digits per 32-column chunk for the exact form,
// f16 rows scaled by a power of two for the f16 form), shared by every weight that
// reads the same rows.
#include "affine_batch_act.cuh"
#include "common.cuh"

namespace rmlx::kernels_cuda {

namespace {

using namespace affine_batch_detail;

constexpr int kPrepThreads = 1024;  // f16 prep: one block per activation row
constexpr int kPrepPer = 16;        // row values a prep thread holds (16,384 columns)

struct PrepArgs {
  const float* x;
  void* acts;
  void* scales;
  int n, cols, per_pass, tokens, passes;
};

// Exact form: one warp per (pass, token slot, chunk); slots past the real rows get zeros.
__global__ void __launch_bounds__(256) batch_prep_exact(PrepArgs p) {
  const int lane = threadIdx.x & 31;
  const int chunks = p.cols / 32;
  const long long item = static_cast<long long>(blockIdx.x) * 8 + (threadIdx.x >> 5);
  if (item >= static_cast<long long>(p.passes) * p.tokens * chunks) return;
  const int chunk = static_cast<int>(item % chunks);
  const int slot = static_cast<int>((item / chunks) % p.tokens);
  const int pass = static_cast<int>(item / (static_cast<long long>(chunks) * p.tokens));
  const int tok = pass * p.per_pass + slot;
  const bool real = slot < p.per_pass && tok < p.n;
  wait_prior_grid();
  const float x = real ? p.x[static_cast<std::size_t>(tok) * p.cols + chunk * 32 + lane] : 0.0f;
  const float m = warp_max(fabsf(x));
  const float inv = m > 0.0f ? 4194304.0f / m : 0.0f;
  const int v = __float2int_rn(x * inv);
  // Signed base-256 digits: v = q2 * 65536 + q1 * 256 + q0, |q0|, |q1| <= 128, |q2| <= 64.
  const int q0 = static_cast<signed char>(v & 0xff);
  const int v1 = (v - q0) >> 8;
  const int q1 = static_cast<signed char>(v1 & 0xff);
  const int q2 = (v1 - q1) >> 8;
  // Where lane (column 8t + 2i + h of the chunk) goes in the token's 32 digit bytes: the
  // B fragment of thread t reads bytes 8t..8t+3 (k = 4t..4t+3: the low nibbles of code
  // word t, columns 8t, 8t+2, 8t+4, 8t+6) and 8t+4..8t+7 (k = 16+4t..: the high nibbles).
  const int off = 8 * (lane >> 3) + 4 * (lane & 1) + ((lane & 7) >> 1);
  const std::size_t c = static_cast<std::size_t>(pass) * chunks + chunk;
  const std::size_t limb = static_cast<std::size_t>(p.tokens) * 32;
  std::uint8_t* d = static_cast<std::uint8_t*>(p.acts) + (c * kLimbs * p.tokens + slot) * 32 + off;
  d[0] = static_cast<std::uint8_t>(q0);
  d[limb] = static_cast<std::uint8_t>(q1);
  d[2 * limb] = static_cast<std::uint8_t>(q2);
  const float sum = warp_sum(x);
  if (lane == 0) {
    static_cast<float2*>(p.scales)[c * p.tokens + slot] =
        make_float2(m > 0.0f ? m / 4194304.0f : 0.0f, sum);
  }
}

// F16 form: one block per (pass, token slot); slots past the real rows get zeros. The
// row is scaled by a power of two that puts its largest |x| in [2^14, 2^15): every
// value within 2^-28 of it stays a normal f16 and nothing overflows. A thread issues
// all its loads before using any (one memory round trip per 16,384 columns).
__global__ void __launch_bounds__(kPrepThreads) batch_prep_f16(PrepArgs p) {
  __shared__ float red[kPrepThreads / 32];
  const int slot = blockIdx.x % p.tokens, pass = blockIdx.x / p.tokens;
  const int tok = pass * p.per_pass + slot;
  const bool real = slot < p.per_pass && tok < p.n;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  constexpr int span = kPrepThreads * kPrepPer;
  wait_prior_grid();
  const float* row = p.x + static_cast<std::size_t>(real ? tok : 0) * p.cols;
  float v[kPrepPer];
  const auto load = [&](int base) {
#pragma unroll
    for (int u = 0; u < kPrepPer; ++u) {
      const int i = base + u * kPrepThreads + threadIdx.x;
      v[u] = real && i < p.cols ? row[i] : 0.0f;
    }
  };
  float m = 0.0f;
  for (int base = 0; base < p.cols; base += span) {
    load(base);
#pragma unroll
    for (int u = 0; u < kPrepPer; ++u) m = fmaxf(m, fabsf(v[u]));
  }
  m = warp_max(m);
  if (lane == 0) red[warp] = m;
  __syncthreads();
  m = 0.0f;
#pragma unroll
  for (int w = 0; w < kPrepThreads / 32; ++w) m = fmaxf(m, red[w]);
  int e = 0;
  frexpf(m, &e);     // m = f * 2^e, f in [0.5, 1)
  e = max(e, -100);  // keeps 2^(15 - e) a finite float
  const float up = m > 0.0f ? ldexpf(1.0f, 15 - e) : 0.0f;
  auto* out = static_cast<__half*>(p.acts);
  const std::size_t chunks = static_cast<std::size_t>(p.cols / 32);
  for (int base = 0; base < p.cols; base += span) {
    if (p.cols > span) load(base);
#pragma unroll
    for (int u = 0; u < kPrepPer; ++u) {
      const int i = base + u * kPrepThreads + threadIdx.x;
      if (i >= p.cols) break;
      // Column 8t + j of a chunk goes where thread t of the B fragment reads it: halves
      // 8t..8t+7 hold the pairs (8t, 8t+4), (8t+1, 8t+5), (8t+2, 8t+6), (8t+3, 8t+7),
      // the order the kernel unpacks code word t in.
      const int c = i & 31;
      const int off = 8 * (c >> 3) + 2 * (c & 3) + ((c & 7) >> 2);
      out[((pass * chunks + i / 32) * p.tokens + slot) * 32 + off] = __float2half_rn(v[u] * up);
    }
  }
  if (threadIdx.x == 0) {
    static_cast<float*>(p.scales)[blockIdx.x] = m > 0.0f ? ldexpf(1.0f, e - 15) : 0.0f;
  }
}

}  // namespace

std::size_t affine_batch_act_bytes(std::int64_t n, std::int64_t cols) {
  int passes = 0, per_pass = 0, tokens = 0;
  pass_shape(n, passes, per_pass, tokens);
  return act_layout(passes, tokens, cols, use_f16(n)).total;
}

void affine_batch_prep(const float* x, std::int64_t n, std::int64_t cols, void* act,
                       cudaStream_t s) {
  int passes = 0, per_pass = 0, tokens = 0;
  pass_shape(n, passes, per_pass, tokens);
  const bool f16 = use_f16(n);
  const ActLayout al = act_layout(passes, tokens, cols, f16);
  auto* base = static_cast<unsigned char*>(act);
  PrepArgs pa{x,
              base + al.digits,
              base + al.scales,
              static_cast<int>(n),
              static_cast<int>(cols),
              per_pass,
              tokens,
              passes};
  if (f16) {
    launch_pdl("affine batch prep", batch_prep_f16, dim3(static_cast<unsigned>(passes * tokens)),
               dim3(kPrepThreads), 0, s, pa);
  } else {
    const long long warps = static_cast<long long>(passes) * tokens * (cols / 32);
    launch_pdl("affine batch prep", batch_prep_exact, dim3(static_cast<unsigned>((warps + 7) / 8)),
               dim3(256), 0, s, pa);
  }
  check_launch("affine batch prep");
}

}  // namespace rmlx::kernels_cuda
