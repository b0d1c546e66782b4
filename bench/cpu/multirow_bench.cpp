// Cost of a few activation rows against one weight pass, relative to one row: what a
// speculative verification of K+1 tokens, or a decode batch of a few sequences, costs
// in the affine matmul compared with a single decode step.
//
//   rmlx_multirow_bench [--threads 1,2] [--reps 7] [--rows 1,2,4,8,9,16]
//                       [--bits 4,8] [--modes int8,exact] [--shapes smollm2,llama1b]
//
// Each shape is the set of linear layers of a few decoder layers (q, k, v, o, gate, up,
// down), sized past the last-level cache so that the weights stream from memory as in
// a real forward pass, plus the lm_head for SmolLM2 (49152 x 576, the largest matrix).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/qmatmul.h"
#include "rmlx/kernels/thread_pool.h"

namespace rk = rmlx::kernels;

namespace {

using Clock = std::chrono::steady_clock;

struct QMatrix {
  std::vector<std::uint32_t> packed;
  std::vector<std::uint16_t> scales, biases;
  rk::qmm::AffineWeight w;
};

QMatrix make_matrix(std::int64_t rows, std::int64_t cols, int bits, int g, std::mt19937& rng) {
  QMatrix m;
  m.packed.resize(static_cast<std::size_t>(rows * cols * bits / 32));
  for (auto& v : m.packed) v = rng();
  const auto ng = static_cast<std::size_t>(rows * cols / g);
  m.scales.resize(ng);
  m.biases.resize(ng);
  for (std::size_t i = 0; i < ng; ++i) {
    m.scales[i] = static_cast<std::uint16_t>(0x3c00 + rng() % 0x400);  // bf16 ~ 0.01
    m.biases[i] = static_cast<std::uint16_t>(0xbc00 + rng() % 0x400);
  }
  m.w = {
      m.packed.data(), m.scales.data(), m.biases.data(), rk::FloatType::bf16, rows, cols, bits, g};
  return m;
}

struct Shape {
  const char* name;
  std::int64_t hidden, inter, q_out, kv_out, vocab;
  int layers;  // layers in the set (enough to exceed the cache)
};

std::vector<QMatrix> make_set(const Shape& s, int bits, int g) {
  std::mt19937 rng(7);
  std::vector<QMatrix> set;
  for (int l = 0; l < s.layers; ++l) {
    set.push_back(make_matrix(s.q_out, s.hidden, bits, g, rng));
    set.push_back(make_matrix(s.kv_out, s.hidden, bits, g, rng));
    set.push_back(make_matrix(s.kv_out, s.hidden, bits, g, rng));
    set.push_back(make_matrix(s.hidden, s.q_out, bits, g, rng));
    set.push_back(make_matrix(s.inter, s.hidden, bits, g, rng));
    set.push_back(make_matrix(s.inter, s.hidden, bits, g, rng));
    set.push_back(make_matrix(s.hidden, s.inter, bits, g, rng));
  }
  if (s.vocab > 0) set.push_back(make_matrix(s.vocab, s.hidden, bits, g, rng));
  return set;
}

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoi(item));
  return v;
}

std::vector<std::string> parse_words(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(item);
  return v;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best time (seconds) of one pass over the set with n activation rows. One thread:
// the thread's CPU time, which neighbours on a shared machine do not inflate; more:
// wall time.
double time_pass(const rk::Exec& ex, const std::vector<QMatrix>& set, std::int64_t n,
                 rk::qmm::Activations mode, int reps, std::vector<float>& x,
                 std::vector<float>& y) {
  const bool cpu_time = ex.pool == nullptr || ex.pool->size() == 1;
  double best = 1e30;
  for (int r = 0; r < reps + 1; ++r) {
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    for (const auto& m : set) rk::qmm::matmul(ex, m.w, x.data(), n, y.data(), mode);
    const double t = cpu_time ? thread_cpu_seconds() - c0
                              : std::chrono::duration<double>(Clock::now() - t0).count();
    if (r > 0) best = std::min(best, t);  // the first pass warms up
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads{1, 2}, rows{1, 2, 4, 8, 9, 16}, bits{4, 8};
  std::vector<std::string> modes{"int8", "exact"}, shapes{"smollm2", "llama1b"};
  int reps = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "--threads" && has) {
      threads = parse_ints(argv[++i]);
    } else if (a == "--rows" && has) {
      rows = parse_ints(argv[++i]);
    } else if (a == "--bits" && has) {
      bits = parse_ints(argv[++i]);
    } else if (a == "--modes" && has) {
      modes = parse_words(argv[++i]);
    } else if (a == "--shapes" && has) {
      shapes = parse_words(argv[++i]);
    } else if (a == "--reps" && has) {
      reps = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads 1,2] [--rows 1,2,4,8,9,16] [--bits 4,8] "
                   "[--modes int8,exact] [--shapes smollm2,llama1b] [--reps N]\n",
                   argv[0]);
      return 2;
    }
  }
  const Shape known[] = {{"smollm2", 576, 1536, 576, 192, 49152, 30},
                         {"llama1b", 2048, 8192, 2048, 512, 0, 2},
                         // One layer, cache resident: the kernels' arithmetic alone.
                         {"smollm2-1l", 576, 1536, 576, 192, 0, 1}};
  const rk::Isa isa = rk::select_isa();
  double load = 0.0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1.0;
    std::fclose(f);
  }
  std::printf(
      "isa %s, load average %.2f; cost(M)/cost(1) of one pass over the set (1 thread: CPU time, "
      "2+: wall)\n",
      std::string(rk::isa_name(isa)).c_str(), load);
  std::printf("%-8s %-4s %-5s %3s %9s", "shape", "bits", "acts", "thr", "ms(M=1)");
  for (int m : rows) std::printf(" %6s", ("M=" + std::to_string(m)).c_str());
  std::printf("\n");
  for (const auto& sname : shapes) {
    const Shape* s = nullptr;
    for (const auto& k : known) {
      if (sname == k.name) s = &k;
    }
    if (s == nullptr) {
      std::fprintf(stderr, "unknown shape %s (smollm2, llama1b)\n", sname.c_str());
      return 2;
    }
    for (int b : bits) {
      const auto set = make_set(*s, b, 64);
      std::int64_t max_dim = 0;
      for (const auto& m : set) max_dim = std::max({max_dim, m.w.rows, m.w.cols});
      const int max_rows = *std::max_element(rows.begin(), rows.end());
      std::vector<float> x(static_cast<std::size_t>(max_dim * max_rows)),
          y(static_cast<std::size_t>(max_dim * max_rows));
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f);
      for (int nt : threads) {
        rk::ThreadPool pool(nt);
        const rk::Exec ex{isa, &pool};
        for (const auto& mname : modes) {
          const auto mode = mname == "exact"   ? rk::qmm::Activations::exact
                            : mname == "fix24" ? rk::qmm::Activations::fixed24
                                               : rk::qmm::Activations::int8;
          const double t1 = time_pass(ex, set, 1, mode, reps, x, y);
          std::printf("%-8s %-4d %-5s %3d %9.3f", s->name, b, mname.c_str(), nt, t1 * 1e3);
          for (int m : rows) {
            const double t = m == 1 ? t1 : time_pass(ex, set, m, mode, reps, x, y);
            std::printf(" %6.2f", t / t1);
          }
          std::printf("\n");
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
