// `rmlx-host embed`: sentence embeddings for text from --text or from each
// line of standard input.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.h"
#include "rmlx/embed/embedder.h"

namespace po = boost::program_options;

namespace rmlx::host {

const char* summary_embed() {
  return "sentence embeddings of --text or of each line of stdin (embedding models)";
}

int cmd_embed(CommandContext& ctx) {
  bool help = false, json = false, no_truncate = false;
  std::string model;
  std::vector<std::string> texts;
  embed::EmbedderOptions options;
  po::options_description desc("embed options");
  add_common_options(desc, ctx.plugin_dirs, help);
  desc.add_options()("model,m", po::value(&model), "the embedding model's snapshot folder")(
      "text", po::value(&texts), "a text to embed (repeatable; default: each line of stdin)")(
      "json", po::bool_switch(&json),
      "print one JSON object per input: {\"index\", \"tokens\", \"embedding\"}")(
      "no-truncate", po::bool_switch(&no_truncate),
      "fail on inputs longer than the model's limit instead of cutting them")(
      "backend", po::value(&options.backend)->default_value("cpu"), "compute backend")(
      "threads", po::value(&options.threads)->default_value(0), "CPU threads (0: all cores)")(
      "max-batch-tokens", po::value(&options.max_batch_tokens)->default_value(8192),
      "tokens per forward pass");
  po::variables_map vm;
  if (!parse_command_line(ctx, desc, nullptr, vm)) return 2;
  if (help) {
    print_command_help(ctx, "--model DIR [--text TEXT ...] [--json]", desc);
    return 0;
  }
  if (model.empty()) {
    std::cerr << "rmlx-host embed: --model is required\n";
    return 2;
  }
  try {
    if (!vm.count("text")) {
      for (std::string line; std::getline(std::cin, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        texts.push_back(line);
      }
    }
    auto registry = open_registry(ctx.plugin_dirs);
    options.model_dir = model;
    auto embedder = embed::Embedder::load(options, *registry);
    std::vector<std::vector<std::int32_t>> inputs;
    inputs.reserve(texts.size());
    for (const auto& t : texts) inputs.push_back(embedder->tokenize(t, !no_truncate));
    std::vector<std::size_t> lengths;
    for (const auto& in : inputs) lengths.push_back(in.size());
    auto vectors = embedder->embed(std::move(inputs));
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      if (json) {
        nlohmann::json row = {{"index", i}, {"tokens", lengths[i]}, {"embedding", vectors[i]}};
        std::cout << row.dump() << "\n";
      } else {
        std::string line;
        char buf[32];
        for (std::size_t j = 0; j < vectors[i].size(); ++j) {
          std::snprintf(buf, sizeof buf, "%s%.9g", j ? " " : "",
                        static_cast<double>(vectors[i][j]));
          line += buf;
        }
        std::cout << line << "\n";
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rmlx::host
