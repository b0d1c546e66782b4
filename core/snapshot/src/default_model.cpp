#include "rmlx/snapshot/default_model.h"

#include <cstdlib>
#include <filesystem>

namespace rmlx::snapshot {

namespace {

// Empty when unset.
std::filesystem::path env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::filesystem::path(v) : std::filesystem::path();
}

}  // namespace

std::string cache_dir() {
  if (auto d = env("RMLX_CACHE_DIR"); !d.empty()) return d.string();
  if (auto x = env("XDG_CACHE_HOME"); !x.empty()) return (x / "rmlx").string();
  auto home = env("HOME");
  if (home.empty()) home = ".";
  return (home / ".cache" / "rmlx").string();
}

std::string default_model_dir() {
  return (std::filesystem::path(cache_dir()) / "models" / kDefaultModelName).string();
}

}  // namespace rmlx::snapshot
