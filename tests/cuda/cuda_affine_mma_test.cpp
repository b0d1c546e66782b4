// The tensor-core affine kernel (kernels/cuda/src/affine_mma.cu) against a
// double-precision reference of MLX's affine math: 2/4/8-bit codes x groups of
// 32/64/128 x bf16/f16/f32 scales, 1..128 activation rows, an odd number of
// weight rows, random codes, scales, biases and activations (no zeros), eagerly
// and recorded in a CUDA graph. Outputs are poisoned first, so a row left
// unwritten fails. Skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels_cuda/affine_batch.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace {

namespace k = rmlx::kernels;
namespace kc = rmlx::kernels_cuda;
using rmlx::cuda_test::DevBuf;

struct Case {
  int bits, gs;
  kc::WType stype;
};

std::string name(const Case& c) {
  const char* t = c.stype == kc::WType::bf16 ? "bf16" : c.stype == kc::WType::f16 ? "f16" : "f32";
  return std::to_string(c.bits) + "-bit g" + std::to_string(c.gs) + " " + t + " scales";
}

// A random quantized weight and its values as MLX computes them (scale * code +
// bias in f32, two roundings), for the reference.
struct Weight {
  std::int64_t rows, cols;
  std::vector<std::uint32_t> packed;
  std::vector<std::uint16_t> s16, b16;
  std::vector<float> s32, b32;
  std::vector<float> values;
};

Weight make_weight(const Case& c, std::int64_t rows, std::int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  Weight w{rows, cols, {}, {}, {}, {}, {}, {}};
  w.packed.resize(static_cast<std::size_t>(rows * cols * c.bits / 32));
  for (auto& v : w.packed) v = rng();
  const std::int64_t groups = rows * (cols / c.gs);
  std::uniform_real_distribution<float> scale(0.002f, 0.02f), bias(-0.2f, 0.2f);
  std::vector<float> s(static_cast<std::size_t>(groups)), b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = scale(rng) * (rng() % 2 ? 1.0f : -1.0f);
    b[i] = bias(rng);
    if (b[i] == 0.0f) b[i] = 0.125f;
    // Values the scale type holds exactly, so every backend sees the same numbers.
    if (c.stype == kc::WType::bf16) {
      w.s16.push_back(k::f32_to_bf16(s[i]));
      w.b16.push_back(k::f32_to_bf16(b[i]));
      s[i] = k::bf16_to_f32(w.s16.back());
      b[i] = k::bf16_to_f32(w.b16.back());
    } else if (c.stype == kc::WType::f16) {
      w.s16.push_back(k::f32_to_f16(s[i]));
      w.b16.push_back(k::f32_to_f16(b[i]));
      s[i] = k::f16_to_f32(w.s16.back());
      b[i] = k::f16_to_f32(w.b16.back());
    }
  }
  w.s32 = s;
  w.b32 = b;
  w.values.resize(static_cast<std::size_t>(rows * cols));
  const std::int64_t per_word = 32 / c.bits;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t i = 0; i < cols; ++i) {
      const std::uint32_t word = w.packed[static_cast<std::size_t>((r * cols + i) / per_word)];
      const unsigned q = (word >> ((i % per_word) * c.bits)) & ((1u << c.bits) - 1u);
      const std::size_t g = static_cast<std::size_t>(r * (cols / c.gs) + i / c.gs);
      w.values[static_cast<std::size_t>(r * cols + i)] = s[g] * static_cast<float>(q) + b[g];
    }
  }
  return w;
}

// A Weight's codes, scales and biases on the device (scales in the case's type) and its view.
struct DeviceWeight {
  DevBuf codes, scales, biases;
  kc::WeightView view;
  DeviceWeight(const Case& c, const Weight& w)
      : codes(w.packed.size() * 4),
        scales(w.s32.size() * (c.stype == kc::WType::f32 ? 4 : 2)),
        biases(w.s32.size() * (c.stype == kc::WType::f32 ? 4 : 2)) {
    codes.put(w.packed);
    if (c.stype == kc::WType::f32) {
      scales.put(w.s32);
      biases.put(w.b32);
    } else {
      scales.put(w.s16);
      biases.put(w.b16);
    }
    view.data = codes.p;
    view.type = c.stype;
    view.rows = w.rows;
    view.cols = w.cols;
    view.bits = c.bits;
    view.group_size = c.gs;
    view.scales = scales.p;
    view.biases = biases.p;
  }
};

