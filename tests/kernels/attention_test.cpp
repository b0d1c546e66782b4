// Paged causal GQA attention against the full-softmax reference: prefill, chunked
// prefill and decode, sliding window, softcap, float16/float32/custom row encodings,
// block tables out of order, on every instruction-set path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "ref_file.h"
#include "rmlx/kernels/attention.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/thread_pool.h"
#include "test_util.h"

namespace rmlx::kernels {
namespace {

// A row encoding the kernels do not know: bfloat16 through the callbacks.
void decode_bf16(const void*, const void* src, int n, int hd, float* dst) {
  const auto* h = static_cast<const std::uint16_t*>(src);
  for (int i = 0; i < n * hd; ++i) dst[i] = bf16_to_f32(h[i]);
}
void encode_bf16(const void*, const float* src, int n, int hd, void* dst) {
  auto* h = static_cast<std::uint16_t*>(dst);
  for (int i = 0; i < n * hd; ++i) h[i] = f32_to_bf16(src[i]);
}

struct Case {
  int n_heads, n_kv_heads, head_dim, block_size;
  std::int32_t start_pos, n_new;
  int window;
  float softcap;
  int codec;  // 0 f16, 1 f32, 2 custom bf16
};

std::string describe(const Case& c) {
  return "heads=" + std::to_string(c.n_heads) + "/" + std::to_string(c.n_kv_heads) +
         " hd=" + std::to_string(c.head_dim) + " bs=" + std::to_string(c.block_size) +
         " start=" + std::to_string(c.start_pos) + " new=" + std::to_string(c.n_new) +
         " window=" + std::to_string(c.window) + " softcap=" + std::to_string(c.softcap) +
         " codec=" + std::to_string(c.codec);
}

void run_case(const Case& c, ThreadPool& pool) {
  const std::int32_t total = c.start_pos + c.n_new;
  const int nblocks = (total + c.block_size - 1) / c.block_size;
  const int phys_blocks = nblocks + 3;
  attn::RowCodec codec = c.codec == 0   ? attn::RowCodec::f16(c.head_dim)
                         : c.codec == 1 ? attn::RowCodec::f32(c.head_dim)
                                        : attn::RowCodec{static_cast<std::size_t>(c.head_dim) * 2,
                                                         &decode_bf16, &encode_bf16, nullptr};
  const std::size_t bytes =
      static_cast<std::size_t>(phys_blocks) * c.n_kv_heads * c.block_size * codec.row_bytes;
  std::vector<std::uint8_t> kmem(bytes, 0xff),
      vmem(bytes, 0xff);  // NaN-ish filler must stay unread
  attn::KvLayer kv{kmem.data(), vmem.data(), c.block_size, c.n_kv_heads, c.head_dim, codec, codec};
  // Physical blocks in a shuffled order.
  std::vector<std::int32_t> table(static_cast<std::size_t>(phys_blocks));
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), std::mt19937(5));
  table.resize(static_cast<std::size_t>(nblocks));
  const std::size_t row = static_cast<std::size_t>(c.n_kv_heads * c.head_dim);
  const auto k = test::random_floats(static_cast<std::size_t>(total) * row, 61, -2.0f, 2.0f);
  const auto v = test::random_floats(static_cast<std::size_t>(total) * row, 62);
  // History first, then this step's rows, as an engine writes them.
  if (c.start_pos > 0) attn::write_kv(kv, {table, 0, c.start_pos}, k.data(), v.data());
  const attn::Sequence seq{table, c.start_pos, c.n_new};
  attn::write_kv(kv, seq, k.data() + c.start_pos * row, v.data() + c.start_pos * row);

