// Every op of the CUDA backend against the CPU backend on the same inputs.
// Skips without a usable GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <rmlx/sdk/weight_format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

#include "cpu_ops.h"
#include "cuda_ops.h"
#include "cuda_test_util.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/ops.h"
#include "rmlx/kernels/qmatmul.h"

namespace {

namespace sdk = rmlx::sdk;
namespace k = rmlx::kernels;
using rmlx::backend_cpu::CpuOps;
using rmlx::backend_cuda::CudaOps;
using rmlx::cuda_test::attend_both;
using rmlx::cuda_test::attention_params;
using rmlx::cuda_test::device_kv_layer;
using rmlx::cuda_test::download;
using rmlx::cuda_test::have_gpu;
using rmlx::cuda_test::host_tensor;
using rmlx::cuda_test::HostKvLayer;
using rmlx::cuda_test::random_floats;

// A device f32 tensor holding `v` (via upload, valid for the ops' lifetime).
sdk::Tensor device_f32(CudaOps& ops, std::vector<float>& v, std::vector<std::int64_t> shape) {
  return ops.upload(host_tensor(v.data(), sdk::DType::f32, std::move(shape)));
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  float scale = 1e-6f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  float worst = 0.0f;
  std::size_t at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float e = std::fabs(got[i] - want[i]);
    if (!(e <= worst)) worst = e, at = i;
  }
  EXPECT_LE(worst, rel * scale) << what << ": worst at " << at << " got " << got[at] << " want "
                                << want[at] << " (max |want| " << scale << ")";
}

std::vector<std::uint16_t> to_16(const std::vector<float>& v, sdk::DType t) {
  std::vector<std::uint16_t> o(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    o[i] = t == sdk::DType::bf16 ? k::f32_to_bf16(v[i]) : k::f32_to_f16(v[i]);
  }
  return o;
}

// Without a GPU (or driver) the backend says why it cannot start.
TEST(CudaOps, ReportsWhyItCannotStartWithoutAGpu) {
  if (have_gpu()) GTEST_SKIP() << "a CUDA device is present";
  try {
    CudaOps ops(0);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cuda: no usable GPU: ", 0), 0u) << e.what();
  }
}

TEST(CudaOps, DenseLinearMatchesCpuForEveryTypeAndBatch) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  CpuOps cpu(1);
  const std::int64_t out = 72, in = 264;
  auto wf = random_floats(static_cast<std::size_t>(out * in), 1, 0.05f);
  auto bias = random_floats(static_cast<std::size_t>(out), 2);
  for (sdk::DType t : {sdk::DType::f32, sdk::DType::f16, sdk::DType::bf16}) {
    std::vector<std::uint16_t> w16;
    void* wp = wf.data();
    if (t != sdk::DType::f32) {
      w16 = to_16(wf, t);
      wp = w16.data();
    }
    const auto w_host = host_tensor(wp, t, {out, in});
    const auto b_host = host_tensor(bias.data(), sdk::DType::f32, {out});
    const auto w_dev = gpu.upload(w_host);
    const auto b_dev = gpu.upload(b_host);
    for (std::int64_t n : {1, 3, 8, 9, 70}) {
      auto x = random_floats(static_cast<std::size_t>(n * in), 3 + static_cast<unsigned>(n));
      std::vector<float> want(static_cast<std::size_t>(n * out)), got(want.size());
      auto y_cpu = host_tensor(want.data(), sdk::DType::f32, {n, out});
      cpu.dense_linear(w_host, &b_host, host_tensor(x.data(), sdk::DType::f32, {n, in}), y_cpu);
      gpu.begin_step();
      const auto x_dev = device_f32(gpu, x, {n, in});
      // Output in host memory: the backend copies it back.
      auto y_gpu = host_tensor(got.data(), sdk::DType::f32, {n, out});
      gpu.dense_linear(w_dev, &b_dev, x_dev, y_gpu);
      expect_close(got, want, 1e-5f, std::string(sdk::dtype_name(t)) + " n=" + std::to_string(n));
    }
  }
}

