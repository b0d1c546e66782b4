// Token choice on the device: the argmax kernel against a host argmax (odd vocab
// sizes, ties, NaN, all -inf), and the backend's greedy step (eager and replayed
// from a CUDA graph) against run_forward + the host argmax of its logits.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cuda_test_util.h"
#include "rmlx/kernels_cuda/sampling.h"
#include "rmlx/sdk/architecture.h"

namespace rmlx {
namespace {

using backend_cuda::CudaOps;
using cuda_test::host_tensor;
using cuda_test::random_floats;

std::int32_t host_argmax(const float* row, std::int64_t vocab) {
  std::int32_t best = 0;
  for (std::int64_t i = 1; i < vocab; ++i) {
    if (row[i] > row[best]) best = static_cast<std::int32_t>(i);
  }
  return best;
}

// The single-block kernel, and the multi-block one run twice over the same
// tickets (each launch must leave them zero); all three must agree.
std::vector<std::int32_t> device_argmax(const std::vector<float>& logits, std::int64_t rows,
                                        std::int64_t vocab) {
  void *l = nullptr, *i = nullptr, *part = nullptr, *tick = nullptr;
  const std::size_t n_part =
      8 * static_cast<std::size_t>(rows * kernels_cuda::argmax_blocks(vocab));
  EXPECT_EQ(cudaMalloc(&l, logits.size() * 4), cudaSuccess);
  EXPECT_EQ(cudaMalloc(&i, static_cast<std::size_t>(rows) * 4), cudaSuccess);
  EXPECT_EQ(cudaMalloc(&part, n_part), cudaSuccess);
  EXPECT_EQ(cudaMalloc(&tick, static_cast<std::size_t>(rows) * 4), cudaSuccess);
  EXPECT_EQ(cudaMemset(tick, 0, static_cast<std::size_t>(rows) * 4), cudaSuccess);
  auto* d_logits = static_cast<float*>(l);
  auto* d_ids = static_cast<std::int32_t*>(i);
  EXPECT_EQ(cudaMemcpy(d_logits, logits.data(), logits.size() * 4, cudaMemcpyHostToDevice),
            cudaSuccess);
  std::vector<std::vector<std::int32_t>> runs;
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(cudaMemset(d_ids, 0x7f, static_cast<std::size_t>(rows) * 4), cudaSuccess);
    if (run == 0) {
      kernels_cuda::greedy_argmax(d_logits, rows, vocab, d_ids, nullptr);
    } else {
      EXPECT_EQ(cudaMemset(part, 0x55, n_part), cudaSuccess);
      kernels_cuda::greedy_argmax(d_logits, rows, vocab, d_ids, nullptr, part,
                                  static_cast<unsigned*>(tick));
    }
    std::vector<std::int32_t> ids(static_cast<std::size_t>(rows));
    EXPECT_EQ(cudaMemcpy(ids.data(), d_ids, ids.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    runs.push_back(ids);
  }
  std::vector<unsigned> tickets(static_cast<std::size_t>(rows), 1);
  EXPECT_EQ(cudaMemcpy(tickets.data(), tick, tickets.size() * 4, cudaMemcpyDeviceToHost),
            cudaSuccess);
  EXPECT_EQ(tickets, std::vector<unsigned>(tickets.size(), 0)) << "vocab " << vocab;
  EXPECT_EQ(runs[1], runs[0]) << "multi-block against single-block, vocab " << vocab;
  EXPECT_EQ(runs[2], runs[0]) << "second multi-block launch, vocab " << vocab;
  cudaFree(l);
  cudaFree(i);
  cudaFree(part);
  cudaFree(tick);
  return runs[0];
}

TEST(CudaSampling, GreedyArgmaxMatchesHostForOddSizesAndTies) {
  REQUIRE_GPU();
  unsigned seed = 1;
  for (std::int64_t vocab : {1, 2, 7, 1001, 4096, 128257, 151936}) {
    const std::int64_t rows = 5;
    auto logits = random_floats(static_cast<std::size_t>(rows * vocab), seed++, 4.0f);
    // Row 1: the maximum three times, in different threads' slices (ties go to
    // the lowest id). Row 2: the maximum at the last id.
    if (vocab >= 7) {
      float* r1 = logits.data() + vocab;
      const float m = *std::max_element(r1, r1 + vocab) + 1.0f;
      r1[vocab / 3] = m;
      r1[vocab - 2] = m;
      r1[5] = m;
      float* r2 = logits.data() + 2 * vocab;
      r2[vocab - 1] = *std::max_element(r2, r2 + vocab) + 0.5f;
    }
    // Row 3: every logit equal: id 0.
    std::fill(logits.begin() + 3 * vocab, logits.begin() + 4 * vocab, -2.5f);
    const auto ids = device_argmax(logits, rows, vocab);
    for (std::int64_t r = 0; r < rows; ++r) {
      EXPECT_EQ(ids[static_cast<std::size_t>(r)], host_argmax(logits.data() + r * vocab, vocab))
          << "vocab " << vocab << " row " << r;
    }
    if (vocab >= 7) {
      EXPECT_EQ(ids[1], std::min<std::int64_t>(vocab / 3, 5));
    }
    EXPECT_EQ(ids[3], 0);
  }
}

TEST(CudaSampling, GreedyArgmaxFlagsNaNAndRowsWithNoToken) {
  REQUIRE_GPU();
  const std::int64_t vocab = 50001, rows = 3;
  auto logits = random_floats(static_cast<std::size_t>(rows * vocab), 9);
  logits[static_cast<std::size_t>(vocab + 49999)] = std::numeric_limits<float>::quiet_NaN();
  std::fill(logits.begin() + 2 * vocab, logits.end(), -std::numeric_limits<float>::infinity());
  const auto ids = device_argmax(logits, rows, vocab);
  EXPECT_EQ(ids[0], host_argmax(logits.data(), vocab));
  EXPECT_EQ(ids[1], kernels_cuda::kArgmaxNaN);
  EXPECT_EQ(ids[2], kernels_cuda::kArgmaxNoToken);
}

// A toy decode step (embedding, rope, attention over the paged cache, head) run
// through run_forward_greedy, with graphs and without, against run_forward's
// logits and the host argmax; the sampler is what the engine reaches through native().
TEST(CudaSampling, GreedyStepMatchesHostArgmaxEagerAndInGraph) {
  REQUIRE_GPU();
  const int heads = 4, kv_heads = 2, hd = 64, bs = 16, n_blocks = 8, vocab = 1003;
  const std::int64_t d = heads * hd;
  auto emb = random_floats(static_cast<std::size_t>(vocab * d), 5);
  auto head = random_floats(static_cast<std::size_t>(vocab * d), 6, 0.05f);
  for (const char* graphs : {"1", "0"}) {
    setenv("RMLX_CUDA_GRAPHS", graphs, 1);
    CudaOps gpu(0);
    unsetenv("RMLX_CUDA_GRAPHS");
    auto* sampler = static_cast<sdk::DeviceSampler*>(gpu.native(sdk::kDeviceSamplerKey));
    ASSERT_NE(sampler, nullptr);
    const auto emb_d = gpu.upload(host_tensor(emb.data(), sdk::DType::f32, {vocab, d}));
    const auto head_d = gpu.upload(host_tensor(head.data(), sdk::DType::f32, {vocab, d}));
    const std::size_t layer_bytes = static_cast<std::size_t>(n_blocks) * bs * kv_heads * hd * 2;
    sdk::KvLayerView kv{nullptr, nullptr, bs, kv_heads, hd, nullptr, nullptr};
    kv.k_blocks =
        gpu.upload(host_tensor(nullptr, sdk::DType::u8, {(std::int64_t)layer_bytes})).data;
    kv.v_blocks =
        gpu.upload(host_tensor(nullptr, sdk::DType::u8, {(std::int64_t)layer_bytes})).data;
    sdk::AttentionParams p;
    p.n_heads = heads;
    p.n_kv_heads = kv_heads;
    p.head_dim = hd;
    p.scale = 0.125f;
    sdk::RopeParams rope;
    std::vector<std::vector<std::int32_t>> tables = {{3}, {1}};
    std::vector<int> pos = {14, 3};
    int greedy_calls = 0;
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
      auto forward = [&](sdk::Tensor& out) {
        auto x = gpu.scratch(sdk::DType::f32, {2, heads, hd});
        gpu.gather_rows(emb_d, b.tokens, x);
        auto kx = gpu.scratch(sdk::DType::f32, {2, kv_heads, hd});
        gpu.rope(x, b.positions, rope);
        sdk::Tensor kview = x;
        kview.shape = {2, kv_heads, hd};
        gpu.add(kview, kview, kx);
        auto att = gpu.scratch(sdk::DType::f32, {2, heads, hd});
        gpu.attention(x, kx, kx, kv, b.seqs, p, att);
        auto last = gpu.scratch(sdk::DType::f32, {2, d});
        att.shape = {2, d};
        gpu.gather_rows(att, b.logit_rows, last);
        gpu.dense_linear(head_d, nullptr, last, out);
      };
      // The host reference first (it writes the same cache slots the greedy step rewrites).
      std::vector<float> logits(2 * vocab);
      auto out = host_tensor(logits.data(), sdk::DType::f32, {2, vocab});
      gpu.begin_step();
      gpu.run_forward(b, out, [&] { forward(out); });
      std::vector<std::int32_t> ids(2, -7);
      gpu.begin_step();
      sampler->run_forward_greedy(b, vocab, ids, [&](sdk::Tensor& l) {
        ++greedy_calls;
        forward(l);
      });
      for (int r = 0; r < 2; ++r) {
        EXPECT_EQ(ids[r], host_argmax(logits.data() + r * vocab, vocab))
            << "graphs " << graphs << " step " << step << " row " << r;
      }
      ++pos[0];
      ++pos[1];
    }
    EXPECT_EQ(greedy_calls, std::string(graphs) == "1" ? 2 : 6);
  }
}

TEST(CudaSampling, GreedyStepRefusesMismatchedTokenSlots) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  sdk::ForwardBatch b;
  const std::vector<std::int32_t> rows = {0, 1};
  b.logit_rows = rows;
  std::vector<std::int32_t> ids(1);
  try {
    gpu.run_forward_greedy(b, 10, ids, [](sdk::Tensor&) {});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "cuda: run_forward_greedy: 1 token slots for 2 logits rows");
  }
}

}  // namespace
}  // namespace rmlx
