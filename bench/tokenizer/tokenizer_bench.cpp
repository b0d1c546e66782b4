// Single-threaded encode throughput on a JSON-lines corpus.
// Usage: tokenizer_bench TOKENIZER_JSON CORPUS_JSONL [REPEATS]
// Prints one line: load seconds, bytes, tokens, encode seconds (best of REPEATS), MB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rmlx/tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: tokenizer_bench TOKENIZER_JSON CORPUS_JSONL [REPEATS]\n";
    return 2;
  }
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  using Clock = std::chrono::steady_clock;
  try {
    std::vector<std::string> texts;
    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string(argv[2]) + ": cannot open file");
    std::string line;
    size_t bytes = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      texts.push_back(nlohmann::json::parse(line).get<std::string>());
      bytes += texts.back().size();
    }
    const auto t0 = Clock::now();
    const auto tok = rmlx::tokenizer::Tokenizer::from_file(argv[1]);
    const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
    double best = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < repeats; ++r) {
      tokens = 0;
      const auto a = Clock::now();
      for (const auto& t : texts) tokens += tok.encode(t, true).size();
      best = std::min(best, std::chrono::duration<double>(Clock::now() - a).count());
    }
    std::printf("load_s=%.3f bytes=%zu tokens=%zu encode_s=%.4f MB_per_s=%.2f\n", load_s, bytes,
                tokens, best, static_cast<double>(bytes) / best / 1e6);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
