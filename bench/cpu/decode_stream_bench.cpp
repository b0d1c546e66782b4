// One decode step's affine matmuls on a real snapshot's mapped weights, against a plain
// read of the same bytes and of an anonymous buffer of the same size, alternated back to
// back (the host's bandwidth drifts, so only numbers from one invocation compare).
//
//   rmlx_decode_stream_bench MODEL_DIR [--threads 1] [--reps 7] [--exact]
//
// The matmuls run as the llama architecture runs them in a decode step: per layer q/k/v
// as one shared-input pass, o, gate/up as one pass, down; then the lm_head (the tied
// embedding when there is no lm_head). Prints the median of each part (ms), the weight
// bytes a step reads (biases only when the weights are not symmetric) and GB/s.
// The plain read runs twice: on the calling thread, and split over the pool's threads
// with one dispatch a tensor ("read xT"), the bound for the matmuls at N threads.
// The matmuls and the pool read also run over a copy of the file in anonymous memory on
// 2 MiB pages (snapshot::LoadMode::read, as `--no-mmap` loads it), alternated with the
// mapped runs.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/qmatmul.h"
#include "rmlx/kernels/thread_pool.h"
#include "rmlx/snapshot/safetensors.h"

namespace rk = rmlx::kernels;
namespace rs = rmlx::snapshot;

