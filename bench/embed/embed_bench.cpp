// rmlx_embed_bench MODEL_DIR TEXTS_FILE [--batch N]... [--threads T] [--seconds S] [--dump F]
// Embeds the texts (one per line) in requests of N inputs, round after round
// for at least S seconds per batch size, and prints one JSON line per batch
// size: inputs/s, tokens/s (special tokens included), mean tokens per input.
// Tokenizing is timed with the forward passes (text in, vector out), as the
// other engines of bench/embed/run.py are timed. --dump writes every text's
// vector (a JSON list of lists) for the accuracy column.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rmlx/embed/embedder.h"
#include "rmlx/registry/registry.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: rmlx_embed_bench MODEL_DIR TEXTS_FILE [--batch N]... [--threads T] "
                 "[--seconds S]\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::off);
  std::vector<int> batches;
  int threads = 0;
  double seconds = 3.0;
  std::string dump;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (flag == "--batch") batches.push_back(v);
    if (flag == "--threads") threads = v;
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--dump") dump = argv[i + 1];
  }
  if (batches.empty()) batches = {1, 64};
  std::vector<std::string> texts;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) texts.push_back(line);
  if (texts.empty()) {
    std::cerr << argv[2] << ": no texts\n";
    return 1;
  }
  try {
    rmlx::registry::Registry registry;
    registry.scan({RMLX_PLUGIN_BUILD_DIR});
    rmlx::embed::EmbedderOptions o;
    o.model_dir = argv[1];
    o.threads = threads;
    auto e = rmlx::embed::Embedder::load(o, registry);
    std::vector<std::int64_t> lengths;
    for (const auto& t : texts) lengths.push_back(static_cast<std::int64_t>(e->tokenize(t).size()));
    e->embed({e->tokenize(texts[0])});  // warm-up
    if (!dump.empty()) {
      std::vector<std::vector<std::int32_t>> all;
      for (const auto& t : texts) all.push_back(e->tokenize(t));
      std::ofstream(dump) << nlohmann::json(e->embed(std::move(all))).dump();
    }
    for (int b : batches) {
      using clock = std::chrono::steady_clock;
      const auto start = clock::now();
      std::int64_t inputs = 0, tokens = 0;
      std::size_t next = 0;
      double elapsed = 0;
      do {
        std::vector<std::vector<std::int32_t>> req;
        for (int k = 0; k < b; ++k) {
          req.push_back(e->tokenize(texts[next]));
          tokens += lengths[next];
          next = (next + 1) % texts.size();
        }
        inputs += b;
        e->embed(std::move(req));
        elapsed = std::chrono::duration<double>(clock::now() - start).count();
      } while (elapsed < seconds || inputs < static_cast<std::int64_t>(texts.size()));
      std::cout << nlohmann::json{{"engine", "rmlx"},
                                  {"batch", b},
                                  {"inputs_per_s", static_cast<double>(inputs) / elapsed},
                                  {"tokens_per_s", static_cast<double>(tokens) / elapsed},
                                  {"mean_tokens",
                                   static_cast<double>(tokens) / static_cast<double>(inputs)},
                                  {"seconds", elapsed}}
                       .dump()
                << std::endl;
    }
  } catch (const std::exception& ex) {
    std::cerr << ex.what() << "\n";
    return 1;
  }
  return 0;
}
