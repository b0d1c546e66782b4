// Decode attention over at most one 256-key bucket (attention.cu includes this):
// a block takes G query heads of one row and holds all of the row's keys and values
// in shared memory, copied with cp.async (earlier steps' rows before the wait, so a
// thread never waits on them before it may load q). Scores take a thread per (head,
// key), the values a thread per (head, pair of dimensions, part of the keys): no
// split merge, no cluster barrier. (The split kernel spends ~4 us of a decode step's
// ~8 us of attention on the 8B shape merging splits through distributed shared
// memory, in-kernel timestamps at B=1.)
#pragma once

namespace rmlx::kernels_cuda {

namespace {

constexpr int kShortKeys = 256;  // the bucket a recorded decode step keeps
constexpr int kShortThreads = 256;

// Halves of a padded row: a 16-byte pad puts rows 8 apart on different banks, so a
// quarter warp's 16-byte loads from eight rows do not conflict.
template <int HD>
__host__ __device__ constexpr int short_row() {
  return HD + 8;
}

template <int HD, int G>
__host__ __device__ constexpr std::size_t short_smem() {
  return static_cast<std::size_t>(2 * kShortKeys * short_row<HD>()) * sizeof(__half) +
         static_cast<std::size_t>(G * HD + G * kShortKeys) * sizeof(float);
}

template <int HD, int G>
__global__ void __launch_bounds__(kShortThreads) attention_short_kernel(AttnArgs a) {
  constexpr int RS = short_row<HD>(), CH = HD / 8;  // 16-byte chunks a row
  // Parts of the keys a (head, dimension pair) sums: all threads busy in the values.
  constexpr int KP = kShortThreads / (G * HD / 2);
  static_assert(KP >= 1 && kShortThreads % (G * HD / 2) == 0, "threads cover G * HD / 2 pairs");
  extern __shared__ __align__(16) unsigned char smem[];
  __half* ks = reinterpret_cast<__half*>(smem);
  __half* vs = ks + kShortKeys * RS;
  float* qs = reinterpret_cast<float*>(vs + kShortKeys * RS);  // [G][HD], scaled
  float* ps = qs + G * HD;                                     // [G][kShortKeys]
  __shared__ float sums[G];
  __shared__ float2 parts[KP > 1 ? KP : 1][KP > 1 ? G * HD / 2 : 1];
  const int r = blockIdx.y, h0 = blockIdx.x * G;
  const int kvh = h0 / (a.n_heads / a.n_kv_heads);
  const int tid = static_cast<int>(threadIdx.x), lane = tid & 31, warp = tid >> 5;
  // As in attention_kernel: the tables and earlier steps' slots may be read before the
  // wait; q and this step's keys only after it.
  const AttnSeq sq = seq_of(a, r);
  const int pos = sq.start_pos + (r - sq.first_row);
  const int lo = a.sliding_window > 0 ? max(0, pos - a.sliding_window + 1) : 0;
  const int len = pos - lo + 1;
  if (len > kShortKeys) __trap();  // the launch checked max_keys: a broken invariant
  const auto* kc = static_cast<const __half*>(a.k_cache);
  const auto* vc = static_cast<const __half*>(a.v_cache);
  const auto copy_rows = [&](int t_begin, int t_end) {
    for (int i = tid; i < (t_end - t_begin) * CH; i += kShortThreads) {
      const int t = t_begin + i / CH, c = i % CH;
      const std::size_t o = slot_offset(a, sq, t, kvh) + static_cast<std::size_t>(c) * 8;
      cp16(ks + (t - lo) * RS + c * 8, kc + o);
      cp16(vs + (t - lo) * RS + c * 8, vc + o);
    }
  };
  copy_rows(lo, max(lo, min(pos + 1, sq.start_pos)));
  wait_prior_grid();
  copy_rows(max(lo, sq.start_pos), pos + 1);
  asm volatile("cp.async.commit_group;\n" ::: "memory");
  const float* q = a.q + (static_cast<std::size_t>(r) * a.n_heads + h0) * HD;
  for (int i = tid; i < G * HD; i += kShortThreads) qs[i] = q[i] * a.scale;
  asm volatile("cp.async.wait_all;\n" ::: "memory");
  __syncthreads();

  // Scores: consecutive threads take consecutive keys of a head.
  for (int i = tid; i < G * len; i += kShortThreads) {
    const int g = i / len, j = i - g * len;
    const __half* kr = ks + j * RS;
    const float* qg = qs + g * HD;
    float s = 0.0f;
#pragma unroll
    for (int c = 0; c < CH; ++c) {
      const uint4 w = *reinterpret_cast<const uint4*>(kr + c * 8);
      const auto* h2 = reinterpret_cast<const __half2*>(&w);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 f = __half22float2(h2[e]);
        s = fmaf(qg[c * 8 + 2 * e], f.x, s);
        s = fmaf(qg[c * 8 + 2 * e + 1], f.y, s);
      }
    }
    if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
    ps[g * kShortKeys + j] = s;
  }
  __syncthreads();
  // Softmax weights: warp g takes head g (G <= 8 warps).
  if (warp < G) {
    float* pg = ps + warp * kShortKeys;
    float m = -INFINITY;
    for (int j = lane; j < len; j += 32) m = fmaxf(m, pg[j]);
    m = warp_max(m);
    float l = 0.0f;
    for (int j = lane; j < len; j += 32) {
      const float p = __expf(pg[j] - m);
      pg[j] = p;
      l += p;
    }
    l = warp_sum(l);
    if (lane == 0) sums[warp] = l;
  }
  __syncthreads();
  // Values: thread (part kp, pair i) sums keys kp, kp + KP, ... of head i / (HD / 2).
  const int pair = tid % (G * HD / 2), kp = tid / (G * HD / 2);
  const int g = pair / (HD / 2), d2 = pair - g * (HD / 2);
  const float* pg = ps + g * kShortKeys;
  float2 o = make_float2(0.0f, 0.0f);
  for (int j = kp; j < len; j += KP) {
    const float2 f = __half22float2(*reinterpret_cast<const __half2*>(vs + j * RS + 2 * d2));
    o.x = fmaf(pg[j], f.x, o.x);
    o.y = fmaf(pg[j], f.y, o.y);
  }
  if constexpr (KP > 1) {
    parts[kp][pair] = o;
    __syncthreads();
    if (kp != 0) return;
#pragma unroll
    for (int k = 1; k < KP; ++k) o.x += parts[k][pair].x, o.y += parts[k][pair].y;
  }
  const float inv = 1.0f / sums[g];
  float* out = a.out + (static_cast<std::size_t>(r) * a.n_heads + h0 + g) * HD + 2 * d2;
  *reinterpret_cast<float2*>(out) = make_float2(o.x * inv, o.y * inv);
}

}  // namespace

}  // namespace rmlx::kernels_cuda
