// Cost of structured output per decode step: the time to fill a token mask (and to apply it in
// the sampler) while generating documents for the test schemas, on the full Qwen3 vocabulary
// (151,669 tokens) and on its first 49,152 ids (a SmolLM2-sized vocabulary), set against a
// 10-20 ms CPU decode step. Also the sampler's own time on a 151,936-wide logits row.
//
// usage: grammar_bench TOKENIZER_JSON SCHEMAS_JSON [DOCS_PER_SCHEMA]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "../../tests/grammar/byte_level_vocab.h"
#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/matcher.h"
#include "rmlx/sampling/rng.h"
#include "rmlx/sampling/sampler.h"

namespace {

using Clock = std::chrono::steady_clock;
using rmlx::grammar::Grammar;
using rmlx::grammar::Matcher;
using rmlx::grammar::TokenMask;
using rmlx::grammar::Vocabulary;

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

struct Stats {
  std::vector<double> v;
  double mean() const {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
  }
  double pct(double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  }
};

void bench_vocab(const char* label, std::vector<std::string> bytes, std::vector<std::int32_t> eos,
                 const nlohmann::ordered_json& schemas, int docs) {
  auto t = Clock::now();
  const auto vocab = Vocabulary::build(std::move(bytes), std::move(eos));
  std::printf(
      "\n%s: %zu tokens, trie %zu nodes (%zu outside plain string content), built in %.0f ms\n",
      label, vocab->size(), vocab->all().nodes.size(), vocab->special().nodes.size(),
      us_since(t) / 1000.0);
  std::printf("  %-12s %6s %7s %9s %9s %9s %9s %11s %11s\n", "schema", "docs", "steps", "mask_us",
              "p50_us", "p99_us", "max_us", "vs_10ms_%", "vs_20ms_%");

  rmlx::sampling::SamplingParams greedy;
  greedy.temperature = 0.0f;
  rmlx::sampling::Rng rng(7);
  std::vector<float> logits(vocab->size());
  TokenMask mask;
  Stats all;
  std::vector<std::pair<std::string, std::shared_ptr<const Grammar>>> grammars;
  for (const auto& e : schemas)
    grammars.emplace_back(e["name"].get<std::string>(),
                          Grammar::from_json_schema(e["schema"], true));
  grammars.emplace_back("json_object", Grammar::any_json_object());
  std::vector<std::size_t> closers;
  for (std::size_t id = 0; id < vocab->size(); ++id)
    for (const char* c : {"\"", "}", "]", ",", "\"}", "\","})
      if (vocab->bytes(static_cast<std::int32_t>(id)) == c) closers.push_back(id);

  for (const auto& [name, grammar] : grammars) {
    Stats s;
    int done = 0;
    for (int d = 0; d < docs; ++d) {
      Matcher m(grammar, vocab);
      rmlx::sampling::Sampler sampler(greedy, 0);
      for (int step = 0; step < 3000 && !m.is_terminated(); ++step) {
        t = Clock::now();
        m.fill_mask(mask);
        s.v.push_back(us_since(t));
        for (auto& x : logits) x = static_cast<float>(rng.uniform() * 10.0);
        for (auto eos : vocab->eos_ids()) logits[static_cast<std::size_t>(eos)] += 20.0f;
        for (auto id : closers) logits[id] += 1.0f;
        const auto tok = sampler.sample(logits, {}, {}, &mask).token;
        if (!m.accept(tok)) {
          std::printf("  %s: sampled token %d was refused\n", name.c_str(), tok);
          return;
        }
      }
      done += m.is_terminated() ? 1 : 0;
    }
    all.v.insert(all.v.end(), s.v.begin(), s.v.end());
    const double mean = s.mean();
    std::printf("  %-12s %6d %7zu %9.1f %9.1f %9.1f %9.1f %11.2f %11.2f\n", name.c_str(), done,
                s.v.size(), mean, s.pct(0.5), s.pct(0.99), s.pct(1.0), mean / 100.0, mean / 200.0);
  }
  const double mean = all.mean();
  std::printf("  %-12s %6s %7zu %9.1f %9.1f %9.1f %9.1f %11.2f %11.2f\n", "all", "", all.v.size(),
              mean, all.pct(0.5), all.pct(0.99), all.pct(1.0), mean / 100.0, mean / 200.0);
}

void bench_sampler() {
  const std::size_t n = 151936;
  rmlx::sampling::Rng rng(3);
  std::vector<float> base(n);
  for (auto& x : base) x = static_cast<float>(rng.uniform() * 20.0 - 10.0);
  TokenMask half(n);
  for (std::size_t i = 0; i < n; i += 2) half.set(i);
  struct Case {
    const char* name;
    rmlx::sampling::SamplingParams p;
    bool masked;
  };
  std::vector<Case> cases;
  rmlx::sampling::SamplingParams p;
  p.temperature = 0.0f;
  cases.push_back({"greedy", p, false});
  cases.push_back({"greedy+mask", p, true});
  p.logprobs = true;
  p.top_logprobs = 5;
  cases.push_back({"greedy+logprobs5", p, false});
  p = {};
  p.temperature = 0.7f;
  cases.push_back({"temp0.7", p, false});
  p.top_k = 40;
  cases.push_back({"temp+top_k40", p, false});
  p.top_k = 0;
  p.top_p = 0.9f;
  cases.push_back({"temp+top_p0.9", p, false});
  p.min_p = 0.05f;
  p.repetition_penalty = 1.1f;
  p.frequency_penalty = 0.2f;
  cases.push_back({"top_p+min_p+pen", p, false});
  std::vector<std::int32_t> history(2048);
  for (auto& h : history) h = static_cast<std::int32_t>(rng.next() % n);
  std::printf("\nsampler on a %zu-wide row (2048 tokens of history):\n", n);
  for (const auto& c : cases) {
    rmlx::sampling::Sampler s(c.p, 1);
    std::vector<float> row;
    Stats st;
    for (int i = 0; i < 200; ++i) {
      row = base;
      const auto t = Clock::now();
      s.sample(row, std::span(history).first(1024), std::span(history).subspan(1024),
               c.masked ? &half : nullptr);
      st.v.push_back(us_since(t));
    }
    std::printf("  %-18s mean %7.1f us  p50 %7.1f us\n", c.name, st.mean(), st.pct(0.5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TOKENIZER_JSON SCHEMAS_JSON [DOCS_PER_SCHEMA]\n", argv[0]);
    return 2;
  }
  const int docs = argc > 3 ? std::atoi(argv[3]) : 10;
  std::ifstream in(argv[2]);
  const auto schemas = nlohmann::ordered_json::parse(in);
  const std::vector<std::string> eos{"<|im_end|>", "<|endoftext|>"};

  auto full = rmlx::grammar::testing::load_byte_level_vocab(argv[1], eos);
  auto small = rmlx::grammar::testing::load_byte_level_vocab(argv[1], eos, 49152);
  small.token_bytes.emplace_back();  // an eos of its own past the cut
  small.eos_ids = {static_cast<std::int32_t>(small.token_bytes.size() - 1)};

  bench_sampler();
  bench_vocab("49k vocabulary (Qwen3 ids < 49152)", std::move(small.token_bytes),
              std::move(small.eos_ids), schemas, docs);
  bench_vocab("151k vocabulary (Qwen3)", std::move(full.token_bytes), std::move(full.eos_ids),
              schemas, docs);
  return 0;
}