  const attn::Params p{c.n_heads,  c.n_kv_heads,
                       c.head_dim, 1.0f / std::sqrt(static_cast<float>(c.head_dim)),
                       c.window,   c.softcap};
  const auto q = test::random_floats(static_cast<std::size_t>(c.n_new * c.n_heads * c.head_dim), 63,
                                     -2.0f, 2.0f);
  std::vector<float> want(q.size()), got(q.size());
  attn::attention_reference(kv, seq, p, q.data(), want.data());
  for (Isa isa : supported_isas()) {
    for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
      std::fill(got.begin(), got.end(), std::nanf(""));
      attn::attention({isa, tp}, kv, seq, p, q.data(), got.data());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 2e-6f + 2e-5f * std::abs(want[i]))
            << describe(c) << " isa=" << isa_name(isa) << (tp ? " pool" : "") << " at " << i;
      }
    }
  }
}

TEST(Attention, MatchesReference) {
  ThreadPool pool(2);
  const Case cases[] = {
      {8, 2, 64, 16, 0, 37, 0, 0.0f, 0},     // prefill, GQA 4
      {8, 2, 64, 16, 100, 1, 0, 0.0f, 0},    // decode: key range split across threads
      {6, 6, 80, 5, 50, 7, 0, 0.0f, 1},      // chunked prefill, MHA, odd block size
      {4, 1, 32, 16, 300, 3, 20, 0.0f, 0},   // MQA, sliding window
      {9, 3, 64, 8, 17, 40, 0, 30.0f, 2},    // softcap, custom encoding
      {8, 2, 128, 32, 2000, 1, 0, 0.0f, 0},  // long decode
      {2, 1, 16, 4, 0, 1, 0, 0.0f, 0},       // first token
  };
  for (const Case& c : cases) run_case(c, pool);
}

TEST(Attention, MatchesMlxScaledDotProductAttention) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  ThreadPool pool(2);
  for (const char* name : {"prefill", "decode", "chunk"}) {
    test::RefFile f(std::string("sdpa_") + name + ".bin", 5);
    const int heads = static_cast<int>(f.header(0)), kvh = static_cast<int>(f.header(1)),
              hd = static_cast<int>(f.header(2));
    const auto total = static_cast<std::int32_t>(f.header(3)),
               n_new = static_cast<std::int32_t>(f.header(4));
    const auto q = f.next<float>(static_cast<std::size_t>(n_new * heads * hd));
    const auto k = f.next<float>(static_cast<std::size_t>(total * kvh * hd));
    const auto v = f.next<float>(k.size());
    const auto want = f.next<float>(q.size());
    const int bs = 16;
    const int nb = (total + bs - 1) / bs;
    std::vector<float> kmem(static_cast<std::size_t>(nb * kvh * bs * hd)), vmem(kmem.size());
    const attn::KvLayer kv{
        kmem.data(), vmem.data(), bs, kvh, hd, attn::RowCodec::f32(hd), attn::RowCodec::f32(hd)};
    std::vector<std::int32_t> table(static_cast<std::size_t>(nb));
    std::iota(table.begin(), table.end(), 0);
    attn::write_kv(kv, {table, 0, total}, k.data(), v.data());
    const attn::Params p{heads, kvh, hd, 1.0f / std::sqrt(static_cast<float>(hd)), 0, 0.0f};
    for (Isa isa : supported_isas()) {
      std::vector<float> got(q.size());
      attn::attention({isa, &pool}, kv, {table, total - n_new, n_new}, p, q.data(), got.data());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 2e-6f + 1e-5f * std::abs(want[i]))
            << name << " " << isa_name(isa) << " at " << i;
      }
    }
  }
}

TEST(Attention, RejectsShortBlockTable) {
  std::vector<std::uint8_t> mem(4096);
  attn::KvLayer kv{
      mem.data(), mem.data(), 16, 2, 64, attn::RowCodec::f16(64), attn::RowCodec::f16(64)};
  const std::vector<std::int32_t> table = {0};
  const attn::Params p{4, 2, 64, 0.125f, 0, 0.0f};
  std::vector<float> q(4 * 64), out(q.size());
  try {
    attn::attention({Isa::portable, nullptr}, kv, {table, 16, 1}, p, q.data(), out.data());
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "attention: block table has 1 blocks, 2 needed for 17 tokens");
  }
}

}  // namespace
}  // namespace rmlx::kernels
