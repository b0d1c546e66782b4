// Measures the memory read bandwidth of this machine and how close the quantized
// GEMV gets to it (weights streamed from DRAM), plus quantized GEMM throughput.
//
//   rmlx_kernels_bench [--threads 1,2] [--isa avx512] [--reps 5] [--quick]
//                      [--bandwidth-mib N] [--bandwidth-only]
// A decode roofline should read a buffer as large as the model (--bandwidth-mib): on the
// 2-core VM this was built on, back to back, 64 MiB read at 41-43 / 83-92 GB/s (1 / 2
// threads) and 1400 MiB at 39 / 77-79 GB/s.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/mman.h>

#include "rmlx/kernels/attention.h"
#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/linear.h"
#include "rmlx/kernels/ops.h"
#include "rmlx/kernels/qmatmul.h"
#include "rmlx/kernels/thread_pool.h"

namespace rk = rmlx::kernels;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Sums 64-bit words with several independent chains and a software prefetch ahead
// (as the GEMV kernels do), so the loop is bound by memory reads alone.
std::uint64_t read_sum(const std::uint64_t* p, std::size_t n) {
  std::uint64_t a[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __builtin_prefetch(p + i + 512);  // 4 KiB ahead
    for (int j = 0; j < 8; ++j) a[j] += p[i + j];
  }
  for (; i < n; ++i) a[0] += p[i];
  std::uint64_t s = 0;
  for (auto v : a) s ^= v;
  return s;
}

// The bandwidth buffer, on 2 MiB pages where the kernel grants them. On 4 KiB pages
// this plain loop pays page walks that the engines' tiled, prefetching kernels hide:
// it read 35.1 GB/s over 737 MiB at one thread where rmlx streamed the mapped weights
// at ~38, so the roofline sat below what the engines reach; on 2 MiB pages the loop
// reads 39.9-40.5, the machine's best read rate.
class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t words) : words_(words) {
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    bytes_ = (words * 8 + kHuge - 1) / kHuge * kHuge;
    void* p =
        ::mmap(nullptr, bytes_ + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of the bandwidth buffer failed");
    base_ = p;
    mapped_ = bytes_ + kHuge;
    const auto a = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) / kHuge * kHuge;
    data_ = reinterpret_cast<std::uint64_t*>(a);
    ::madvise(data_, bytes_, MADV_HUGEPAGE);
    for (std::size_t i = 0; i < words_; ++i) data_[i] = i * 0x9e3779b97f4a7c15ull;
  }
  ~ReadBuffer() { ::munmap(base_, mapped_); }
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;
  const std::uint64_t* data() const { return data_; }
  std::size_t size() const { return words_; }

 private:
  std::size_t words_, bytes_ = 0, mapped_ = 0;
  void* base_ = nullptr;
  std::uint64_t* data_ = nullptr;
};

// STREAM-like read bandwidth (GB/s) over `bytes`, split across the pool's threads.
double read_bandwidth(rk::ThreadPool& pool, const ReadBuffer& buf, int reps) {
  double best = 0.0;
  std::vector<std::uint64_t> sink(static_cast<std::size_t>(pool.size()));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    pool.run([&](int t, int nt) {
      const std::size_t per = buf.size() / static_cast<std::size_t>(nt);
      sink[static_cast<std::size_t>(t)] +=
          read_sum(buf.data() + per * static_cast<std::size_t>(t), per);
    });
    const double s = seconds_since(t0);
    best = std::max(best, static_cast<double>(buf.size() * 8) / s / 1e9);
  }
  std::uint64_t x = 0;
  for (auto v : sink) x ^= v;
  if (x == 42) std::printf(" ");  // keep the reads observable
  return best;
}

const char* mode_name(rk::qmm::Activations m) {
  switch (m) {
    case rk::qmm::Activations::int8:
      return "int8";
    case rk::qmm::Activations::fixed24:
      return "fix24";
    case rk::qmm::Activations::exact:
      break;
  }
  return "exact";
}

struct QMatrix {
  std::vector<std::uint32_t> packed;
  std::vector<std::uint16_t> scales, biases;
  rk::qmm::AffineWeight w;
  std::size_t bytes() const { return packed.size() * 4 + scales.size() * 2 + biases.size() * 2; }
};