TEST(CudaOps, AffineLinearMatchesReferenceForEveryBitWidthAndGroup) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  // 1024 columns: 5 rows of 4-bit codes take the int8 batch kernel with its columns split
  // over two blocks (the last one adds the partial sums), under the sanitizers too.
  const std::int64_t out = 40, in = 1024;
  auto wf = random_floats(static_cast<std::size_t>(out * in), 7, 0.1f);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int gs : {32, 64, 128}) {
      const std::int64_t groups = out * (in / gs);
      std::vector<std::uint32_t> packed(static_cast<std::size_t>(out * in * bits / 32));
      std::vector<float> scales(static_cast<std::size_t>(groups)), biases(scales.size());
      k::affine::quantize(wf.data(), out, in, bits, gs, packed.data(), scales.data(),
                          biases.data());
      k::qmm::AffineWeight aw;
      aw.packed = packed.data();
      aw.scales = scales.data();
      aw.biases = biases.data();
      aw.scale_type = k::FloatType::f32;
      aw.rows = out;
      aw.cols = in;
      aw.bits = bits;
      aw.group_size = gs;
      // Scales and biases as bf16 too, the type mlx_lm stores.
      for (sdk::DType st : {sdk::DType::f32, sdk::DType::bf16}) {
        std::vector<std::uint16_t> s16, b16;
        k::qmm::AffineWeight ref = aw;
        void* sp = scales.data();
        void* bp = biases.data();
        if (st == sdk::DType::bf16) {
          s16 = to_16(scales, st);
          b16 = to_16(biases, st);
          sp = s16.data();
          bp = b16.data();
          ref.scales = sp;
          ref.biases = bp;
          ref.scale_type = k::FloatType::bf16;
        }
        auto lw = rmlx::backend_cuda::bind_affine(
            host_tensor(packed.data(), sdk::DType::u32, {out, in * bits / 32}),
            host_tensor(sp, st, {out, in / gs}), host_tensor(bp, st, {out, in / gs}), sdk::Tensor{},
            bits, gs, gpu);
        const std::string what = std::to_string(bits) + "-bit g" + std::to_string(gs) + " " +
                                 std::string(sdk::dtype_name(st));
        for (std::int64_t n : {1, 5, 33}) {
          auto x = random_floats(static_cast<std::size_t>(n * in), 11 + static_cast<unsigned>(n));
          std::vector<float> want(static_cast<std::size_t>(n * out)), got(want.size());
          k::qmm::matmul_reference(ref, x.data(), n, want.data());
          gpu.begin_step();
          auto x_dev = device_f32(gpu, x, {n, in});
          auto y = host_tensor(got.data(), sdk::DType::f32, {n, out});
          lw->apply(gpu, x_dev, y);
          // From kTensorMinRowsAffine(Simt) rows on the weight is dequantized to bf16 for
          // cuBLASLt (8 significant bits): 1.0-1.5e-3 of max |y| measured on an H100. Below,
          // 2/4/8-bit codes take the exact tensor-core kernel, other widths the SIMT GEMV.
          const bool mma = bits == 2 || bits == 4 || bits == 8;
          const bool tensor =
              n >= (mma && !(bits == 2 && gs == 32) ? rmlx::kernels_cuda::kTensorMinRowsAffine
                                                    : rmlx::kernels_cuda::kTensorMinRowsAffineSimt);
          expect_close(got, want, tensor ? 4e-3f : 2e-5f, what + " n=" + std::to_string(n));
        }
        // Row gather (a quantized embedding) equals the dequantized rows.
        std::vector<float> deq(static_cast<std::size_t>(out * in));
        std::vector<std::int32_t> all(static_cast<std::size_t>(out));
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int32_t>(i);
        k::ops::embedding(ref, all.data(), out, deq.data());
        const std::vector<std::int32_t> ids = {3, 0, 39, 3};
        std::vector<float> got(ids.size() * static_cast<std::size_t>(in)), want;
        for (auto id : ids) {
          want.insert(want.end(), deq.begin() + id * in, deq.begin() + (id + 1) * in);
        }
        gpu.begin_step();
        auto o = host_tensor(got.data(), sdk::DType::f32, {4, in});
        lw->gather_rows(gpu, ids, o);
        expect_close(got, want, 1e-6f, what + " gather");
      }
    }
  }
}

