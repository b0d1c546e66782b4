// rmlx-gpu-check: what bench/gpu/run measures through the engine, with no
// tokenizer needed (prompts are token ids):
//   greedy  MODEL N          greedy ids from the CPU and the CUDA backend, compared, and
//                            the log-softmax of each token and its top 5 alternatives;
//                            the CUDA run is repeated without logprobs, where the token
//                            is chosen on the device (device_sampling_identical)
//   decode  MODEL BACKEND N [T]  B=1 decode tok/s after a 32-token prompt (greedy, or
//                            temperature T with top-p 0.95, seed 1)
//   prefill MODEL BACKEND P  prefill tok/s of a P-token prompt
//   batch   MODEL BACKEND B N  aggregate decode tok/s of B sequences of N tokens
// Each prints one JSON line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/registry/registry.h"
#include "rmlx/registry/search_path.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace engine = rmlx::engine;

std::vector<std::int32_t> prompt_ids(int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> pick(100, 20000);
  std::vector<std::int32_t> p(static_cast<std::size_t>(n));
  for (auto& id : p) id = pick(rng);
  return p;
}

std::unique_ptr<engine::Engine> load(const std::string& model, const std::string& backend,
                                     rmlx::registry::Registry& reg, int max_batch, int max_len) {
  engine::EngineOptions o;
  o.model_dir = model;
  o.backend = backend;
  o.max_batch = max_batch;
  o.max_model_len = max_len;
  o.prefill_chunk = 8192;
  return engine::Engine::load(o, reg);
}

struct Run {
  std::vector<std::vector<std::int32_t>> ids;
  // Per generated token: (id, logprob) of the token and its top alternatives.
  std::vector<std::vector<std::vector<std::pair<std::int32_t, float>>>> top;
  double first_token_s = 0;  // all sequences have their first token
  double total_s = 0;
};