QMatrix make_matrix(std::int64_t rows, std::int64_t cols, int bits, int g, std::mt19937& rng) {
  QMatrix m;
  m.packed.resize(static_cast<std::size_t>(rows * cols * bits / 32));
  for (auto& v : m.packed) v = rng();
  const auto ng = static_cast<std::size_t>(rows * cols / g);
  m.scales.resize(ng);
  m.biases.resize(ng);
  for (std::size_t i = 0; i < ng; ++i) {
    m.scales[i] = static_cast<std::uint16_t>(0x2000 + rng() % 0x400);  // small positive f16
    m.biases[i] = static_cast<std::uint16_t>(0xa000 + rng() % 0x400);
  }
  m.w = {
      m.packed.data(), m.scales.data(), m.biases.data(), rk::FloatType::f16, rows, cols, bits, g};
  return m;
}

// Matrices of a 1B Llama-shaped layer (hidden 2048, intermediate 8192, 8 KV heads of 64),
// repeated until the set is several times the last-level cache.
std::vector<QMatrix> make_layer_set(int bits, int g, int layers) {
  std::mt19937 rng(1);
  std::vector<QMatrix> set;
  const std::int64_t h = 2048, ff = 8192, kv = 512;
  for (int l = 0; l < layers; ++l) {
    set.push_back(make_matrix(h, h, bits, g, rng));
    set.push_back(make_matrix(kv, h, bits, g, rng));
    set.push_back(make_matrix(kv, h, bits, g, rng));
    set.push_back(make_matrix(h, h, bits, g, rng));
    set.push_back(make_matrix(ff, h, bits, g, rng));
    set.push_back(make_matrix(ff, h, bits, g, rng));
    set.push_back(make_matrix(h, ff, bits, g, rng));
  }
  return set;
}