TEST(CudaOps, NormsRopeGluAddMatchCpu) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  CpuOps cpu(1);
  const std::int64_t n = 5, heads = 3, hd = 64, d = heads * hd;
  auto x = random_floats(static_cast<std::size_t>(n * d), 21);
  auto wn = random_floats(static_cast<std::size_t>(d), 22);
  auto w16 = to_16(wn, sdk::DType::bf16);
  const auto w_host = host_tensor(w16.data(), sdk::DType::bf16, {d});
  const auto w_dev = gpu.upload(w_host);
  gpu.begin_step();
  {
    std::vector<float> want(x.size());
    auto out = host_tensor(want.data(), sdk::DType::f32, {n, d});
    cpu.rms_norm(host_tensor(x.data(), sdk::DType::f32, {n, d}), w_host, 1e-5f, out);
    auto xd = device_f32(gpu, x, {n, d});
    gpu.rms_norm(xd, w_dev, 1e-5f, xd);
    expect_close(download(gpu, xd), want, 1e-5f, "rms_norm");
  }
  {
    auto wf = random_floats(static_cast<std::size_t>(d), 23), bf = random_floats(wf.size(), 24);
    std::vector<float> want(x.size());
    auto out = host_tensor(want.data(), sdk::DType::f32, {n, d});
    const auto wt = host_tensor(wf.data(), sdk::DType::f32, {d});
    const auto bt = host_tensor(bf.data(), sdk::DType::f32, {d});
    cpu.layer_norm(host_tensor(x.data(), sdk::DType::f32, {n, d}), wt, &bt, 1e-5f, out);
    auto xd = device_f32(gpu, x, {n, d});
    const auto bd = gpu.upload(bt);
    gpu.layer_norm(xd, gpu.upload(wt), &bd, 1e-5f, xd);
    expect_close(download(gpu, xd), want, 1e-5f, "layer_norm");
  }
  const std::vector<std::int32_t> pos = {0, 1, 7, 300, 4100};
  for (int variant = 0; variant < 3; ++variant) {
    sdk::RopeParams p;
    p.theta = 500000.0f;
    if (variant == 1) {
      p.kind = sdk::RopeKind::llama3;
      p.factor = 8.0f;
    }
    if (variant == 2) {
      p.interleaved = true;
      p.rotary_dim = 32;
    }
    std::vector<float> want = x;
    auto ct = host_tensor(want.data(), sdk::DType::f32, {n, heads, hd});
    cpu.rope(ct, pos, p);
    auto xd = device_f32(gpu, x, {n, heads, hd});
    gpu.rope(xd, pos, p);
    expect_close(download(gpu, xd), want, 2e-5f, "rope variant " + std::to_string(variant));
  }
  auto u = random_floats(x.size(), 25);
  for (bool gelu : {false, true}) {
    std::vector<float> want(x.size());
    auto out = host_tensor(want.data(), sdk::DType::f32, {n, d});
    cpu.glu(host_tensor(x.data(), sdk::DType::f32, {n, d}),
            host_tensor(u.data(), sdk::DType::f32, {n, d}), gelu, out);
    auto gd = device_f32(gpu, x, {n, d});
    auto ud = device_f32(gpu, u, {n, d});
    gpu.glu(gd, ud, gelu, gd);
    expect_close(download(gpu, gd), want, 1e-5f, gelu ? "gelu glu" : "silu glu");
  }
  {
    std::vector<float> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] + u[i];
    auto ad = device_f32(gpu, x, {n, d});
    auto bd = device_f32(gpu, u, {n, d});
    gpu.add(ad, bd, ad);
    expect_close(download(gpu, ad), want, 0.0f, "add");
  }
}

