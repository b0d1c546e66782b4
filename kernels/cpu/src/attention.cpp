#include "rmlx/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "attention_impl.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::attn {

namespace detail {

void decode_f16(const void*, const void* src, int n, int head_dim, float* dst) {
  const auto* h = static_cast<const std::uint16_t*>(src);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n) * head_dim; ++i)
    dst[i] = f16_to_f32(h[i]);
}
void encode_f16(const void*, const float* src, int n, int head_dim, void* dst) {
  auto* h = static_cast<std::uint16_t*>(dst);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n) * head_dim; ++i)
    h[i] = f32_to_f16(src[i]);
}
void decode_f32(const void*, const void* src, int n, int head_dim, float* dst) {
  std::copy_n(static_cast<const float*>(src), static_cast<std::int64_t>(n) * head_dim, dst);
}
void encode_f32(const void*, const float* src, int n, int head_dim, void* dst) {
  std::copy_n(src, static_cast<std::int64_t>(n) * head_dim, static_cast<float*>(dst));
}

}  // namespace detail

RowCodec RowCodec::f16(int head_dim) {
  return {static_cast<std::size_t>(head_dim) * 2, &detail::decode_f16, &detail::encode_f16,
          nullptr};
}
RowCodec RowCodec::f32(int head_dim) {
  return {static_cast<std::size_t>(head_dim) * 4, &detail::decode_f32, &detail::encode_f32,
          nullptr};
}

namespace {

std::int64_t blocks_needed(const KvLayer& kv, const Sequence& seq) {
  const std::int64_t total = static_cast<std::int64_t>(seq.start_pos) + seq.n_new;
  return (total + kv.block_size - 1) / kv.block_size;
}

void check(const KvLayer& kv, const Sequence& seq, const Params* p) {
  if (kv.block_size <= 0 || kv.n_kv_heads <= 0 || kv.head_dim <= 0) {
    throw std::invalid_argument(
        "attention: KV layer needs positive block_size, n_kv_heads and head_dim");
  }
  if (kv.k_codec.decode == nullptr || kv.v_codec.decode == nullptr) {
    throw std::invalid_argument("attention: KV layer has no row decoder");
  }
  for (const RowCodec* c : {&kv.k_codec, &kv.v_codec}) {
    const bool any = c->decode_rotated != nullptr || c->rotate != nullptr || c->unrotate != nullptr;
    const bool all = c->decode_rotated != nullptr && c->rotate != nullptr && c->unrotate != nullptr;
    if (any && !all) {
      throw std::invalid_argument(
          "attention: a rotated row codec needs decode_rotated, rotate and unrotate");
    }
  }
  if (seq.start_pos < 0 || seq.n_new < 0)
    throw std::invalid_argument("attention: negative position or row count");
  const std::int64_t need = blocks_needed(kv, seq);
  if (static_cast<std::int64_t>(seq.block_table.size()) < need) {
    throw std::invalid_argument("attention: block table has " +
                                std::to_string(seq.block_table.size()) + " blocks, " +
                                std::to_string(need) + " needed for " +
                                std::to_string(seq.start_pos + seq.n_new) + " tokens");
  }
  if (p != nullptr) {
    if (p->n_kv_heads != kv.n_kv_heads || p->head_dim != kv.head_dim || p->n_heads <= 0 ||
        p->n_heads % p->n_kv_heads != 0) {
      throw std::invalid_argument("attention: n_heads " + std::to_string(p->n_heads) +
                                  " must be a multiple of the cache's n_kv_heads " +
                                  std::to_string(kv.n_kv_heads) +
                                  " and head_dim must match the cache");
    }
  }
}

detail::TaskFn task_fn(Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::avx512:
      return &detail::run_task_avx512;
    case Isa::avx2:
      return &detail::run_task_avx2;
#endif
    default:
      return &detail::run_task_portable;
  }
}

}  // namespace

void write_kv(const KvLayer& kv, const Sequence& seq, const float* k, const float* v) {
  check(kv, seq, nullptr);
  if (kv.k_codec.encode == nullptr || kv.v_codec.encode == nullptr) {
    throw std::invalid_argument("attention: KV layer has no row encoder");
  }
  const int hd = kv.head_dim;
  for (std::int32_t i = 0; i < seq.n_new; ++i) {
    const std::int64_t pos = static_cast<std::int64_t>(seq.start_pos) + i;
    const auto block =
        static_cast<std::size_t>(seq.block_table[static_cast<std::size_t>(pos / kv.block_size)]);
    const auto tok = static_cast<std::size_t>(pos % kv.block_size);
    for (int h = 0; h < kv.n_kv_heads; ++h) {
      const std::size_t row =
          (block * static_cast<std::size_t>(kv.n_kv_heads) + static_cast<std::size_t>(h)) *
              static_cast<std::size_t>(kv.block_size) +
          tok;
      const float* ks = k + (static_cast<std::int64_t>(i) * kv.n_kv_heads + h) * hd;
      const float* vs = v + (static_cast<std::int64_t>(i) * kv.n_kv_heads + h) * hd;
      kv.k_codec.encode(kv.k_codec.ctx, ks, 1, hd,
                        static_cast<char*>(kv.k_blocks) + row * kv.k_codec.row_bytes);
      kv.v_codec.encode(kv.v_codec.ctx, vs, 1, hd,
                        static_cast<char*>(kv.v_blocks) + row * kv.v_codec.row_bytes);
    }
  }
}

