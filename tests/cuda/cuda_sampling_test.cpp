// Token choice on the device: the argmax kernel against a host argmax (odd vocab
// sizes, ties, NaN, all -inf), and the backend's greedy step (eager and replayed
// from a CUDA graph) against run_forward + the host argmax of its logits.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "rmlx/kernels_cuda/sampling.h"
#include "rmlx/sdk/architecture.h"

namespace rmlx {
namespace {

using backend_cuda::CudaOps;
using cuda_test::device_kv_layer;
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
    const sdk::KvLayerView kv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
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

// Draws of sample_rows for `n` copies of one row, counters 0..n-1.
std::vector<std::int32_t> draws(const std::vector<float>& row, int n, kernels_cuda::RowSampling p) {
  const auto vocab = static_cast<std::int64_t>(row.size());
  std::vector<float> logits;
  std::vector<kernels_cuda::RowSampling> params;
  for (int i = 0; i < n; ++i) {
    logits.insert(logits.end(), row.begin(), row.end());
    p.counter_lo = static_cast<std::uint32_t>(i);
    params.push_back(p);
  }
  void *l = nullptr, *pr = nullptr, *ids = nullptr;
  EXPECT_EQ(cudaMalloc(&l, logits.size() * 4), cudaSuccess);
  EXPECT_EQ(cudaMalloc(&pr, params.size() * sizeof(kernels_cuda::RowSampling)), cudaSuccess);
  EXPECT_EQ(cudaMalloc(&ids, static_cast<std::size_t>(n) * 4), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(l, logits.data(), logits.size() * 4, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(pr, params.data(), params.size() * sizeof(kernels_cuda::RowSampling),
                       cudaMemcpyHostToDevice),
            cudaSuccess);
  kernels_cuda::sample_rows(static_cast<const float*>(l), n, vocab,
                            static_cast<const kernels_cuda::RowSampling*>(pr),
                            static_cast<std::int32_t*>(ids), nullptr);
  std::vector<std::int32_t> out(static_cast<std::size_t>(n));
  EXPECT_EQ(cudaMemcpy(out.data(), ids, out.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(l);
  cudaFree(pr);
  cudaFree(ids);
  return out;
}

// The distribution after temperature and the truncations, computed on the host in double.
std::vector<double> reference(const std::vector<float>& row, float t, int top_k, float top_p,
                              float min_p) {
  const std::size_t v = row.size();
  std::vector<std::size_t> order(v);
  for (std::size_t i = 0; i < v; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return row[a] > row[b]; });
  const double m = row[order[0]];
  std::vector<double> w(v, 0.0);
  std::size_t keep = top_k > 0 ? std::min<std::size_t>(static_cast<std::size_t>(top_k), v) : v;
  double z = 0;
  for (std::size_t r = 0; r < keep; ++r) z += std::exp((row[order[r]] - m) / t);
  if (top_p < 1.0f) {
    double cum = 0;
    std::size_t r = 0;
    for (; r < keep; ++r) {
      cum += std::exp((row[order[r]] - m) / t);
      if (cum >= top_p * z) break;
    }
    keep = std::min(keep, r + 1);
  }
  double total = 0;
  for (std::size_t r = 0; r < keep; ++r) {
    const double x = std::exp((row[order[r]] - m) / t);
    if (x < min_p) continue;
    w[order[r]] = x;
    total += x;
  }
  for (auto& x : w) x /= total;
  return w;
}

TEST(CudaSampling, SampleRowsFollowsTheTruncatedDistribution) {
  REQUIRE_GPU();
  const int vocab = 37, n = 20000;
  const auto row = random_floats(vocab, 77, 1.5f);
  struct Case {
    float t;
    int top_k;
    float top_p, min_p;
  };
  for (const Case c :
       {Case{1.0f, 0, 1.0f, 0.0f}, Case{0.7f, 5, 1.0f, 0.0f}, Case{1.3f, 0, 0.6f, 0.0f},
        Case{1.0f, 0, 1.0f, 0.2f}, Case{0.9f, 12, 0.8f, 0.05f}}) {
    kernels_cuda::RowSampling p;
    p.temperature = c.t;
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    p.seed_lo = 1234;
    const auto ids = draws(row, n, p);
    const auto want = reference(row, c.t, c.top_k, c.top_p, c.min_p);
    std::vector<double> got(vocab, 0.0);
    for (auto id : ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, vocab);
      got[static_cast<std::size_t>(id)] += 1.0 / n;
    }
    for (int i = 0; i < vocab; ++i) {
      const double pw = want[static_cast<std::size_t>(i)];
      if (pw == 0.0) {
        EXPECT_EQ(got[static_cast<std::size_t>(i)], 0.0)
            << "token " << i << " drawn outside the kept set (t " << c.t << " k " << c.top_k
            << " p " << c.top_p << " min_p " << c.min_p << ")";
      } else {
        EXPECT_NEAR(got[static_cast<std::size_t>(i)], pw, 5.0 * std::sqrt(pw * (1 - pw) / n) + 1e-3)
            << "token " << i << " (t " << c.t << " k " << c.top_k << " p " << c.top_p << " min_p "
            << c.min_p << ")";
      }
    }
    // The same seed and counters draw the same tokens; another seed does not.
    EXPECT_EQ(draws(row, 200, p), std::vector<std::int32_t>(ids.begin(), ids.begin() + 200));
    if (c.top_k != 5) {
      p.seed_lo = 99;
      EXPECT_NE(draws(row, 200, p), std::vector<std::int32_t>(ids.begin(), ids.begin() + 200));
    }
  }
  // Greedy rows are the argmax; a NaN row is flagged.
  kernels_cuda::RowSampling g;
  g.temperature = 0.0f;
  EXPECT_EQ(draws(row, 3, g), std::vector<std::int32_t>(3, host_argmax(row.data(), vocab)));
  auto bad = row;
  bad[7] = std::numeric_limits<float>::quiet_NaN();
  g.temperature = 1.0f;
  EXPECT_EQ(draws(bad, 2, g), std::vector<std::int32_t>(2, kernels_cuda::kArgmaxNaN));
}

// A toy model on a backend: embedding rows, then an output layer over them (d = 64); a KV
// layer of one block that nothing reads.
struct ToyModel {
  static constexpr int d = 64;
  int vocab;
  sdk::Tensor emb, head;
  sdk::KvLayerView kv{nullptr, nullptr, 16, 1, d, nullptr, nullptr};
  ToyModel(CudaOps& gpu, int vocab_size, unsigned seed) : vocab(vocab_size) {
    auto e = random_floats(static_cast<std::size_t>(vocab * d), seed);
    auto h = random_floats(static_cast<std::size_t>(vocab * d), seed + 1, 0.3f);
    emb = gpu.upload(host_tensor(e.data(), sdk::DType::f32, {vocab, d}));
    head = gpu.upload(host_tensor(h.data(), sdk::DType::f32, {vocab, d}));
    const std::int64_t layer_bytes = 4 * 16 * 1 * d * 2;
    kv.k_blocks = gpu.upload(host_tensor(nullptr, sdk::DType::u8, {layer_bytes})).data;
    kv.v_blocks = kv.k_blocks;
  }
  // The forward of a step's tokens into out [rows, vocab].
  void forward(CudaOps& gpu, const sdk::ForwardBatch& b, sdk::Tensor& out) const {
    auto x = gpu.scratch(sdk::DType::f32, {static_cast<std::int64_t>(b.tokens.size()), d});
    gpu.gather_rows(emb, b.tokens, x);
    gpu.dense_linear(head, nullptr, x, out);
  }
};

// Decode step `step` of two one-token sequences (the batch points into this object).
struct TwoRowStep {
  std::vector<std::int32_t> tokens, positions, rows{0, 1}, table{2};
  std::vector<sdk::AttentionSeq> seqs;
  std::vector<sdk::KvLayerView> kvs;
  sdk::ForwardBatch batch;
  TwoRowStep(int step, const ToyModel& m)
      : tokens{(5 * step + 1) % m.vocab, (3 * step + 2) % m.vocab},
        positions{step, step},
        kvs{m.kv} {
    seqs = {{0, 1, step, table}, {1, 1, step, table}};
    batch.tokens = tokens;
    batch.positions = positions;
    batch.seqs = seqs;
    batch.logit_rows = rows;
    batch.kv = kvs;
  }
  TwoRowStep(const TwoRowStep&) = delete;
  TwoRowStep& operator=(const TwoRowStep&) = delete;
};

TEST(CudaSampling, SampledStepIsTheSameEagerAndInGraph) {
  REQUIRE_GPU();
  const int vocab = 1003;
  std::vector<std::vector<std::int32_t>> results;
  for (const char* graphs : {"1", "0"}) {
    setenv("RMLX_CUDA_GRAPHS", graphs, 1);
    CudaOps gpu(0);
    unsetenv("RMLX_CUDA_GRAPHS");
    const ToyModel m(gpu, vocab, 15);
    std::vector<std::int32_t> all;
    for (int step = 0; step < 6; ++step) {
      const TwoRowStep st(step, m);
      std::vector<sdk::DeviceSampler::Row> params(2);
      params[0].temperature = 0.8f;
      params[0].top_k = 50;
      params[0].seed = 42;
      params[0].counter = static_cast<std::uint64_t>(step);
      params[1].temperature = 1.1f;
      params[1].top_p = 0.9f;
      params[1].min_p = 0.01f;
      params[1].seed = 7;
      params[1].counter = static_cast<std::uint64_t>(step);
      std::vector<std::int32_t> ids(2, -7);
      gpu.begin_step();
      gpu.run_forward_sample(st.batch, vocab, params, ids,
                             [&](sdk::Tensor& out) { m.forward(gpu, st.batch, out); });
      all.insert(all.end(), ids.begin(), ids.end());
    }
    results.push_back(all);
  }
  EXPECT_EQ(results[0], results[1]);
  for (auto id : results[0]) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, vocab);
  }
}

// The host's reading of sdk::DeviceSampler::LogitEdit, one operation a statement.
void host_edit(float& x, const sdk::DeviceSampler::LogitEdit& e) {
  if (e.flags & sdk::DeviceSampler::kEditBias) x = x + e.bias;
  if (e.flags & sdk::DeviceSampler::kEditRepeat) {
    if (x < 0.0f) {
      x = x * e.repetition;
    } else {
      x = x / e.repetition;
    }
  }
  if (e.flags & sdk::DeviceSampler::kEditSubtract) x = x - e.subtract;
}

// Logit bias and penalties applied on the device leave every logit with the host's bits,
// and a step with them picks the host's argmax of the edited rows (greedy rows), also
// after a recorded step of the same shape without edits.
TEST(CudaSampling, LogitEditsMatchTheHostBitForBit) {
  REQUIRE_GPU();
  const int vocab = 1003, rows = 2;
  CudaOps gpu(0);
  const ToyModel m(gpu, vocab, 21);
  for (int step = 0; step < 6; ++step) {
    const TwoRowStep st(step, m);
    const sdk::ForwardBatch& b = st.batch;
    const auto forward = [&](sdk::Tensor& out) { m.forward(gpu, b, out); };
    // Edits on the tokens the unedited rows rank highest, so they change the choice.
    std::vector<float> plain(static_cast<std::size_t>(rows * vocab));
    {
      gpu.begin_step();
      auto out = host_tensor(plain.data(), sdk::DType::f32, {rows, vocab});
      forward(out);
      gpu.synchronize();
    }
    std::vector<sdk::DeviceSampler::LogitEdit> edits;
    for (int r = 0; r < rows; ++r) {
      std::vector<std::int32_t> order(vocab);
      for (int i = 0; i < vocab; ++i) order[static_cast<std::size_t>(i)] = i;
      const float* row = plain.data() + static_cast<std::size_t>(r) * vocab;
      std::partial_sort(order.begin(), order.begin() + 40, order.end(),
                        [&](int a, int c) { return row[a] > row[c]; });
      for (int k = 0; k < 40; ++k) {
        sdk::DeviceSampler::LogitEdit e;
        e.row = r;
        e.token = order[static_cast<std::size_t>(k)];
        e.flags = static_cast<std::uint32_t>(1 + (k + step) % 7);
        e.bias = 0.37f * static_cast<float>(k % 5) - 0.9f;
        e.repetition = 1.0f + 0.013f * static_cast<float>(k + 1);
        e.subtract = 0.21f * static_cast<float>((k * 3 + step) % 4);
        edits.push_back(e);
      }
    }
    // A row's bits: the kernel alone on the unedited logits.
    std::vector<float> want = plain;
    for (const auto& e : edits) {
      host_edit(want[static_cast<std::size_t>(e.row) * vocab + static_cast<std::size_t>(e.token)],
                e);
    }
    {
      void *l = nullptr, *ed = nullptr;
      ASSERT_EQ(cudaMalloc(&l, plain.size() * 4), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&ed, edits.size() * sizeof(kernels_cuda::LogitEditDev)), cudaSuccess);
      std::vector<kernels_cuda::LogitEditDev> dev;
      for (const auto& e : edits) {
        dev.push_back({e.row, e.token, e.bias, e.repetition, e.subtract, e.flags});
      }
      ASSERT_EQ(cudaMemcpy(l, plain.data(), plain.size() * 4, cudaMemcpyHostToDevice), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(ed, dev.data(), dev.size() * sizeof dev[0], cudaMemcpyHostToDevice),
                cudaSuccess);
      kernels_cuda::apply_logit_edits(static_cast<float*>(l), vocab,
                                      static_cast<const kernels_cuda::LogitEditDev*>(ed),
                                      static_cast<std::int64_t>(dev.size()), nullptr);
      std::vector<float> got(plain.size());
      ASSERT_EQ(cudaMemcpy(got.data(), l, got.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4)) << "step " << step;
      cudaFree(l);
      cudaFree(ed);
    }
    // Through the step: greedy rows pick the edited rows' argmax. Even steps run a plain
    // greedy step first, so the shape has a recorded graph the edited step must not replay.
    std::vector<sdk::DeviceSampler::Row> params(rows);
    for (auto& p : params) p.temperature = 0.0f;
    if (step % 2 == 0) {
      std::vector<std::int32_t> plain_ids(rows, -7);
      gpu.begin_step();
      gpu.run_forward_sample(b, vocab, params, plain_ids, forward);
      EXPECT_EQ(plain_ids[0], host_argmax(plain.data(), vocab));
    }
    std::vector<std::int32_t> ids(rows, -7);
    gpu.begin_step();
    gpu.run_forward_sample_edited(b, vocab, params, edits, ids, forward);
    for (int r = 0; r < rows; ++r) {
      EXPECT_EQ(ids[static_cast<std::size_t>(r)],
                host_argmax(want.data() + static_cast<std::size_t>(r) * vocab, vocab))
          << "step " << step << " row " << r;
    }
  }
  std::vector<sdk::DeviceSampler::LogitEdit> bad(1);
  bad[0].token = vocab;
  std::vector<sdk::DeviceSampler::Row> params(rows);
  std::vector<std::int32_t> ids(rows);
  sdk::ForwardBatch b;
  const std::vector<std::int32_t> logit_rows = {0, 1};
  b.logit_rows = logit_rows;
  try {
    gpu.run_forward_sample_edited(b, vocab, params, bad, ids, [](sdk::Tensor&) {});
    ADD_FAILURE() << "an edit outside the vocabulary was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "cuda: logit edit of row 0, token 1003 outside 2 rows of 1003");
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