// Two sequences, a prefill step then two decode steps, grouped-query heads: four
// and eight query heads a KV head (one block takes them all), three (a block a
// head), a head size that leaves lanes idle (80) and the widest (256).
struct AttnShape {
  int heads, kv_heads, hd;
};

// Decode over one 256-key bucket takes the short-context kernel (head sizes 64 and
// 128) unless RMLX_CUDA_ATTN_SHORT=0; the attention tests run both.
class ShortAttention {
 public:
  explicit ShortAttention(bool on) { setenv("RMLX_CUDA_ATTN_SHORT", on ? "1" : "0", 1); }
  ~ShortAttention() { unsetenv("RMLX_CUDA_ATTN_SHORT"); }
  ShortAttention(const ShortAttention&) = delete;
  ShortAttention& operator=(const ShortAttention&) = delete;
};

TEST(CudaOps, PagedAttentionMatchesCpuOverPrefillAndDecode) {
  REQUIRE_GPU();
  for (const bool short_kernel : {true, false})
    for (const AttnShape shape :
         {AttnShape{8, 2, 128}, AttnShape{6, 2, 64}, AttnShape{16, 2, 80}, AttnShape{4, 2, 256}})
      for (int window : {0, 9}) {
        const ShortAttention mode(short_kernel);
        CudaOps gpu(0);
        CpuOps cpu(1);
        const int heads = shape.heads, kv_heads = shape.kv_heads, hd = shape.hd, bs = 16,
                  n_blocks = 12;
        const HostKvLayer host_kv(n_blocks, bs, kv_heads, hd);
        const sdk::KvLayerView& cv = host_kv.view;
        const sdk::KvLayerView gv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
        const sdk::AttentionParams p = attention_params(heads, kv_heads, hd, window);
        const std::vector<std::int32_t> table_a = {5, 2, 9, 0}, table_b = {1, 7, 3};
        int pos_a = 0, pos_b = 0;
        const std::vector<std::pair<int, int>> steps = {{37, 20}, {1, 1}, {1, 1}};
        unsigned seed = 100;
        for (auto [na, nb] : steps) {
          const std::int64_t n = na + nb;
          std::vector<sdk::AttentionSeq> seqs(2);
          seqs[0] = {0, na, pos_a, table_a};
          seqs[1] = {na, nb, pos_b, table_b};
          const auto [got, want] = attend_both(gpu, cpu, cv, gv, seqs, p, n, seed);
          expect_close(got, want, 1e-4f,
                       "attention " + std::to_string(heads) + "/" + std::to_string(kv_heads) +
                           " x " + std::to_string(hd) + " window " + std::to_string(window) +
                           " at " + std::to_string(pos_a) +
                           (short_kernel ? "" : " (split kernel)"));
          pos_a += na;
          pos_b += nb;
        }
      }
}

// One sequence decoding after 20, 300 and 600 keys: splits merged inside a cluster (8
// splits of a short range; 16, Hopper's non-portable cluster size) and through global
// memory with counters (24 splits).
TEST(CudaOps, DecodeAttentionMergesSplitsInClustersAndThroughMemory) {
  REQUIRE_GPU();
  const ShortAttention mode(false);
  const int heads = 8, kv_heads = 2, hd = 128, bs = 16, n_blocks = 40;
  CudaOps gpu(0);
  CpuOps cpu(1);
  const HostKvLayer host_kv(n_blocks, bs, kv_heads, hd);
  const sdk::KvLayerView gv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
  const sdk::AttentionParams p = attention_params(heads, kv_heads, hd, 0);
  std::vector<std::int32_t> table(n_blocks);
  for (int i = 0; i < n_blocks; ++i) table[i] = (7 * i + 3) % n_blocks;
  int pos = 0;
  unsigned seed = 300;
  for (int n : {20, 1, 279, 1, 299, 1}) {
    std::vector<sdk::AttentionSeq> seqs = {{0, n, pos, table}};
    const auto [got, want] = attend_both(gpu, cpu, host_kv.view, gv, seqs, p, n, seed);
    if (n == 1) {
      const int splits = rmlx::kernels_cuda::attention_splits(1, heads, kv_heads, hd, pos + 1);
      EXPECT_EQ(splits, pos < 256 ? 8 : pos < 512 ? 16 : 24);
      EXPECT_EQ(rmlx::kernels_cuda::attention_cluster_merge(splits), pos < 512);
    }
    // The 279- and 299-row steps take the f16 tensor-core prefill (cuda_prefill_test: 2e-3).
    expect_close(got, want, n > 200 ? 2e-3f : 1e-4f,
                 "attention of " + std::to_string(n) + " rows at " + std::to_string(pos));
    pos += n;
  }
}

