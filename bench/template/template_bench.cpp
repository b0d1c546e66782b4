// Render time of every chat template in <shared>/tokenizers for a 41-message conversation with
// tools, tool calls and tool results (10 copies of conversation.json's turn after a system
// prompt). Prints microseconds per render; bench_python.py prints the same for transformers.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "rmlx/template/chat_template.hpp"

namespace {

nlohmann::ordered_json load_conversation() {
  std::ifstream in(std::filesystem::path(__FILE__).parent_path() / "conversation.json");
  auto doc = nlohmann::ordered_json::parse(in);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  messages.push_back({{"role", "system"}, {"content", "You are a helpful assistant."}});
  for (int i = 0; i < 10; ++i)
    for (const auto& m : doc["turn"]) messages.push_back(m);
  doc["messages"] = messages;
  return doc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: template_bench SHARED_DIR [iterations]\n");
    return 2;
  }
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  auto doc = load_conversation();
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(argv[1]) / "tokenizers")) {
    auto cfg = rmlx::tmpl::ChatTemplateConfig::load(entry.path());
    if (cfg.templates.empty()) continue;
    auto tmpl = rmlx::tmpl::ChatTemplate::parse(cfg.select(true));
    auto vars = rmlx::tmpl::chat_variables(cfg, doc["messages"], doc["tools"], true,
                                           nlohmann::ordered_json::object());
    size_t bytes = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      try {
        bytes = tmpl.render(vars).size();
      } catch (const rmlx::tmpl::TemplateError& e) {
        bytes = 0;  // some templates reject tool turns; timing the raise is still meaningful
      }
    }
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count() /
                iterations;
    auto parse_start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) (void)rmlx::tmpl::ChatTemplate::parse(cfg.select(true));
    double parse_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - parse_start)
            .count() /
        iterations;
    std::printf("%-12s render %8.1f us  parse %7.1f us  (%zu bytes)\n",
                entry.path().filename().c_str(), us, parse_us, bytes);
  }
  return 0;
}
