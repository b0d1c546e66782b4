#include "rmlx/registry/manifest.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <filesystem>

#include "rmlx/sdk/abi.h"

namespace rmlx::registry {

namespace {

std::string entry_label(const YAML::Node& node, std::size_t index) {
  if (node.IsMap() && node["name"] && node["name"].IsScalar()) {
    return fmt::format("plugin {}", node["name"].as<std::string>());
  }
  return fmt::format("plugin #{}", index + 1);
}

// Returns an empty string when fine, else the problem.
std::string read_entry(const YAML::Node& node, const std::filesystem::path& dir, ManifestEntry& e) {
  if (!node.IsMap()) return "entry is not a mapping";
  for (const char* field : {"name", "library", "provides"}) {
    if (!node[field]) return fmt::format("missing required field '{}'", field);
  }
  if (!node["name"].IsScalar()) return "field 'name' must be a string";
  if (!node["library"].IsScalar()) return "field 'library' must be a string";
  e.name = node["name"].as<std::string>();
  std::filesystem::path lib = node["library"].as<std::string>();
  e.library = (lib.is_absolute() ? lib : dir / lib).lexically_normal().string();
  e.version =
      node["version"] && node["version"].IsScalar() ? node["version"].as<std::string>() : "";
  const YAML::Node& provides = node["provides"];
  if (!provides.IsMap() || provides.size() == 0) {
    return "field 'provides' must map a kind to a list of names";
  }
  for (const auto& kv : provides) {
    auto kind_text = kv.first.as<std::string>();
    auto kind = sdk::kind_from_name(kind_text);
    if (!kind) {
      return fmt::format(
          "unknown kind '{}' in 'provides' (expected architecture, weight_format, kv_codec, "
          "drafter, tool_parser, reasoning_parser or backend)",
          kind_text);
    }
    const YAML::Node& names = kv.second;
    if (!names.IsSequence()) return fmt::format("'provides.{}' must be a list of names", kind_text);
    for (const auto& n : names) {
      if (!n.IsScalar()) return fmt::format("'provides.{}' must be a list of names", kind_text);
      e.provides.push_back({*kind, n.as<std::string>()});
    }
  }
  return {};
}

}  // namespace

bool parse_manifest(const std::string& path, Manifest& out, std::vector<std::string>& problems) {
  out.path = path;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    problems.push_back(fmt::format("{}: invalid YAML at line {}, column {}: {}", path,
                                   e.mark.line + 1, e.mark.column + 1, e.msg));
    return false;
  } catch (const YAML::Exception& e) {
    problems.push_back(fmt::format("{}: cannot read manifest: {}", path, e.msg));
    return false;
  }
  if (!root.IsMap()) {
    problems.push_back(
        fmt::format("{}: manifest must be a mapping with 'abi' and 'plugins'", path));
    return false;
  }
  if (root["abi"]) {
    long abi = -1;
    try {
      abi = root["abi"].as<long>();
    } catch (const YAML::Exception&) {
    }
    if (abi != static_cast<long>(sdk::kAbiVersion)) {
      problems.push_back(fmt::format("{}: manifest is for ABI {}, expected ABI {}; skipped", path,
                                     root["abi"].Scalar(), sdk::kAbiVersion));
      return false;
    }
  }
  const YAML::Node& list = root["plugins"];
  if (list && list.IsNull()) return true;  // an empty list
  if (!list || !list.IsSequence()) {
    problems.push_back(fmt::format("{}: missing required field 'plugins' (a list)", path));
    return false;
  }
  auto dir = std::filesystem::path(path).parent_path();
  for (std::size_t i = 0; i < list.size(); ++i) {
    ManifestEntry e;
    std::string problem;
    try {
      problem = read_entry(list[i], dir, e);
    } catch (const YAML::Exception& ex) {
      problem = ex.msg;
    }
    if (!problem.empty()) {
      problems.push_back(fmt::format("{}: {}: {}", path, entry_label(list[i], i), problem));
      continue;
    }
    out.entries.push_back(std::move(e));
  }
  return true;
}

}  // namespace rmlx::registry