namespace {

using Clock = std::chrono::steady_clock;

struct Part {
  std::string name;
  std::vector<rk::qmm::AffineWeight> ws;
};

// Bytes the int8 kernels read for w.
// Calls f(pointer, bytes) for each range of w a decode step reads: the codes, the
// scales, and the biases unless they are derived from the scales.
template <typename F>
void for_each_range(const rk::qmm::AffineWeight& w, F&& f) {
  const std::size_t groups = static_cast<std::size_t>(w.rows * (w.cols / w.group_size));
  const std::size_t sb = (w.scale_type == rk::FloatType::f32 ? 4 : 2) * groups;
  f(static_cast<const void*>(w.packed), static_cast<std::size_t>(w.rows * w.cols * w.bits / 8));
  f(w.scales, sb);
  if (w.bias_per_scale == 0.0f) f(w.biases, sb);
}

std::size_t weight_bytes(const rk::qmm::AffineWeight& w) {
  std::size_t total = 0;
  for_each_range(w, [&](const void*, std::size_t bytes) { total += bytes; });
  return total;
}

[[gnu::target("avx512f")]] std::uint64_t read_range(const void* p, std::size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 256 <= bytes; i += 256) {
    for (int k = 0; k < 4; ++k) _mm_prefetch(c + i + 4096 + 64 * k, _MM_HINT_T0);
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(c + i));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(c + i + 64));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(c + i + 128));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(c + i + 192));
  }
  std::uint64_t s = 0;
  for (; i < bytes; ++i) s += static_cast<unsigned char>(c[i]);
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
  for (const std::uint64_t v : lanes) s += v;
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [--threads N] [--reps N] [--exact]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int threads = 1, reps = 7;
  auto mode = rk::qmm::Activations::int8;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::stoi(argv[++i]);
    } else if (a == "--exact") {
      mode = rk::qmm::Activations::exact;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::ifstream cf(dir + "/config.json");
  const auto cfg = nlohmann::json::parse(cf);
  const auto& q = cfg.contains("quantization") ? cfg["quantization"] : cfg["quantization_config"];
  const int bits = q["bits"], group = q["group_size"];
  const int layers = cfg["num_hidden_layers"];
  const auto file = rs::SafetensorsFile::open(dir + "/model.safetensors");
  std::map<std::string, const rs::TensorInfo*> by_name;
  for (const auto& t : file.tensors()) by_name[t.name] = &t;
  // The same file read into memory as `--no-mmap` loads it (the same header: the
  // tensor records of `file` locate its bytes too).
  const auto copy = rs::SafetensorsFile::open(dir + "/model.safetensors", rs::LoadMode::read);
  const auto bind = [&](const rs::SafetensorsFile& src, const std::string& prefix) {
    const rs::TensorInfo* w = by_name.at(prefix + ".weight");
    const rs::TensorInfo* s = by_name.at(prefix + ".scales");
    rk::qmm::AffineWeight a;
    a.packed = reinterpret_cast<const std::uint32_t*>(src.data(*w));
    a.scales = src.data(*s);
    a.biases = src.data(*by_name.at(prefix + ".biases"));
    a.scale_type = s->dtype == rmlx::sdk::DType::f16    ? rk::FloatType::f16
                   : s->dtype == rmlx::sdk::DType::bf16 ? rk::FloatType::bf16
                                                        : rk::FloatType::f32;
    a.rows = w->shape[0];
    a.cols = w->shape[1] * 32 / bits;
    a.bits = bits;
    a.group_size = group;
    if (mode == rk::qmm::Activations::int8) a.bias_per_scale = rk::qmm::symmetric_bias_factor(a);
    return a;
  };
  const auto make_parts = [&](const rs::SafetensorsFile& src) {
    const auto w = [&](const std::string& prefix) { return bind(src, prefix); };
    std::vector<Part> parts;
    for (int l = 0; l < layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      parts.push_back(
          {"q/k/v",
           {w(p + "self_attn.q_proj"), w(p + "self_attn.k_proj"), w(p + "self_attn.v_proj")}});
      parts.push_back({"o", {w(p + "self_attn.o_proj")}});
      parts.push_back({"gate/up", {w(p + "mlp.gate_proj"), w(p + "mlp.up_proj")}});
      parts.push_back({"down", {w(p + "mlp.down_proj")}});
    }
    parts.push_back(
        {"lm_head", {w(by_name.count("lm_head.weight") ? "lm_head" : "model.embed_tokens")}});
    return parts;
  };
  const std::vector<Part> parts = make_parts(file);
  const std::vector<Part> copy_parts = make_parts(copy);

  std::size_t total = 0, max_dim = 0;
  for (const auto& part : parts) {
    for (const auto& w : part.ws) {
      total += weight_bytes(w);
      max_dim = std::max<std::size_t>(max_dim, static_cast<std::size_t>(std::max(w.rows, w.cols)));
    }
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(max_dim);
  for (auto& v : x) v = nd(rng);
  std::vector<std::vector<float>> y(3, std::vector<float>(max_dim));
  std::vector<char> anon(total, 1);

  rk::ThreadPool pool(threads);
  const rk::Exec exec{rk::select_isa(), &pool};
  std::map<std::string, std::vector<double>> ms;
  std::vector<double> step, read, read_t, anon_read, copy_step, copy_read_t;
  // The same mapped bytes read by the pool, one dispatch per weight as the matmuls do.
  std::vector<std::uint64_t> sinks(static_cast<std::size_t>(threads) * 8, 0);
  const auto pool_read = [&](const void* p, std::size_t bytes) {
    constexpr std::int64_t kChunk = 65536;
    const auto n = static_cast<std::int64_t>((bytes + kChunk - 1) / kChunk);
    pool.parallel_for(n, std::max<std::int64_t>(1, n / (threads * 8)),
                      [&](std::int64_t b, std::int64_t e, int t) {
                        const auto lo = static_cast<std::size_t>(b * kChunk);
                        const auto hi = std::min(bytes, static_cast<std::size_t>(e * kChunk));
                        sinks[static_cast<std::size_t>(t) * 8] +=
                            read_range(static_cast<const char*>(p) + lo, hi - lo);
                      });
  };
  std::uint64_t sink = 0;
  for (int r = 0; r <= reps; ++r) {  // rep 0 warms the page tables and caches
    std::map<std::string, double> acc;
    auto t0 = Clock::now();
    for (const auto& part : parts) {
      const auto tp = Clock::now();
      float* ys[3] = {y[0].data(), y[1].data(), y[2].data()};
      rk::qmm::matmul_shared_input(exec, part.ws, x.data(), 1,
                                   std::span<float* const>(ys, part.ws.size()), mode);
      acc[part.name] += std::chrono::duration<double, std::milli>(Clock::now() - tp).count();
    }
    const double s_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (const auto& part : parts) {
      for (const auto& w : part.ws) {
        for_each_range(w, [&](const void* p, std::size_t bytes) { sink += read_range(p, bytes); });
      }
    }
    const double r_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (const auto& part : parts) {
      for (const auto& w : part.ws) for_each_range(w, pool_read);
    }
    const double rt_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    t0 = Clock::now();
    sink += read_range(anon.data(), anon.size());
    const double a_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (const auto& part : copy_parts) {
      float* ys[3] = {y[0].data(), y[1].data(), y[2].data()};
      rk::qmm::matmul_shared_input(exec, part.ws, x.data(), 1,
                                   std::span<float* const>(ys, part.ws.size()), mode);
    }
    const double cs_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (const auto& part : copy_parts) {
      for (const auto& w : part.ws) for_each_range(w, pool_read);
    }
    const double crt_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (r == 0) continue;
    copy_step.push_back(cs_ms);
    copy_read_t.push_back(crt_ms);
    step.push_back(s_ms);
    read.push_back(r_ms);
    read_t.push_back(rt_ms);
    anon_read.push_back(a_ms);
    for (const auto& [k, v] : acc) ms[k].push_back(v);
  }
  const double gb = static_cast<double>(total) / 1e9;
  std::printf("%s: %d thread(s), %s activations, %.1f MB a step, medians of %d\n", dir.c_str(),
              threads, mode == rk::qmm::Activations::int8 ? "int8" : "exact", gb * 1e3, reps);
  for (const auto& [k, v] : ms) std::printf("  %-8s %8.2f ms\n", k.c_str(), median(v));
  const double s = median(step), rd = median(read), an = median(anon_read);
  std::printf("  matmuls  %8.2f ms  %5.1f GB/s  (%.1f%% of the mapped read)\n", s, gb / s * 1e3,
              100.0 * rd / s);
  std::printf("  read     %8.2f ms  %5.1f GB/s  (the same mapped bytes)\n", rd, gb / rd * 1e3);
  const double rt = median(read_t);
  std::printf(
      "  read xT  %8.2f ms  %5.1f GB/s  (the same bytes, read by the pool, one dispatch a "
      "tensor; matmuls at %.1f%% of it)\n",
      rt, gb / rt * 1e3, 100.0 * rt / s);
  std::printf("  anon     %8.2f ms  %5.1f GB/s  (an anonymous buffer as large)\n", an,
              gb / an * 1e3);
  const double cs = median(copy_step), crt = median(copy_read_t);
  std::printf(
      "  copy matmuls %8.2f ms  %5.1f GB/s  (the same weights read into memory, --no-mmap)\n", cs,
      gb / cs * 1e3);
  std::printf(
      "  copy read xT %8.2f ms  %5.1f GB/s  (the copy, read by the pool; matmuls at %.1f%% of "
      "it)\n",
      crt, gb / crt * 1e3, 100.0 * crt / cs);
  {
    std::ifstream smaps("/proc/self/smaps_rollup");
    std::string line;
    while (std::getline(smaps, line)) {
      if (line.rfind("AnonHugePages", 0) == 0 || line.rfind("FilePmdMapped", 0) == 0) {
        std::printf("  %s\n", line.c_str());
      }
    }
  }
  for (const std::uint64_t v : sinks) sink += v;
  return sink == 42 ? 1 : 0;
}