std::vector<float> random_activations(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) {
    x = d(rng);
    if (x == 0.0f) x = 0.5f;
  }
  return v;
}

// Largest |got - want| over the largest |want|; NaN (an unwritten output) counts as infinite.
double rel_error(const std::vector<float>& got, const std::vector<double>& want) {
  double scale = 1e-30, worst = 0.0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(e <= worst)) worst = std::isnan(e) ? INFINITY : e;
  }
  return worst / scale;
}

std::vector<double> reference(const Weight& w, const std::vector<float>& x, std::int64_t n) {
  std::vector<double> y(static_cast<std::size_t>(n * w.rows));
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t r = 0; r < w.rows; ++r) {
      double acc = 0.0;
      const float* wr = w.values.data() + r * w.cols;
      const float* xr = x.data() + b * w.cols;
      for (std::int64_t i = 0; i < w.cols; ++i) acc += static_cast<double>(wr[i]) * xr[i];
      y[static_cast<std::size_t>(b * w.rows + r)] = acc;
    }
  }
  return y;
}

// Runs `launch` on stream s and waits: queued directly, or recorded as a CUDA graph and
// replayed once.
template <typename F>
void on_stream(cudaStream_t s, bool graph, F&& launch) {
  if (graph) {
    cudaGraph_t g = nullptr;
    cudaGraphExec_t exec = nullptr;
    EXPECT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed), cudaSuccess);
    launch();
    EXPECT_EQ(cudaStreamEndCapture(s, &g), cudaSuccess);
    EXPECT_EQ(cudaGraphInstantiate(&exec, g, 0), cudaSuccess);
    EXPECT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(g);
  } else {
    launch();
  }
  EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
}