struct Options {
  std::vector<int> threads{1, 2};
  rk::Isa isa = rk::select_isa();
  int reps = 5;
  bool quick = false;
  std::int64_t bandwidth_mib = 0;  // 0: 64 (quick) or 256 MiB
  bool bandwidth_only = false;
};

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoi(item));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      opt.threads = parse_list(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      opt.reps = std::stoi(argv[++i]);
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--bandwidth-only") {
      opt.bandwidth_only = true;
    } else if (a == "--bandwidth-mib" && i + 1 < argc) {
      opt.bandwidth_mib = std::stoll(argv[++i]);
      if (opt.bandwidth_mib < 1) {
        std::fprintf(stderr, "--bandwidth-mib needs a positive size\n");
        return 2;
      }
    } else if (a == "--isa" && i + 1 < argc) {
      const std::string v = argv[++i];
      bool found = false;
      for (auto isa : rk::supported_isas()) {
        if (rk::isa_name(isa) == v) {
          opt.isa = isa;
          found = true;
        }
      }
      if (!found) {
        std::fprintf(stderr, "unsupported --isa %s\n", v.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads 1,2] [--isa portable|avx2|avx512] [--reps N] [--quick] "
                   "[--bandwidth-mib N] [--bandwidth-only]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf("isa %s, physical cores %d\n", std::string(rk::isa_name(opt.isa)).c_str(),
              rk::physical_cores());
  const int layers = opt.quick ? 2 : 4;
  const std::int64_t buf_mib = opt.bandwidth_mib > 0 ? opt.bandwidth_mib : opt.quick ? 64 : 256;
  const ReadBuffer buf(static_cast<std::size_t>(buf_mib) << 17);

  struct Config {
    int bits, g;
  };
  const Config configs[] = {{4, 32}, {4, 64}, {8, 32}, {8, 64}};
  for (int nt : opt.threads) {
    rk::ThreadPool pool(nt);
    const rk::Exec ex{opt.isa, &pool};
    const double bw = read_bandwidth(pool, buf, opt.reps * 2);
    std::printf("\n== %d thread(s): read bandwidth %.1f GB/s (%lld MiB buffer)\n", nt, bw,
                static_cast<long long>(buf_mib));
    if (opt.bandwidth_only) continue;
    std::printf("%-12s %-6s %10s %10s %9s\n", "GEMV", "acts", "MB/pass", "GB/s", "roofline");
    for (const auto& c : configs) {
      const auto set = make_layer_set(c.bits, c.g, layers);
      std::size_t bytes = 0;
      std::int64_t max_dim = 0;
      for (const auto& m : set) {
        bytes += m.bytes();
        max_dim = std::max({max_dim, m.w.rows, m.w.cols});
      }
      std::vector<float> x(static_cast<std::size_t>(max_dim), 0.5f),
          y(static_cast<std::size_t>(max_dim));
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
      // Neighbours share this machine: re-measure the roofline next to each config.
      const double local_bw = std::max(bw, read_bandwidth(pool, buf, opt.reps));
      for (auto mode : {rk::qmm::Activations::int8, rk::qmm::Activations::fixed24,
                        rk::qmm::Activations::exact}) {
        double best = 1e30;
        for (int r = 0; r < opt.reps + 1; ++r) {
          const auto t0 = Clock::now();
          for (const auto& m : set) rk::qmm::matmul(ex, m.w, x.data(), 1, y.data(), mode);
          if (r > 0) best = std::min(best, seconds_since(t0));  // first pass warms up
        }
        const double gbs = static_cast<double>(bytes) / best / 1e9;
        char name[32];
        std::snprintf(name, sizeof name, "q%d g%d", c.bits, c.g);
        std::printf("%-12s %-6s %10.1f %10.1f %8.0f%%\n", name, mode_name(mode),
                    static_cast<double>(bytes) / 1e6, gbs, 100.0 * gbs / local_bw);
      }
    }
    std::printf("%-12s %-6s %6s %10s\n", "GEMM", "acts", "n", "GFLOP/s");
    std::mt19937 rng(2);
    const QMatrix m = make_matrix(4096, 2048, 4, 64, rng);
    const QMatrix m8 = make_matrix(4096, 2048, 8, 64, rng);
    for (const QMatrix* mp : {&m, &m8}) {
      for (std::int64_t n : {128, 512}) {
        std::vector<float> x(static_cast<std::size_t>(n * mp->w.cols)),
            y(static_cast<std::size_t>(n * mp->w.rows));
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f);
        for (auto mode : {rk::qmm::Activations::int8, rk::qmm::Activations::fixed24,
                          rk::qmm::Activations::exact}) {
          double best = 1e30;
          for (int r = 0; r < std::max(2, opt.reps / 2); ++r) {
            const auto t0 = Clock::now();
            rk::qmm::matmul(ex, mp->w, x.data(), n, y.data(), mode);
            best = std::min(best, seconds_since(t0));
          }
          char name[32];
          std::snprintf(name, sizeof name, "q%d g64 %ldx%ld", mp->w.bits,
                        static_cast<long>(mp->w.rows), static_cast<long>(mp->w.cols));
          std::printf("%-12s %-6s %6ld %10.1f\n", name, mode_name(mode), static_cast<long>(n),
                      2.0 * static_cast<double>(n * mp->w.rows * mp->w.cols) / best / 1e9);
        }
      }
    }
    {
      // bf16 weights (unquantized), one 1B-layer-shaped set.
      std::mt19937 rng(3);
      std::vector<std::vector<std::uint16_t>> mats;
      std::vector<rk::linear::FloatWeight> ws;
      std::size_t bytes = 0;
      const std::int64_t shapes[][2] = {{8192, 2048}, {8192, 2048}, {2048, 8192}, {2048, 2048}};
      for (int l = 0; l < (opt.quick ? 1 : 2); ++l) {
        for (const auto& sh : shapes) {
          mats.emplace_back(static_cast<std::size_t>(sh[0] * sh[1]));
          for (auto& v : mats.back()) v = static_cast<std::uint16_t>(0x3c00 + rng() % 0x800);
          bytes += mats.back().size() * 2;
        }
      }
      std::size_t mi = 0;
      for (int l = 0; l < (opt.quick ? 1 : 2); ++l) {
        for (const auto& sh : shapes)
          ws.push_back({mats[mi++].data(), rk::FloatType::bf16, sh[0], sh[1]});
      }
      std::vector<float> x(8192, 0.25f), y(8192);
      const double local_bw = std::max(bw, read_bandwidth(pool, buf, opt.reps));
      double best = 1e30;
      for (int r = 0; r < opt.reps + 1; ++r) {
        const auto t0 = Clock::now();
        for (const auto& w : ws) rk::linear::matmul(ex, w, x.data(), 1, y.data());
        if (r > 0) best = std::min(best, seconds_since(t0));
      }
      const double gbs = static_cast<double>(bytes) / best / 1e9;
      std::printf("%-12s %-6s %10.1f %10.1f %8.0f%%\n", "bf16", "exact",
                  static_cast<double>(bytes) / 1e6, gbs, 100.0 * gbs / local_bw);
    }
    {
      // Decode attention: 32 query heads, 8 KV heads of 64, float16 cache, 4096 tokens.
      const int hd = 64, kvh = 8, heads = 32, bs = 16, ctx = 4096;
      const int nb = ctx / bs;
      std::vector<std::uint16_t> kmem(static_cast<std::size_t>(nb) * kvh * bs * hd, 0x3000),
          vmem(kmem.size(), 0x3400);
      std::vector<std::int32_t> table(static_cast<std::size_t>(nb));
      for (int b = 0; b < nb; ++b) table[static_cast<std::size_t>(b)] = b;
      const rk::attn::KvLayer kv{kmem.data(),
                                 vmem.data(),
                                 bs,
                                 kvh,
                                 hd,
                                 rk::attn::RowCodec::f16(hd),
                                 rk::attn::RowCodec::f16(hd)};
      const rk::attn::Params p{heads, kvh, hd, 0.125f, 0, 0.0f};
      std::vector<float> q(static_cast<std::size_t>(heads * hd), 0.1f), o(q.size());
      double best = 1e30;
      for (int r = 0; r < opt.reps + 2; ++r) {
        const auto t0 = Clock::now();
        rk::attn::attention(ex, kv, {table, ctx - 1, 1}, p, q.data(), o.data());
        if (r > 0) best = std::min(best, seconds_since(t0));
      }
      const double kv_bytes = 2.0 * static_cast<double>(kmem.size()) * 2.0;
      std::printf("attention decode ctx=%d: %.3f ms, KV read %.1f GB/s\n", ctx, best * 1e3,
                  kv_bytes / best / 1e9);
      // Prefill: 512 new tokens at once.
      const int np = 512;
      std::vector<float> qp(static_cast<std::size_t>(np * heads * hd), 0.1f), op(qp.size());
      best = 1e30;
      for (int r = 0; r < std::max(2, opt.reps / 2); ++r) {
        const auto t0 = Clock::now();
        rk::attn::attention(ex, kv, {table, 0, np}, p, qp.data(), op.data());
        best = std::min(best, seconds_since(t0));
      }
      const double flops = 4.0 * heads * hd * (static_cast<double>(np) * (np + 1) / 2.0);
      std::printf("attention prefill n=%d: %.2f ms, %.1f GFLOP/s\n", np, best * 1e3,
                  flops / best / 1e9);
    }
    {
      // Element-wise ops of one decode step of a 1B model (hidden 2048, intermediate 8192).
      std::vector<float> a(8192), b(8192), c(8192), w(2048, 1.0f);
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = b[i] = std::sin(static_cast<float>(i));
      double t_glu = 1e30, t_norm = 1e30;
      for (int r = 0; r < 50; ++r) {
        auto t0 = Clock::now();
        rk::ops::glu(ex, a.data(), b.data(), 8192, rk::ops::Glu::silu, c.data());
        t_glu = std::min(t_glu, seconds_since(t0));
        t0 = Clock::now();
        rk::ops::rms_norm(ex, a.data(), w.data(), 1, 2048, 1e-5f, c.data());
        t_norm = std::min(t_norm, seconds_since(t0));
      }
      std::printf("silu*up 8192: %.1f us, rms_norm 2048: %.1f us\n", t_glu * 1e6, t_norm * 1e6);
    }
  }
  return 0;
}
