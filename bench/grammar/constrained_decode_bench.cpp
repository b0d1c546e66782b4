// Decode speed with and without a json_schema constraint, side by side, on a real snapshot through
// the engine: the same prompt is decoded greedily once under the grammar (a long document: an
// array of 24 records) and once free for the same number of tokens. Tokens per second count the
// decode steps only (from the first generated token to the last). The mask of a step is filled on
// a helper thread while the forward pass runs, so the constrained run should stay within 10%.
//
// usage: constrained_decode_bench MODEL_DIR [ROUNDS] [THREADS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/grammar_constraint.h"
#include "rmlx/registry/registry.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  int tokens = 0;
  double decode_s = 0;
  std::string finish;
  double tok_s() const { return tokens > 1 ? (tokens - 1) / decode_s : 0; }
};

Run decode(rmlx::engine::Engine& engine, rmlx::engine::Request r) {
  auto stream = engine.submit(std::move(r));
  Run run;
  Clock::time_point first{}, last{};
  rmlx::engine::Event ev;
  while (stream->next(ev)) {
    for (std::size_t i = 0; i < ev.tokens.size(); ++i) {
      last = Clock::now();
      if (run.tokens == 0) first = last;
      ++run.tokens;
    }
    if (ev.finish != rmlx::engine::FinishReason::none) {
      run.finish = rmlx::engine::finish_reason_name(ev.finish);
      if (!ev.error.empty()) std::fprintf(stderr, "error: %s\n", ev.error.c_str());
      break;
    }
  }
  run.decode_s = std::chrono::duration<double>(last - first).count();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [ROUNDS] [THREADS]\n", argv[0]);
    return 2;
  }
  const std::string model = argv[1];
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  try {
    rmlx::registry::Registry registry;
    registry.scan({RMLX_PLUGIN_BUILD_DIR});
    rmlx::engine::EngineOptions o;
    o.model_dir = model;
    o.threads = threads;
    o.max_model_len = 2048;
    o.max_batch = 1;
    auto engine = rmlx::engine::Engine::load(o, registry);
    const auto tok = rmlx::tokenizer::Tokenizer::from_dir(model);

    auto build_start = Clock::now();
    std::vector<std::string> bytes = tok.token_bytes();
    for (std::size_t id = 0; id < bytes.size(); ++id)
      if (tok.is_special(static_cast<std::int32_t>(id))) bytes[id].clear();
    std::vector<std::int32_t> eos;
    for (auto id : engine->info().eos_ids)
      if (id >= 0 && static_cast<std::size_t>(id) < bytes.size()) eos.push_back(id);
    auto vocab = rmlx::grammar::Vocabulary::build(std::move(bytes), std::move(eos));
    const double build_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();

    const auto schema = nlohmann::json::parse(R"({
      "type": "array", "minItems": 24, "maxItems": 24,
      "items": {"type": "object", "additionalProperties": false,
                "required": ["name", "age", "city", "note"],
                "properties": {"name": {"type": "string", "maxLength": 16},
                               "age": {"type": "integer"},
                               "city": {"enum": ["Paris", "Oslo", "Lima", "Cairo", "Tokyo"]},
                               "note": {"type": "string", "maxLength": 40}}}})");
    auto grammar = rmlx::grammar::Grammar::from_json_schema(schema, true);
    const std::string prompt =
        "<|im_start|>user\nList 24 people as a JSON array of objects with name, age, city and a "
        "short note.<|im_end|>\n<|im_start|>assistant\n";

    std::printf("model %s, vocabulary %zu tokens (grammar vocabulary built in %.0f ms)\n",
                engine->info().id.c_str(), vocab->size(), build_ms);
    std::printf("%-6s %-12s %8s %10s %10s\n", "round", "run", "tokens", "decode_s", "tok/s");
    double sum_free = 0, sum_json = 0;
    for (int round = 0; round < rounds; ++round) {
      rmlx::engine::Request r;
      r.prompt = tok.encode(prompt, false);
      r.sampling.temperature = 0.0f;
      r.max_tokens = 1500;
      r.constraint = std::make_shared<rmlx::grammar::GrammarConstraint>(grammar, vocab);
      const Run json = decode(*engine, r);
      rmlx::engine::Request f;
      f.prompt = r.prompt;
      f.sampling.temperature = 0.0f;
      f.max_tokens = json.tokens;
      f.ignore_eos = true;
      const Run free = decode(*engine, f);
      std::printf("%-6d %-12s %8d %10.3f %10.2f\n", round, "free", free.tokens, free.decode_s,
                  free.tok_s());
      std::printf("%-6d %-12s %8d %10.3f %10.2f  (%s)\n", round, "json_schema", json.tokens,
                  json.decode_s, json.tok_s(), json.finish.c_str());
      sum_free += free.tok_s();
      sum_json += json.tok_s();
    }
    std::printf("mean tok/s: free %.2f, json_schema %.2f, slowdown %.1f%%\n", sum_free / rounds,
                sum_json / rounds, 100.0 * (1.0 - sum_json / sum_free));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "constrained_decode_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
