// template_render TEMPLATE_FILE CONTEXT_JSON_FILE: prints the rendered text, or
// "ERROR: <what()>" and exit status 1.
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
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: template_render TEMPLATE_FILE CONTEXT_JSON_FILE\n";
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
