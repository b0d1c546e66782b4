// rmlx_kv_bench: every KV codec side by side on one model.
//
//   rmlx_kv_bench --model DIR --text FILE [--text FILE ...] [--codecs f16,fp8,...]
//
// Quality: each text's first --tokens tokens are run teacher-forced (chunks of 256
// with the logits of every position) once with an f16 cache and once per codec;
// the report gives the mean KL(p_f16 || p_codec) of the next-token distributions
// and how often the top-1 token agrees. Speed: each cache is prefilled to the
// largest --contexts value (f16 by a prefill, the others by re-encoding its
// rows), then single-token decode steps are timed at each
// context, the codecs taking turns step by step so machine noise hits all alike.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>

#include "kv_runner.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace po = boost::program_options;

namespace rmlx::kv_bench {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// Log-probabilities of one row of logits, in double.
void log_softmax(const float* x, std::int64_t n, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(n));
  const double mx = *std::max_element(x, x + n);
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - mx);
  const double lse = mx + std::log(sum);
  for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = x[i] - lse;
}

// The 1-minute load average ("n/a" where /proc is absent): decode timings on a
// shared machine mean little without it.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  return in >> one ? one : std::string("n/a");
}

struct Quality {
  double kl_sum = 0.0;
  double kl_max = 0.0;
  std::int64_t rows = 0;
  std::int64_t agree = 0;
};

