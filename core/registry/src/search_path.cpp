#include "rmlx/registry/search_path.h"

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace rmlx::registry {

std::string installed_plugin_dir() {
  std::filesystem::path exe = boost::dll::program_location().string();
  return (exe.parent_path().parent_path() / "lib" / "rmlx" / "plugins").lexically_normal().string();
}

std::vector<std::string> plugin_search_dirs(const std::vector<std::string>& cli_dirs) {
  std::vector<std::string> dirs;
  auto add = [&dirs](const std::string& d) {
    if (d.empty()) return;
    std::string norm = std::filesystem::path(d).lexically_normal().string();
    if (norm.size() > 1 && norm.back() == '/') norm.pop_back();
    if (std::find(dirs.begin(), dirs.end(), norm) == dirs.end()) dirs.push_back(norm);
  };
  for (const auto& d : cli_dirs) add(d);
  if (const char* env = std::getenv("RMLX_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string part;
    while (std::getline(ss, part, ':')) add(part);
  }
  add(installed_plugin_dir());
  return dirs;
}

}  // namespace rmlx::registry