Run generate(engine::Engine& e, const std::vector<std::vector<std::int32_t>>& prompts, int gen,
             int top_logprobs = 0, float temperature = 0.0f) {
  std::vector<std::shared_ptr<engine::Stream>> streams;
  const auto t0 = Clock::now();
  for (const auto& p : prompts) {
    engine::Request r;
    r.prompt = p;
    r.sampling.temperature = temperature;
    if (temperature > 0.0f) {
      r.sampling.top_p = 0.95f;
      r.sampling.seed = 1;
    }
    r.sampling.logprobs = top_logprobs > 0;
    r.sampling.top_logprobs = top_logprobs;
    r.max_tokens = gen;
    r.ignore_eos = true;
    streams.push_back(e.submit(r));
  }
  Run run;
  run.ids.resize(prompts.size());
  run.top.resize(prompts.size());
  Clock::time_point last_first = t0;
  // Streams are polled in turn so each first token is seen when it comes.
  std::vector<bool> done(streams.size(), false);
  std::size_t remaining = streams.size();
  while (remaining > 0) {
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (done[i]) continue;
      engine::Event ev;
      if (!streams[i]->next(ev, std::chrono::milliseconds(0))) continue;
      if (!ev.error.empty()) throw std::runtime_error(ev.error);
      for (const auto& t : ev.tokens) {
        if (run.ids[i].empty()) last_first = std::max(last_first, Clock::now());
        run.ids[i].push_back(t.token);
        std::vector<std::pair<std::int32_t, float>> lp = {{t.token, t.logprob}};
        for (const auto& alt : t.top) lp.emplace_back(alt.token, alt.logprob);
        run.top[i].push_back(std::move(lp));
      }
      if (ev.finish != engine::FinishReason::none) {
        done[i] = true;
        --remaining;
      }
    }
  }
  run.first_token_s = std::chrono::duration<double>(last_first - t0).count();
  run.total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    if (a.size() < 3) {
      std::cerr << "usage: rmlx-gpu-check greedy|decode|prefill|batch MODEL ...\n";
      return 2;
    }
    auto reg = std::make_unique<rmlx::registry::Registry>();
    reg->scan(rmlx::registry::plugin_search_dirs({}));
    const std::string& mode = a[0];
    const std::string& model = a[1];
    nlohmann::json out = {{"mode", mode}, {"model", model}};
    if (mode == "greedy") {
      const int n = std::stoi(a[2]);
      const auto p = prompt_ids(24, 7);
      std::vector<std::vector<std::int32_t>> ids;
      std::vector<std::vector<std::vector<std::pair<std::int32_t, float>>>> tops;
      std::vector<std::int32_t> device_ids;
      for (const char* b : {"cpu", "cuda"}) {
        auto e = load(model, b, *reg, 1, 256);
        Run r = generate(*e, {p}, n, 5);
        ids.push_back(r.ids[0]);
        tops.push_back(r.top[0]);
        // Without logprobs a greedy step's token is chosen on the device (when the
        // backend samples there): only the ids cross to the host.
        if (std::string_view(b) == "cuda") device_ids = generate(*e, {p}, n).ids[0];
      }
      // Teacher-forced comparison: while the ids agree both backends saw the
      // same prefix, so their log-softmax values of the same tokens compare.
      double worst = 0.0;
      int compared = 0;
      for (std::size_t i = 0; i < std::min(tops[0].size(), tops[1].size()); ++i) {
        if (ids[0][i] != ids[1][i]) break;
        for (const auto& [id, lp] : tops[0][i]) {
          for (const auto& [id2, lp2] : tops[1][i]) {
            if (id == id2) {
              worst = std::max(worst, static_cast<double>(std::fabs(lp - lp2)));
              ++compared;
              break;
            }
          }
        }
      }
      out["max_logprob_diff"] = worst;
      out["logprobs_compared"] = compared;
      int diff = -1;
      for (std::size_t i = 0; i < std::min(ids[0].size(), ids[1].size()); ++i) {
        if (ids[0][i] != ids[1][i]) {
          diff = static_cast<int>(i);
          break;
        }
      }
      out["cpu"] = ids[0];
      out["cuda"] = ids[1];
      out["cuda_device_sampling"] = device_ids;
      out["device_sampling_identical"] = device_ids == ids[0];
      out["identical"] =
          ids[0] == ids[1] && device_ids == ids[0] && static_cast<int>(ids[0].size()) == n;
      out["first_difference"] = diff;
    } else if (mode == "decode" || mode == "prefill") {
      const std::string& backend = a[2];
      const int n = std::stoi(a[3]);
      const float temperature = mode == "decode" && a.size() > 4 ? std::stof(a[4]) : 0.0f;
      out["temperature"] = temperature;
      auto e = load(model, backend, *reg, 1, std::max(1024, n + 64));
      generate(*e, {prompt_ids(16, 1)}, 4);  // warm-up
      double best = 1e30;
      // Long prefills are timed once: they take seconds each.
      const int reps = mode == "prefill" && n >= 4096 ? 1 : 3;
      for (int rep = 0; rep < reps; ++rep) {
        if (mode == "decode") {
          const Run r = generate(*e, {prompt_ids(32, 10 + rep)}, n + 1, 0, temperature);
          best = std::min(best, (r.total_s - r.first_token_s) / n);
        } else {
          const Run r = generate(*e, {prompt_ids(n, 20 + rep)}, 1);
          best = std::min(best, r.first_token_s / n);
        }
      }
      out["backend"] = backend;
      out["tokens"] = n;
      out["tok_s"] = 1.0 / best;
    } else if (mode == "batch") {
      const std::string& backend = a[2];
      const int b = std::stoi(a[3]), n = std::stoi(a[4]);
      // A KV cache that holds every sequence whole (the default gives each a quarter of
      // max_len), so no step is cut short by preemption.
      auto e = load(model, backend, *reg, b, std::max(256, 4 * (32 + n + 16)));
      // Warm-up at the same batch size: decode steps of each size are recorded as CUDA
      // graphs once, as a server does in its first seconds, not while timed.
      std::vector<std::vector<std::int32_t>> warm, prompts;
      for (int i = 0; i < b; ++i) warm.push_back(prompt_ids(32, 10000 + i));
      generate(*e, warm, 8);
      for (int i = 0; i < b; ++i) prompts.push_back(prompt_ids(32, 100 + i));
      const Run r = generate(*e, prompts, n + 1);
      out["backend"] = backend;
      out["sequences"] = b;
      out["tok_s"] = static_cast<double>(b) * n / (r.total_s - r.first_token_s);
    } else {
      std::cerr << "unknown mode " << mode << "\n";
      return 2;
    }
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rmlx-gpu-check: " << e.what() << "\n";
    return 1;
  }
}
