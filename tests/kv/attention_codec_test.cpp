// Attention over a paged cache stored in each codec, against the float reference
// computed from the unquantized keys and values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "codecs.h"
#include "rmlx/kernels/attention.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kv_test {
namespace {

namespace attn = rmlx::kernels::attn;

void codec_decode(const void* ctx, const void* src, int n, int head_dim, float* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->decode(src, n, head_dim, dst);
}
void codec_encode(const void* ctx, const float* src, int n, int head_dim, void* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->encode(src, n, head_dim, dst);
}

void codec_decode_rotated(const void* ctx, const void* src, int n, int head_dim, float* dst) {
  static_cast<const sdk::KvCodec*>(ctx)->decode_rotated(src, n, head_dim, dst);
}
void codec_rotate(const void* ctx, float* x, int n, int head_dim) {
  static_cast<const sdk::KvCodec*>(ctx)->rotate(x, n, head_dim);
}
void codec_unrotate(const void* ctx, float* x, int n, int head_dim) {
  static_cast<const sdk::KvCodec*>(ctx)->unrotate(x, n, head_dim);
}

// As the CPU backend binds a codec; `rotated`: let attention work in the codec's basis.
attn::RowCodec row_codec(const sdk::KvCodec& c, int head_dim, bool rotated = true) {
  attn::RowCodec rc{c.bytes_per_head_token(head_dim), &codec_decode, &codec_encode, &c};
  if (rotated && c.has_rotation()) {
    rc.decode_rotated = &codec_decode_rotated;
    rc.rotate = &codec_rotate;
    rc.unrotate = &codec_unrotate;
  }
  return rc;
}

struct Case {
  const char* k;
  const char* v;
  double bound;  // largest |out - ref| relative to the largest |ref|
};

// Errors measured at the time of writing (keys with 8x outlier channels): f16 9e-4,
// bf16 1.6e-2, fp8 0.11, int8 2.1e-2, int4 0.54 (the outliers stretch every group's
// range), turboquant 0.14, int8:int4 0.065, turboquant:int8 0.13. Bounds leave ~1.5x.
constexpr Case kCases[] = {{"f16", "f16", 2e-3},  {"bf16", "bf16", 0.03},
                           {"fp8", "fp8", 0.17},  {"int8", "int8", 0.035},
                           {"int4", "int4", 0.8}, {"turboquant", "turboquant", 0.22},
                           {"int8", "int4", 0.1}, {"turboquant", "int8", 0.22}};

TEST(KvCodecAttention, EachCodecNearTheFloatReference) {
  const int d = 64, kv_heads = 2, heads = 6, block = 16, cached = 150, fresh = 5;
  const int total = cached + fresh;
  const int n_blocks = (total + block - 1) / block;
  std::vector<std::int32_t> table(static_cast<std::size_t>(n_blocks));
  std::iota(table.rbegin(), table.rend(), 0);  // blocks out of order, as a pool hands them out
  const auto keys = head_rows(total * kv_heads, d, 23);
  const auto vals = head_rows(total * kv_heads, d, 29);
  // Queries without outlier channels, so scores spread about as in a trained model.
  auto q = head_rows(fresh * heads, d, 31);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = i % 16 == 3 ? q[i] / 8.0f : q[i];
  attn::Params p;
  p.n_heads = heads;
  p.n_kv_heads = kv_heads;
  p.head_dim = d;
  p.scale = 1.0f / std::sqrt(static_cast<float>(d));

  // Reference: float32 cache, double-precision softmax.
  std::vector<float> ref(static_cast<std::size_t>(fresh * heads * d));
  {
    std::vector<float> kb(static_cast<std::size_t>(n_blocks * kv_heads * block * d));
    std::vector<float> vb(kb.size());
    attn::KvLayer layer{
        kb.data(), vb.data(), block, kv_heads, d, attn::RowCodec::f32(d), attn::RowCodec::f32(d)};
    attn::write_kv(layer, {table, 0, total}, keys.data(), vals.data());
    attn::attention_reference(layer, {table, cached, fresh}, p, q.data(), ref.data());
  }
  const float ref_max = std::fabs(*std::max_element(
      ref.begin(), ref.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); }));

  std::map<std::string, double> errors;
  kernels::ThreadPool pool(2);
  kernels::Exec exec;
  exec.isa = kernels::select_isa();
  exec.pool = &pool;
  for (const auto& c : kCases) {
    auto kc = codec(c.k);
    auto vc = codec(c.v);
    const auto kr = row_codec(*kc, d), vr = row_codec(*vc, d);
    std::vector<std::uint8_t> kb(static_cast<std::size_t>(n_blocks * kv_heads * block) *
                                 kr.row_bytes);
    std::vector<std::uint8_t> vb(static_cast<std::size_t>(n_blocks * kv_heads * block) *
                                 vr.row_bytes);
    attn::KvLayer layer{kb.data(), vb.data(), block, kv_heads, d, kr, vr};
    // The prompt in one write, then the new rows as a later step writes them.
    attn::write_kv(layer, {table, 0, cached}, keys.data(), vals.data());
    const std::size_t off = static_cast<std::size_t>(cached * kv_heads * d);
    attn::write_kv(layer, {table, cached, fresh}, keys.data() + off, vals.data() + off);
    std::vector<float> out(ref.size());
    attn::attention(exec, layer, {table, cached, fresh}, p, q.data(), out.data());
    double worst = 0.0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::fabs(out[i] - ref[i])));
    }
    const double rel = worst / ref_max;
    RecordProperty(std::string(c.k) + ":" + c.v, std::to_string(rel));
    errors[std::string(c.k) + ":" + c.v] = rel;
    EXPECT_LT(rel, c.bound) << c.k << ":" << c.v;
    EXPECT_GT(rel, 0.0) << c.k << ":" << c.v << " is lossy, so not bit-equal";
  }
  // At the same bytes per row, the rotated codec attends more accurately.
  EXPECT_LT(errors["turboquant:turboquant"], 0.6 * errors["int4:int4"]);
}

