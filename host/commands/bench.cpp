// `rmlx-host bench`: prefill and decode speed of one sequence, the numbers
// bench/cpu puts side by side with llama.cpp's llama-bench.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli_common.h"
#include "engine_cli.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_bench() {
  return "measure prefill and decode speed (tok/s) on a model";
}

namespace {

std::vector<int> parse_list(const std::string& text, const char* what) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      int v = std::stoi(part);
      if (v <= 0) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      throw std::runtime_error(std::string(what) + ": '" + part + "' is not a positive number");
    }
  }
  return out;
}

// Seconds until the first token (prefill) and for the rest (decode).
std::pair<double, double> run_once(engine::Engine& engine, std::vector<std::int32_t> prompt,
                                   int gen) {
  engine::Request req;
  req.prompt = std::move(prompt);
  req.sampling.temperature = 0.0f;
  req.max_tokens = gen;
  req.ignore_eos = true;
  const auto t0 = std::chrono::steady_clock::now();
  auto stream = engine.submit(req);
  engine::Event ev;
  int n = 0;
  std::chrono::steady_clock::time_point t_first = t0;
  while (stream->next(ev)) {
    for (std::size_t i = 0; i < ev.tokens.size(); ++i) {
      if (n++ == 0) t_first = std::chrono::steady_clock::now();
    }
    if (!ev.error.empty()) throw std::runtime_error(ev.error);
    if (ev.finish != engine::FinishReason::none) break;
  }
  const auto t_end = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t_first - t0).count(),
          std::chrono::duration<double>(t_end - t_first).count()};
}

}  // namespace

int cmd_bench(CommandContext& ctx) {
  bool help = false, json = false;
  std::string model, prompts = "128,512", threads = "1,2";
  int gen = 64, reps = 3;
  engine::EngineOptions eopts;
  po::options_description desc("bench options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("prompt-tokens", po::value(&prompts)->default_value(prompts),
                     "prefill lengths to time (comma-separated)")(
      "gen-tokens", po::value(&gen)->default_value(gen), "decode tokens to time")(
      "thread-counts", po::value(&threads)->default_value(threads),
      "thread counts to run (comma-separated)")("repetitions,r",
                                                po::value(&reps)->default_value(reps),
                                                "runs per measurement; the best is reported")(
      "json", po::bool_switch(&json), "print JSON lines");
  add_engine_options(desc, eopts, model);
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "[--model DIR] [--prompt-tokens 128,512] [--gen-tokens 64] [options]",
                       desc);
    return 0;
  }
  try {
    eopts.model_dir = resolve_model_dir(model);
    auto reg = open_registry(ctx.plugin_dirs);
    const auto prompt_lens = parse_list(prompts, "--prompt-tokens");
    const auto thread_counts = parse_list(threads, "--thread-counts");
    std::mt19937 rng(1234);
    for (int t : thread_counts) {
      eopts.threads = t;
      auto engine = engine::Engine::load(eopts, *reg);
      const auto vocab = static_cast<std::int32_t>(engine->info().vocab_size);
      std::uniform_int_distribution<std::int32_t> pick(100, std::min(vocab - 1, 20000));
      auto random_prompt = [&](int n) {
        std::vector<std::int32_t> p(static_cast<std::size_t>(n));
        for (auto& id : p) id = pick(rng);  // fresh tokens: no prefix-cache hits
        return p;
      };
      run_once(*engine, random_prompt(16), 4);  // warm-up: pages, pools, caches
      auto report = [&](const std::string& test, int tokens, double seconds) {
        const double tps = tokens / seconds;
        if (json) {
          std::cout << nlohmann::json({{"model", engine->info().id},
                                       {"test", test},
                                       {"threads", t},
                                       {"tokens", tokens},
                                       {"tok_s", tps}})
                           .dump()
                    << std::endl;
        } else {
          std::cout << fmt::format("{:<24} {:>8} {:>3} threads {:>10.1f} tok/s\n",
                                   engine->info().id, test, t, tps);
        }
      };
      for (int p : prompt_lens) {
        double best = 1e30;
        for (int r = 0; r < reps; ++r)
          best = std::min(best, run_once(*engine, random_prompt(p), 1).first);
        report("pp" + std::to_string(p), p, best);
      }
      double best = 1e30;
      for (int r = 0; r < reps; ++r)
        best = std::min(best, run_once(*engine, random_prompt(8), gen + 1).second);
      report("tg" + std::to_string(gen), gen, best);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
