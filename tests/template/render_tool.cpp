// template_render TEMPLATE_FILE CONTEXT_JSON_FILE: prints the rendered text, or
// "ERROR: <what()>" and exit status 1.
// template_render --batch CASES.jsonl: for each line {"template": ..., "context": {...}} prints
// one JSON line, {"rendered": ...} or {"error": <message>} (used for differential testing
// against Python jinja2).
#include <fstream>
#include <iostream>
#include <sstream>

#include "rmlx/template/chat_template.hpp"

namespace {

std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(path) + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int batch(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot open\n";
    return 2;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto row = nlohmann::ordered_json::parse(line);
    nlohmann::ordered_json out;
    try {
      auto t = rmlx::tmpl::ChatTemplate::parse(row["template"].get<std::string>());
      out["rendered"] = t.render(row["context"]);
    } catch (const rmlx::tmpl::TemplateError& e) {
      out["error"] = e.message();
      out["what"] = e.what();
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--batch") return batch(argv[2]);
  if (argc != 3) {
    std::cerr << "usage: template_render TEMPLATE_FILE CONTEXT_JSON_FILE\n"
                 "       template_render --batch CASES.jsonl\n";
    return 2;
  }
  try {
    auto t = rmlx::tmpl::ChatTemplate::parse(slurp(argv[1]));
    std::cout << t.render(nlohmann::ordered_json::parse(slurp(argv[2])));
    return 0;
  } catch (const std::exception& e) {
    std::cout << "ERROR: " << e.what();
    return 1;
  }
}