void attention(const Exec& exec, const KvLayer& kv, const Sequence& seq, const Params& p,
               const float* q, float* out) {
  check(kv, seq, &p);
  if (seq.n_new == 0) return;
  const int hd = p.head_dim;
  // Keys stored in a rotated basis: score rotated queries against them as stored.
  std::vector<float> q_rotated;
  if (kv.k_codec.rotate != nullptr) {
    const std::size_t n = static_cast<std::size_t>(seq.n_new) * static_cast<std::size_t>(p.n_heads);
    q_rotated.assign(q, q + n * static_cast<std::size_t>(hd));
    kv.k_codec.rotate(kv.k_codec.ctx, q_rotated.data(), static_cast<int>(n), hd);
    q = q_rotated.data();
  }
  const int group = p.n_heads / p.n_kv_heads;
  const auto nblocks = static_cast<std::int32_t>(blocks_needed(kv, seq));
  const int threads = exec.pool != nullptr ? exec.pool->size() : 1;

  // Work split: query rows in chunks (prefill), and for few rows the key blocks too,
  // so that a single decode row still keeps every thread busy (merged below).
  const std::int32_t row_chunk = std::max<std::int32_t>(1, std::min<std::int32_t>(seq.n_new, 32));
  const std::int32_t n_row_chunks = (seq.n_new + row_chunk - 1) / row_chunk;
  const std::int64_t base_tasks = static_cast<std::int64_t>(p.n_kv_heads) * n_row_chunks;
  std::int32_t kv_splits = 1;
  if (base_tasks < 2 * threads) {
    kv_splits = static_cast<std::int32_t>(
        std::min<std::int64_t>(nblocks, (2 * threads + base_tasks - 1) / base_tasks));
    kv_splits = std::max(kv_splits, 1);
  }
  const std::int32_t blocks_per_split = (nblocks + kv_splits - 1) / kv_splits;

  const std::size_t states =
      static_cast<std::size_t>(seq.n_new) * static_cast<std::size_t>(p.n_heads);
  std::vector<float> m(states * static_cast<std::size_t>(kv_splits));
  std::vector<float> l(m.size());
  std::vector<float> acc(m.size() * static_cast<std::size_t>(hd));
  const std::size_t scratch_per_task = detail::scratch_floats(row_chunk, group, hd, kv.block_size);
  std::vector<float> scratch(scratch_per_task * static_cast<std::size_t>(threads));

  // State layout: [split][row][kv_head][group] so a task's rows x group block is
  // contiguous per row; a task writes rows [i0, i1) of its head.
  const detail::TaskFn fn = task_fn(exec.isa);
  const std::int64_t n_tasks = base_tasks * kv_splits;
  const auto run = [&](std::int64_t begin, std::int64_t end, int thread) {
    std::vector<float> tm, tl, tacc;
    for (std::int64_t id = begin; id < end; ++id) {
      const auto split = static_cast<std::int32_t>(id % kv_splits);
      const std::int64_t rest = id / kv_splits;
      const auto head = static_cast<int>(rest % p.n_kv_heads);
      const auto chunk = static_cast<std::int32_t>(rest / p.n_kv_heads);
      detail::Task t;
      t.head = head;
      t.i0 = chunk * row_chunk;
      t.i1 = std::min(seq.n_new, t.i0 + row_chunk);
      t.b0 = split * blocks_per_split;
      t.b1 = std::min(nblocks, t.b0 + blocks_per_split);
      const auto rows = static_cast<std::size_t>(t.i1 - t.i0);
      tm.resize(rows * static_cast<std::size_t>(group));
      tl.resize(tm.size());
      tacc.resize(tm.size() * static_cast<std::size_t>(hd));
      t.m = tm.data();
      t.l = tl.data();
      t.acc = tacc.data();
      t.scratch = scratch.data() + scratch_per_task * static_cast<std::size_t>(thread);
      fn(kv, seq, p, q, t);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t dst =
            (static_cast<std::size_t>(split) * static_cast<std::size_t>(seq.n_new) + t.i0 + r) *
                static_cast<std::size_t>(p.n_heads) +
            static_cast<std::size_t>(head * group);
        std::copy_n(tm.data() + r * group, group, m.data() + dst);
        std::copy_n(tl.data() + r * group, group, l.data() + dst);
        std::copy_n(tacc.data() + r * group * hd, group * hd, acc.data() + dst * hd);
      }
    }
  };
  if (exec.pool == nullptr || threads == 1 || n_tasks == 1) {
    run(0, n_tasks, 0);
  } else {
    exec.pool->parallel_for(n_tasks, 1, run);
  }

  // Merge the key-range partials with their log-sum-exp weights, then normalize.
  for (std::size_t st = 0; st < states; ++st) {
    float mmax = -std::numeric_limits<float>::infinity();
    for (std::int32_t s = 0; s < kv_splits; ++s) mmax = std::max(mmax, m[s * states + st]);
    float* o = out + st * static_cast<std::size_t>(hd);
    std::fill_n(o, hd, 0.0f);
    if (mmax == -std::numeric_limits<float>::infinity()) continue;  // no visible key
    float denom = 0.0f;
    for (std::int32_t s = 0; s < kv_splits; ++s) {
      const std::size_t idx = s * states + st;
      if (l[idx] == 0.0f) continue;
      const float w = std::exp(m[idx] - mmax);
      denom += w * l[idx];
      const float* a = acc.data() + idx * static_cast<std::size_t>(hd);
      for (int d = 0; d < hd; ++d) o[d] += w * a[d];
    }
    const float inv = 1.0f / denom;
    for (int d = 0; d < hd; ++d) o[d] *= inv;
  }
  // Values stored in a rotated basis: the weighted sum is too; rotate it back once.
  if (kv.v_codec.unrotate != nullptr) {
    kv.v_codec.unrotate(kv.v_codec.ctx, out, static_cast<int>(states), hd);
  }
}