// Working in the codec's rotated basis gives what decoding every row back gives.
TEST(KvCodecAttention, RotatedBasisMatchesDecodedRows) {
  const int d = 64, kv_heads = 2, heads = 4, block = 16, cached = 70, fresh = 3;
  const int total = cached + fresh, n_blocks = (total + block - 1) / block;
  std::vector<std::int32_t> table(static_cast<std::size_t>(n_blocks));
  std::iota(table.begin(), table.end(), 0);
  const auto keys = head_rows(total * kv_heads, d, 37);
  const auto vals = head_rows(total * kv_heads, d, 41);
  const auto q = head_rows(fresh * heads, d, 43);
  attn::Params p;
  p.n_heads = heads;
  p.n_kv_heads = kv_heads;
  p.head_dim = d;
  p.scale = 0.125f;
  auto tq = codec("turboquant");
  ASSERT_TRUE(tq->has_rotation());
  auto i8 = codec("int8");
  for (const auto& [kc, vc] : {std::pair{tq.get(), tq.get()}, std::pair{tq.get(), i8.get()},
                               std::pair{i8.get(), tq.get()}}) {
    std::vector<float> outs[2];
    for (int rotated = 0; rotated < 2; ++rotated) {
      const auto kr = row_codec(*kc, d, rotated == 1), vr = row_codec(*vc, d, rotated == 1);
      std::vector<std::uint8_t> kb(static_cast<std::size_t>(n_blocks * kv_heads * block) *
                                   kr.row_bytes);
      std::vector<std::uint8_t> vb(static_cast<std::size_t>(n_blocks * kv_heads * block) *
                                   vr.row_bytes);
      attn::KvLayer layer{kb.data(), vb.data(), block, kv_heads, d, kr, vr};
      attn::write_kv(layer, {table, 0, total}, keys.data(), vals.data());
      outs[rotated].resize(static_cast<std::size_t>(fresh * heads * d));
      attn::attention(kernels::Exec{}, layer, {table, cached, fresh}, p, q.data(),
                      outs[rotated].data());
    }
    for (std::size_t i = 0; i < outs[0].size(); ++i) {
      ASSERT_NEAR(outs[0][i], outs[1][i], 1e-4f) << kc->name() << ":" << vc->name() << " " << i;
    }
  }
}

}  // namespace
}  // namespace rmlx::kv_test