int run(int argc, char** argv) {
  std::string model_dir, codecs_arg, contexts_arg, plugin_dir = RMLX_PLUGIN_BUILD_DIR;
  std::vector<std::string> texts;
  int tokens = 1536, threads = 2, steps = 16, rounds = 7, chunk = 256;
  po::options_description desc("rmlx_kv_bench options");
  const char* home = std::getenv("HOME");
  desc.add_options()("help", "this text")(
      "model",
      po::value(&model_dir)
          ->default_value(std::string(home != nullptr ? home : "") +
                          "/.cache/rmlx/models/SmolLM2-135M-Instruct"),
      "model snapshot")("text", po::value(&texts)->multitoken(), "text files (>= 1 each)")(
      "tokens", po::value(&tokens)->default_value(1536), "tokens of each text to score")(
      "codecs",
      po::value(&codecs_arg)->default_value("fp8,int8,int4,turboquant,int8:int4,int8:fp8"),
      "codecs compared with f16 (K or K:V)")(
      "contexts", po::value(&contexts_arg)->default_value("1024,4096"), "decode contexts")(
      "steps", po::value(&steps)->default_value(16), "decode steps timed per round")(
      "rounds", po::value(&rounds)->default_value(7), "timing rounds (the best counts)")(
      "threads", po::value(&threads)->default_value(2), "CPU threads")(
      "plugins", po::value(&plugin_dir)->default_value(plugin_dir), "plugin directory");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help") != 0U || texts.empty()) {
    std::cout << desc << "\n";
    return texts.empty() && vm.count("help") == 0U ? 2 : 0;
  }
  spdlog::set_level(spdlog::level::critical);  // missing optional plugins are not news here

  registry::Registry reg;
  reg.scan({plugin_dir});
  engine::EngineOptions eo;
  eo.model_dir = model_dir;
  eo.threads = threads;
  engine::Model model(eo, reg);
  const auto tok = tokenizer::Tokenizer::from_dir(model_dir);
  const std::int64_t vocab = model.info().vocab_size;

  std::vector<std::vector<std::int32_t>> docs;
  std::vector<std::int32_t> all;
  for (const auto& path : texts) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    auto ids = tok.encode(ss.str(), false);
    if (static_cast<int>(ids.size()) < tokens) {
      throw std::runtime_error(
          fmt::format("{}: {} tokens, fewer than --tokens {}", path, ids.size(), tokens));
    }
    all.insert(all.end(), ids.begin(), ids.end());
    ids.resize(static_cast<std::size_t>(tokens));
    docs.push_back(std::move(ids));
  }
  std::vector<std::string> specs = {"f16"};
  for (const auto& c : split(codecs_arg, ',')) {
    if (c != "f16") specs.push_back(c);
  }
  std::vector<int> contexts;
  for (const auto& c : split(contexts_arg, ',')) contexts.push_back(std::stoi(c));

  // Quality, teacher-forced.
  std::vector<std::unique_ptr<CodecCache>> caches;
  for (const auto& s : specs) caches.push_back(std::make_unique<CodecCache>(model, reg, s, tokens));
  std::vector<Quality> quality(specs.size());
  std::vector<float> ref_logits, logits;
  std::vector<double> ref_lp, lp;
  std::vector<std::int32_t> rows;
  const auto t_quality = std::chrono::steady_clock::now();
  for (std::size_t d = 0; d < docs.size(); ++d) {
    for (int start = 0; start < tokens; start += chunk) {
      const int n = std::min(chunk, tokens - start);
      const std::span<const std::int32_t> part(docs[d].data() + start, static_cast<std::size_t>(n));
      rows.resize(static_cast<std::size_t>(n));
      std::iota(rows.begin(), rows.end(), 0);
      caches[0]->forward(part, start, rows, ref_logits);
      for (std::size_t c = 1; c < caches.size(); ++c) {
        caches[c]->forward(part, start, rows, logits);
        Quality& q = quality[c];
        for (int r = 0; r < n; ++r) {
          const float* a = ref_logits.data() + static_cast<std::size_t>(r) * vocab;
          const float* b = logits.data() + static_cast<std::size_t>(r) * vocab;
          log_softmax(a, vocab, ref_lp);
          log_softmax(b, vocab, lp);
          double kl = 0.0;
          for (std::int64_t i = 0; i < vocab; ++i) {
            const auto k = static_cast<std::size_t>(i);
            kl += std::exp(ref_lp[k]) * (ref_lp[k] - lp[k]);
          }
          q.kl_sum += kl;
          q.kl_max = std::max(q.kl_max, kl);
          q.rows += 1;
          q.agree += (std::max_element(a, a + vocab) - a) == (std::max_element(b, b + vocab) - b);
        }
      }
    }
    std::cerr << fmt::format("text {}/{} scored\n", d + 1, docs.size());
  }
  const double quality_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_quality).count();
  caches.clear();

  // Decode speed.
  const int max_ctx = *std::max_element(contexts.begin(), contexts.end());
  while (static_cast<int>(all.size()) < max_ctx + steps)
    all.insert(all.end(), all.begin(), all.end());
  std::vector<std::unique_ptr<CodecCache>> dcaches;
  const std::int32_t last_row = 0;
  // The f16 cache is prefilled with the text; the others get its rows re-encoded
  // (the timing depends on the cache's bytes, not on how they were computed).
  for (const auto& s : specs) {
    dcaches.push_back(std::make_unique<CodecCache>(model, reg, s, max_ctx + steps));
    if (dcaches.size() > 1) {
      dcaches.back()->transcode_from(*dcaches.front(), max_ctx);
      continue;
    }
    for (int start = 0; start < max_ctx; start += 512) {
      const int n = std::min(512, max_ctx - start);
      const std::int32_t row = n - 1;
      dcaches.back()->forward(std::span<const std::int32_t>(all.data() + start, n), start,
                              std::span<const std::int32_t>(&row, 1), logits);
    }
  }
  std::map<std::pair<std::size_t, int>, double> best;  // (codec, context) -> tok/s
  const std::string load_before = load_average();
  // Codecs take turns step by step, so a burst of load from elsewhere on the
  // machine falls on all of them alike; each round's total per codec counts.
  std::vector<double> seconds(specs.size());
  for (int round = 0; round < rounds; ++round) {
    for (int ctx : contexts) {
      std::fill(seconds.begin(), seconds.end(), 0.0);
      for (int s = 0; s < steps; ++s) {
        for (std::size_t c = 0; c < specs.size(); ++c) {
          const auto t0 = std::chrono::steady_clock::now();
          dcaches[c]->forward(std::span<const std::int32_t>(all.data() + ctx + s, 1), ctx + s,
                              std::span<const std::int32_t>(&last_row, 1), logits);
          seconds[c] +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
      }
      for (std::size_t c = 0; c < specs.size(); ++c) {
        auto& b = best[{c, ctx}];
        b = std::max(b, steps / seconds[c]);
      }
    }
  }

  const std::string load_after = load_average();
  std::cout << fmt::format(
      "model {}; {} texts x {} tokens teacher-forced ({} positions per codec, {:.0f} s); "
      "decode: best of {} rounds of {} steps, {} threads, codecs taking turns step by step; "
      "load average {} before decode timing, {} after\n\n",
      model.info().id, docs.size(), tokens, docs.size() * static_cast<std::size_t>(tokens),
      quality_s, rounds, steps, threads, load_before, load_after);
  std::string header =
      "| codec | KV bytes/token | vs f16 | mean KL vs f16 | max KL | top-1 agree |";
  std::string rule = "|---|---:|---:|---:|---:|---:|";
  for (int ctx : contexts) {
    header += fmt::format(" decode tok/s @{} | vs f16 |", ctx);
    rule += "---:|---:|";
  }
  std::cout << header << "\n" << rule << "\n";
  const double f16_bytes = static_cast<double>(dcaches[0]->bytes_per_token());
  for (std::size_t c = 0; c < specs.size(); ++c) {
    const Quality& q = quality[c];
    std::string line = fmt::format("| {} | {} | {:.3f} | ", specs[c], dcaches[c]->bytes_per_token(),
                                   dcaches[c]->bytes_per_token() / f16_bytes);
    if (c == 0) {
      line += "(reference) | | |";
    } else if (q.rows == 0) {
      line += "n/a | | |";
    } else {
      line += fmt::format("{:.5f} | {:.4f} | {:.2f}% |", q.kl_sum / q.rows, q.kl_max,
                          100.0 * static_cast<double>(q.agree) / q.rows);
    }
    for (int ctx : contexts) {
      line += fmt::format(" {:.1f} | {:.3f} |", best[{c, ctx}], best[{c, ctx}] / best[{0, ctx}]);
    }
    std::cout << line << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace rmlx::kv_bench

int main(int argc, char** argv) {
  try {
    return rmlx::kv_bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rmlx_kv_bench: " << e.what() << "\n";
    return 1;
  }
}