void attention_reference(const KvLayer& kv, const Sequence& seq, const Params& p, const float* q,
                         float* out) {
  check(kv, seq, &p);
  const int hd = p.head_dim;
  const int group = p.n_heads / p.n_kv_heads;
  const std::int64_t total = static_cast<std::int64_t>(seq.start_pos) + seq.n_new;
  // Gather every cached row of every head in position order.
  std::vector<float> keys(static_cast<std::size_t>(total * kv.n_kv_heads * hd));
  std::vector<float> vals(keys.size());
  for (std::int64_t pos = 0; pos < total; ++pos) {
    const auto block =
        static_cast<std::size_t>(seq.block_table[static_cast<std::size_t>(pos / kv.block_size)]);
    const auto tok = static_cast<std::size_t>(pos % kv.block_size);
    for (int h = 0; h < kv.n_kv_heads; ++h) {
      const std::size_t row =
          (block * static_cast<std::size_t>(kv.n_kv_heads) + static_cast<std::size_t>(h)) *
              static_cast<std::size_t>(kv.block_size) +
          tok;
      const std::size_t dst = static_cast<std::size_t>((pos * kv.n_kv_heads + h) * hd);
      kv.k_codec.decode(kv.k_codec.ctx,
                        static_cast<const char*>(kv.k_blocks) + row * kv.k_codec.row_bytes, 1, hd,
                        keys.data() + dst);
      kv.v_codec.decode(kv.v_codec.ctx,
                        static_cast<const char*>(kv.v_blocks) + row * kv.v_codec.row_bytes, 1, hd,
                        vals.data() + dst);
    }
  }
  std::vector<double> scores(static_cast<std::size_t>(total));
  for (std::int32_t i = 0; i < seq.n_new; ++i) {
    const std::int64_t pos = static_cast<std::int64_t>(seq.start_pos) + i;
    const std::int64_t lo =
        p.sliding_window > 0 ? std::max<std::int64_t>(0, pos - p.sliding_window + 1) : 0;
    for (int h = 0; h < p.n_heads; ++h) {
      const int kvh = h / group;
      const float* qv = q + (static_cast<std::int64_t>(i) * p.n_heads + h) * hd;
      double mx = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = lo; j <= pos; ++j) {
        double s = 0.0;
        const float* kr = keys.data() + (j * kv.n_kv_heads + kvh) * hd;
        for (int d = 0; d < hd; ++d) s += static_cast<double>(qv[d]) * kr[d];
        s *= p.scale;
        if (p.softcap > 0.0f) s = p.softcap * std::tanh(s / p.softcap);
        scores[static_cast<std::size_t>(j)] = s;
        mx = std::max(mx, s);
      }
      double denom = 0.0;
      for (std::int64_t j = lo; j <= pos; ++j)
        denom += std::exp(scores[static_cast<std::size_t>(j)] - mx);
      float* o = out + (static_cast<std::int64_t>(i) * p.n_heads + h) * hd;
      for (int d = 0; d < hd; ++d) {
        double a = 0.0;
        for (std::int64_t j = lo; j <= pos; ++j) {
          a += std::exp(scores[static_cast<std::size_t>(j)] - mx) *
               vals[static_cast<std::size_t>((j * kv.n_kv_heads + kvh) * hd + d)];
        }
        o[d] = static_cast<float>(a / denom);
      }
    }
  }
}

}  // namespace rmlx::kernels::attn