// Many sequences decoding at once over short contexts: the short-context kernel takes
// two query heads a block (24 rows x 8 heads) and four (40 rows), windows included,
// and the last step crosses into the next key bucket (the split kernel).
TEST(CudaOps, ShortContextDecodeOfManySequencesMatchesCpu) {
  REQUIRE_GPU();
  const ShortAttention mode(true);
  const int heads = 8, kv_heads = 2, hd = 128, bs = 16, per_seq = 18;
  for (const int n_seqs : {24, 40})
    for (const int window : {0, 50}) {
      const int n_blocks = n_seqs * per_seq;
      CudaOps gpu(0);
      CpuOps cpu(1);
      const HostKvLayer host_kv(n_blocks, bs, kv_heads, hd);
      const sdk::KvLayerView gv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
      const sdk::AttentionParams p = attention_params(heads, kv_heads, hd, window);
      // Every sequence its own blocks, scattered.
      std::vector<std::int32_t> perm(n_blocks);
      for (int b = 0; b < n_blocks; ++b) perm[b] = b;
      std::shuffle(perm.begin(), perm.end(), std::mt19937(7));
      std::vector<std::vector<std::int32_t>> tables(n_seqs);
      for (int i = 0; i < n_seqs; ++i)
        tables[i].assign(perm.begin() + i * per_seq, perm.begin() + (i + 1) * per_seq);
      std::vector<int> pos(n_seqs, 0);
      unsigned seed = 500 + n_seqs;
      // A prefill of 3 + (11 i mod 200) rows a sequence, two decode steps; then every
      // sequence filled to 260 keys and one more decode step (past the bucket: the split
      // kernel).
      for (int step = 0; step < 5; ++step) {
        std::vector<sdk::AttentionSeq> seqs;
        std::int64_t n = 0;
        for (int i = 0; i < n_seqs; ++i) {
          const int rows = step == 0 ? 3 + (11 * i) % 200 : step == 3 ? 260 - pos[i] : 1;
          seqs.push_back({static_cast<std::int32_t>(n), rows, pos[i], tables[i]});
          n += rows;
        }
        const auto [got, want] = attend_both(gpu, cpu, host_kv.view, gv, seqs, p, n, seed);
        expect_close(got, want, step == 0 || step == 3 ? 2e-3f : 1e-4f,
                     std::to_string(n_seqs) + " sequences, window " + std::to_string(window) +
                         ", step " + std::to_string(step));
        for (int i = 0; i < n_seqs; ++i) pos[i] += seqs[i].n_rows;
      }
    }
}

TEST(CudaOps, RefusesOtherKvCodecsAndHostCaches) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  std::vector<std::uint8_t> host(4096);
  sdk::KvLayerView kv{host.data(), host.data(), 16, 1, 64, nullptr, nullptr};
  sdk::AttentionParams p;
  p.n_heads = 1;
  p.n_kv_heads = 1;
  p.head_dim = 64;
  auto t = gpu.scratch(sdk::DType::f32, {1, 1, 64});
  try {
    gpu.attention(t, t, t, kv, {}, p, t);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "cuda: the KV cache is not in device memory");
  }
}

}  // namespace