// y = x W^T on the GPU by `launch(x, y, stream)`, `reps` times, eagerly or each time
// recorded as a graph; y is poisoned first, so a row left unwritten shows.
template <typename F>
std::vector<float> run_with(const kc::WeightView& v, const std::vector<float>& x, std::int64_t n,
                            bool graph, int reps, F&& launch) {
  DevBuf xd(x.size() * 4), yd(static_cast<std::size_t>(n * v.rows) * 4);
  xd.put(x);
  EXPECT_EQ(cudaMemset(yd.p, 0xff, static_cast<std::size_t>(n * v.rows) * 4), cudaSuccess);
  // The copies and the poison run on the default stream; the kernel on another one.
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cudaStream_t s = nullptr;
  EXPECT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  for (int rep = 0; rep < reps; ++rep) {
    on_stream(s, graph,
              [&] { launch(static_cast<const float*>(xd.p), static_cast<float*>(yd.p), s); });
  }
  cudaStreamDestroy(s);
  std::vector<float> y(static_cast<std::size_t>(n * v.rows));
  EXPECT_EQ(cudaMemcpy(y.data(), yd.p, y.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  return y;
}

// Runs y = x W^T on the GPU (through kc::linear's default dispatch, or the
// tensor-core kernel with `parts` activation parts; negative: not staged in
// shared memory), eagerly or as a graph.
std::vector<float> run(const kc::WeightView& v, const std::vector<float>& x, std::int64_t n,
                       int parts, bool graph) {
  return run_with(v, x, n, graph, 1, [&](const float* xd, float* yd, cudaStream_t s) {
    if (parts == 0) {
      kc::linear(v, xd, n, yd, s);
    } else {
      EXPECT_TRUE(kc::affine_mma_linear(v, xd, n, yd, s, parts < 0 ? -parts : parts, parts > 0));
    }
  });
}

std::string label(const Case& c, std::int64_t rows, std::int64_t cols, std::int64_t n) {
  return name(c) + " [" + std::to_string(rows) + ", " + std::to_string(cols) +
         "] n=" + std::to_string(n);
}

// Every row count of `ns` for one weight format and shape: the default dispatch
// (eager and in a graph) and the tensor-core kernel with three and two parts.
void check_case(const Case& c, std::int64_t rows, std::int64_t cols,
                const std::vector<std::int64_t>& ns, unsigned& seed, double& worst3,
                double& worst2) {
  const Weight w = make_weight(c, rows, cols, seed++);
  const DeviceWeight dw(c, w);
  const kc::WeightView& v = dw.view;
  const bool mma = !(c.bits == 2 && c.gs == 32);
  for (std::int64_t n : ns) {
    const std::string what = label(c, rows, cols, n);
    EXPECT_EQ(kc::affine_mma_applies(v, n), mma) << what;
    const auto x = random_activations(static_cast<std::size_t>(n * cols), seed++);
    const auto want = reference(w, x, n);
    // The default dispatch, eager and in a graph.
    EXPECT_LE(rel_error(run(v, x, n, 0, false), want), 2e-5) << what;
    EXPECT_LE(rel_error(run(v, x, n, 0, true), want), 2e-5) << what << " graph";
    if (!mma) continue;
    // Both activation splits explicitly: three parts are exact, two keep 16-17 bits.
    const double e3 = rel_error(run(v, x, n, 3, false), want);
    const double e2 = rel_error(run(v, x, n, 2, false), want);
    EXPECT_LE(e3, 5e-6) << what << " three parts";
    EXPECT_LE(e2, 2e-5) << what << " two parts";
    // Three parts split per lane, not staged in shared memory.
    if (n <= 2) {
      EXPECT_LE(rel_error(run(v, x, n, -3, false), want), 5e-6) << what << " unstaged";
    }
    worst3 = std::max(worst3, e3);
    worst2 = std::max(worst2, e2);
  }
}

TEST(CudaAffineMma, EveryWidthGroupScaleTypeAndRowCountMatchesTheReference) {
  REQUIRE_GPU();
  // 67 weight rows (three row blocks, the last partial); 2304 columns = 18..72 groups,
  // more than the eight warps that split them.
  double worst3 = 0.0, worst2 = 0.0;
  unsigned seed = 1;
  for (int bits : {2, 4, 8}) {
    for (int gs : {32, 64, 128}) {
      for (kc::WType st : {kc::WType::bf16, kc::WType::f16, kc::WType::f32}) {
        check_case({bits, gs, st}, 67, 2304, {1, 2, 3, 5, 8, 17, 32, 33, 64, 100, 128}, seed,
                   worst3, worst2);
      }
    }
  }
  std::printf("worst error / max |y|: three parts %.3g, two parts %.3g\n", worst3, worst2);
}

// Long rows (an MLP down projection): the split activations of one or two rows take
// more than 48 KiB of shared memory.
TEST(CudaAffineMma, LongRowsMatchTheReference) {
  REQUIRE_GPU();
  double worst3 = 0.0, worst2 = 0.0;
  unsigned seed = 500;
  for (int bits : {4, 8}) {
    check_case({bits, 64, kc::WType::bf16}, 37, 14336, {1, 2, 5}, seed, worst3, worst2);
  }
  std::printf("worst error / max |y|: three parts %.3g, two parts %.3g\n", worst3, worst2);
}

// One activation row on 4-bit codes whose rows are 4096-16384 columns (a multiple of
// 1024; 3072 stays on the SIMT GEMV): the default dispatch takes the kernel that keeps
// activations in registers (gemv_xreg.cu) for a single weight and for q/k/v-style
// shared launches, with a single weight's columns over two blocks past 8192.
TEST(CudaAffineMma, SingleRowFourBitMatchesTheReference) {
  REQUIRE_GPU();
  double worst3 = 0.0, worst2 = 0.0;
  unsigned seed = 900;
  for (int gs : {32, 64, 128}) {
    for (kc::WType st : {kc::WType::bf16, kc::WType::f16, kc::WType::f32}) {
      check_case({4, gs, st}, 67, 8192, {1}, seed, worst3, worst2);
      check_case({4, gs, st}, 131, 4096, {1}, seed, worst3, worst2);
    }
  }
  check_case({4, 64, kc::WType::bf16}, 1, 16384, {1}, seed, worst3, worst2);
  check_case({4, 32, kc::WType::bf16}, 1000, 3072, {1}, seed, worst3, worst2);
  // A down projection of 7-8B shapes: its columns split over a cluster of two blocks.
  for (kc::WType st : {kc::WType::bf16, kc::WType::f16, kc::WType::f32})
    check_case({4, 32, st}, 300, 14336, {1}, seed, worst3, worst2);
  check_case({4, 64, kc::WType::bf16}, 4096, 14336, {1}, seed, worst3, worst2);
}

// The tensor-core kernel for 2..64 rows of 4-bit codes (affine_batch.cu: exact int8
// form up to 16 rows, f16 form from 17), with and without column splits, eagerly and
// in a graph. Its tickets must be zero again afterwards (the next call reuses them).
std::vector<float> run_batch(const kc::WeightView& v, const std::vector<float>& x, std::int64_t n,
                             bool splits, bool graph, int& used_splits) {
  const kc::AffineBatchPlan plan = kc::affine_batch_plan(v, n, splits);
  used_splits = plan.splits;
  DevBuf act(plan.act_bytes), part(std::max<std::size_t>(plan.partial_bytes, 4)),
      tick(std::max<std::size_t>(static_cast<std::size_t>(plan.tickets) * 4, 4));
  EXPECT_EQ(cudaMemset(tick.p, 0, std::max(plan.tickets, 1) * 4), cudaSuccess);
  // Twice: the second call finds the counters as the first left them.
  auto y = run_with(v, x, n, graph, 2, [&](const float* xd, float* yd, cudaStream_t s) {
    kc::affine_batch_linear(v, xd, n, yd, plan, act.p, static_cast<float*>(part.p),
                            static_cast<unsigned*>(tick.p), s);
  });
  std::vector<unsigned> t(static_cast<std::size_t>(std::max(plan.tickets, 1)));
  EXPECT_EQ(cudaMemcpy(t.data(), tick.p, t.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  for (unsigned c : t) EXPECT_EQ(c, 0u);
  return y;
}

// The exact form: f32 rounding. The f16 form: one f16 rounding (unit roundoff 2^-11)
// of each weight and each activation; measured 0.6e-3 of max |y|.
double batch_tolerance(std::int64_t n) {
  return n >= kc::kAffineBatchF16MinRows ? 2e-3 : 5e-6;
}

void check_batch(const Case& c, std::int64_t rows, std::int64_t cols,
                 const std::vector<std::int64_t>& ns, unsigned& seed, double (&worst)[2],
                 bool& saw_split) {
  const Weight w = make_weight(c, rows, cols, seed++);
  const DeviceWeight dw(c, w);
  const kc::WeightView& v = dw.view;
  for (std::int64_t n : ns) {
    const std::string what = label(c, rows, cols, n);
    ASSERT_TRUE(kc::affine_batch_applies(v, n)) << what;
    auto x = random_activations(static_cast<std::size_t>(n * cols), seed++);
    // One activation far above the rest: fixed point is relative to each 32-column
    // chunk's largest |x|.
    x[static_cast<std::size_t>(cols / 3)] = 40.0f;
    const auto want = reference(w, x, n);
    for (bool splits : {true, false}) {
      for (bool graph : {false, true}) {
        int used = 0;
        const double e = rel_error(run_batch(v, x, n, splits, graph, used), want);
        EXPECT_LE(e, batch_tolerance(n))
            << what << (splits ? " split" : "") << (graph ? " graph" : "");
        double& w = worst[n >= kc::kAffineBatchF16MinRows ? 1 : 0];
        w = std::max(w, e);
        saw_split = saw_split || used > 1;
      }
    }
  }
}

TEST(CudaAffineBatch, EveryGroupScaleTypeAndRowCountMatchesTheReference) {
  REQUIRE_GPU();
  double worst[2] = {0.0, 0.0};
  bool saw_split = false;
  unsigned seed = 1200;
  for (int gs : {32, 64, 128}) {
    for (kc::WType st : {kc::WType::bf16, kc::WType::f16, kc::WType::f32}) {
      // 333 rows: three row tiles, the last partial; 2048 columns: eight stages.
      check_batch({4, gs, st}, 333, 2048, {2, 3, 8, 9, 17, 32, 33, 48, 64, 97, 128}, seed, worst,
                  saw_split);
    }
  }
  check_batch({4, 64, kc::WType::bf16}, 40, 14336, {5, 32}, seed, worst, saw_split);
  // Rows longer than the f16 prep holds in registers (16,384 columns): read twice.
  check_batch({4, 64, kc::WType::bf16}, 40, 16640, {20}, seed, worst, saw_split);
  EXPECT_TRUE(saw_split);
  std::printf("worst error / max |y|: exact form %.3g, f16 form %.3g\n", worst[0], worst[1]);
}

// The f16 form scales each activation row by its own power of two: rows far above and
// far below f16's range come out as accurate as the others (no inf, no flush to zero).
TEST(CudaAffineBatch, F16FormKeepsRowsOfAnyMagnitude) {
  REQUIRE_GPU();
  unsigned seed = 1700;
  const std::int64_t n = 20, rows = 256, cols = 4096;
  const Case c{4, 32, kc::WType::bf16};
  const Weight w = make_weight(c, rows, cols, seed++);
  const DeviceWeight dw(c, w);
  auto x = random_activations(static_cast<std::size_t>(n * cols), seed++);
  const float gain[3] = {1e6f, 1e-9f, 3e4f};  // rows 1, 2 and 3
  for (int r = 1; r <= 3; ++r)
    for (std::int64_t i = 0; i < cols; ++i)
      x[static_cast<std::size_t>(r * cols + i)] *= gain[r - 1];
  const auto want = reference(w, x, n);
  int used = 0;
  const auto got = run_batch(dw.view, x, n, true, false, used);
  for (std::int64_t r = 0; r < n; ++r) {
    const auto at = static_cast<std::ptrdiff_t>(r * rows);
    const std::vector<float> g(got.begin() + at, got.begin() + at + rows);
    const std::vector<double> e(want.begin() + at, want.begin() + at + rows);
    EXPECT_LE(rel_error(g, e), batch_tolerance(n)) << "row " << r;
  }
}

// One prep of the activations and one launch for two weights (q/k/v, gate/up): without
// column splits each output equals that weight's own prep and launch bit for bit; with
// them (summed in another order) it stays within the tolerance.
TEST(CudaAffineBatch, OnePrepAndLaunchForSeveralWeights) {
  REQUIRE_GPU();
  unsigned seed = 1500;
  const std::int64_t n = 19, cols = 4096;
  const Case c{4, 64, kc::WType::bf16};
  std::vector<Weight> ws;
  for (std::int64_t rows : {300, 1024}) ws.push_back(make_weight(c, rows, cols, seed++));
  const auto x = random_activations(static_cast<std::size_t>(n * cols), seed++);
  const std::size_t act_bytes = kc::affine_batch_act_bytes(n, cols);
  DevBuf xd(x.size() * 4), act(act_bytes), act1(act_bytes);
  xd.put(x);
  DevBuf part(64u << 20), tick(65536 * 4);
  ASSERT_EQ(cudaMemset(tick.p, 0, 65536 * 4), cudaSuccess);
  std::vector<std::unique_ptr<DeviceWeight>> dws;
  std::vector<kc::WeightView> views;
  std::vector<std::unique_ptr<DevBuf>> ys;
  for (const auto& w : ws) {
    dws.push_back(std::make_unique<DeviceWeight>(c, w));
    views.push_back(dws.back()->view);
    ys.push_back(std::make_unique<DevBuf>(static_cast<std::size_t>(n * w.rows) * 4));
  }
  float* outs[2] = {static_cast<float*>(ys[0]->p), static_cast<float*>(ys[1]->p)};
  const auto fetch = [&](int i) {
    std::vector<float> v(static_cast<std::size_t>(n * ws[static_cast<std::size_t>(i)].rows));
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(v.data(), outs[i], v.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    return v;
  };
  kc::affine_batch_prep(static_cast<const float*>(xd.p), n, cols, act.p, nullptr);
  for (bool splits : {false, true}) {
    const kc::AffineBatchPlan both = kc::affine_batch_plan(views.data(), 2, n, splits);
    kc::affine_batch_run(views.data(), 2, n, act.p, outs, both, static_cast<float*>(part.p),
                         static_cast<unsigned*>(tick.p), nullptr);
    const std::vector<float> shared[2] = {fetch(0), fetch(1)};
    for (int i = 0; i < 2; ++i) {
      const Weight& w = ws[static_cast<std::size_t>(i)];
      EXPECT_LE(rel_error(shared[i], reference(w, x, n)), batch_tolerance(n)) << w.rows << " rows";
      if (splits) continue;
      const kc::AffineBatchPlan one =
          kc::affine_batch_plan(views[static_cast<std::size_t>(i)], n, false);
      kc::affine_batch_linear(views[static_cast<std::size_t>(i)], static_cast<const float*>(xd.p),
                              n, outs[i], one, act1.p, nullptr, nullptr, nullptr);
      const std::vector<float> alone = fetch(i);
      EXPECT_EQ(0, std::memcmp(shared[i].data(), alone.data(), alone.size() * 4))
          << w.rows << " rows";
    }
  }
  std::vector<unsigned> t(65536);
  ASSERT_EQ(cudaMemcpy(t.data(), tick.p, t.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(std::count(t.begin(), t.end(), 0u), 65536);
}

// A weight's shape without data, for what the kernels accept.
kc::WeightView shape_only(std::int64_t rows, std::int64_t cols, int bits, int gs) {
  kc::WeightView v;
  v.rows = rows;
  v.cols = cols;
  v.bits = bits;
  v.group_size = gs;
  return v;
}

TEST(CudaAffineBatch, RefusesShapesItDoesNotTake) {
  REQUIRE_GPU();  // the shared-memory limit it checks is the device's
  kc::WeightView v = shape_only(64, 512, 4, 64);
  EXPECT_TRUE(kc::affine_batch_applies(v, 2));
  EXPECT_TRUE(kc::affine_batch_applies(v, kc::kAffineBatchMaxRows));
  EXPECT_FALSE(kc::affine_batch_applies(v, 1));
  EXPECT_FALSE(kc::affine_batch_applies(v, kc::kAffineBatchMaxRows + 1));
  v.cols = 384;  // not a multiple of 256
  EXPECT_FALSE(kc::affine_batch_applies(v, 8));
  v.cols = 512;
  for (int bits : {2, 3, 8}) {
    v.bits = bits;
    EXPECT_FALSE(kc::affine_batch_applies(v, 8)) << bits;
  }
}

// The shapes the kernel does not take are refused, so the SIMT kernels run them.
TEST(CudaAffineMma, RefusesShapesItDoesNotTake) {
  kc::WeightView v = shape_only(64, 256, 4, 64);
  EXPECT_TRUE(kc::affine_mma_applies(v, 1));
  EXPECT_TRUE(kc::affine_mma_applies(v, kc::kAffineMmaMaxRows));
  EXPECT_FALSE(kc::affine_mma_applies(v, kc::kAffineMmaMaxRows + 1));
  EXPECT_FALSE(kc::affine_mma_applies(v, 0));
  for (int bits : {3, 5, 6}) {
    v.bits = bits;
    EXPECT_FALSE(kc::affine_mma_applies(v, 1)) << bits;
  }
  v.bits = 2;
  v.group_size = 32;
  EXPECT_FALSE(kc::affine_mma_applies(v, 1));
  v.bits = 8;
  v.group_size = 16;
  EXPECT_FALSE(kc::affine_mma_applies(v, 1));
}

}  // namespace