// Decode steps recorded once as a CUDA graph and replayed give the logits the
// op-by-op path gives, bit for bit, with new tokens, positions and block tables
// every step; the forward callback runs only for a first plain step and the recording.
TEST(CudaOps, DecodeStepGraphReplaysWithNewInputs) {
  REQUIRE_GPU();
  const int heads = 4, kv_heads = 2, hd = 64, bs = 16, n_blocks = 8, vocab = 96;
  const std::int64_t d = heads * hd;
  auto emb = random_floats(static_cast<std::size_t>(vocab * d), 5);
  auto head = random_floats(static_cast<std::size_t>(vocab * d), 6, 0.05f);
  std::vector<std::vector<float>> results;
  std::vector<int> forward_calls;
  for (const char* graphs : {"1", "0"}) {
    setenv("RMLX_CUDA_GRAPHS", graphs, 1);
    CudaOps gpu(0);
    unsetenv("RMLX_CUDA_GRAPHS");
    const auto emb_d = gpu.upload(host_tensor(emb.data(), sdk::DType::f32, {vocab, d}));
    const auto head_d = gpu.upload(host_tensor(head.data(), sdk::DType::f32, {vocab, d}));
    const sdk::KvLayerView kv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
    sdk::AttentionParams p;
    p.n_heads = heads;
    p.n_kv_heads = kv_heads;
    p.head_dim = hd;
    p.scale = 0.125f;
    sdk::RopeParams rope;
    rope.theta = 10000.0f;
    // Two sequences: 14 and 3 tokens already cached; each step adds one, so
    // sequence 0 crosses into a new block and its table grows.
    std::vector<std::vector<std::int32_t>> tables = {{3}, {1}};
    std::vector<int> pos = {14, 3};
    std::vector<float> all;
    int calls = 0;
    for (int step = 0; step < 6; ++step) {
      for (int s = 0; s < 2; ++s) {
        if (pos[s] / bs >= static_cast<int>(tables[s].size())) tables[s].push_back(4 + s);
      }
      const std::vector<std::int32_t> tokens = {(7 * step + 3) % vocab, (11 * step + 5) % vocab};
      const std::vector<std::int32_t> positions = {pos[0], pos[1]};
      const std::vector<std::int32_t> rows = {0, 1};
      std::vector<sdk::AttentionSeq> seqs = {{0, 1, pos[0], tables[0]}, {1, 1, pos[1], tables[1]}};
      const std::vector<sdk::KvLayerView> kvs = {kv};
      sdk::ForwardBatch b;
      b.tokens = tokens;
      b.positions = positions;
      b.seqs = seqs;
      b.logit_rows = rows;
      b.kv = kvs;
      std::vector<float> logits(2 * vocab);
      auto out = host_tensor(logits.data(), sdk::DType::f32, {2, vocab});
      gpu.begin_step();
      gpu.run_forward(b, out, [&] {
        ++calls;
        auto x = gpu.scratch(sdk::DType::f32, {2, heads, hd});
        gpu.gather_rows(emb_d, b.tokens, x);
        auto kx = gpu.scratch(sdk::DType::f32, {2, kv_heads, hd});
        gpu.rope(x, b.positions, rope);
        sdk::Tensor kview = x;  // the first kv_heads heads of x as keys and values
        kview.shape = {2, kv_heads, hd};
        gpu.add(kview, kview, kx);
        auto att = gpu.scratch(sdk::DType::f32, {2, heads, hd});
        gpu.attention(x, kx, kx, kv, b.seqs, p, att);
        auto last = gpu.scratch(sdk::DType::f32, {2, d});
        att.shape = {2, d};
        gpu.gather_rows(att, b.logit_rows, last);
        gpu.dense_linear(head_d, nullptr, last, out);
      });
      all.insert(all.end(), logits.begin(), logits.end());
      ++pos[0];
      ++pos[1];
    }
    results.push_back(all);
    forward_calls.push_back(calls);
  }
  EXPECT_EQ(forward_calls[0], 2) << "graph path: forward runs plainly, is recorded, then replays";
  EXPECT_EQ(forward_calls[1], 6);
  ASSERT_EQ(results[0].size(), results[1].size());
  EXPECT_EQ(results[0], results[1]);
}
