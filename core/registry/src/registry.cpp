#include "rmlx/registry/registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/dll/shared_library.hpp>
#include <filesystem>

namespace rmlx::registry {

namespace fs = std::filesystem;

const char* state_name(PluginState s) {
  switch (s) {
    case PluginState::available:
      return "available";
    case PluginState::loaded:
      return "loaded";
    case PluginState::failed:
      return "failed";
    case PluginState::invalid:
      break;
  }
  return "invalid";
}

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::report(std::string line) {
  std::lock_guard lock(mu_);
  spdlog::error("{}", line);
  diagnostics_.push_back(std::move(line));
}

void Registry::scan(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    fs::path manifest_path = fs::path(dir) / "plugins.yaml";
    std::error_code ec;
    if (!fs::is_regular_file(manifest_path, ec)) {
      spdlog::debug("{}: no plugins.yaml, skipped", dir);
      continue;
    }
    Manifest manifest;
    std::vector<std::string> problems;
    parse_manifest(manifest_path.string(), manifest, problems);
    for (auto& p : problems) report(std::move(p));
    for (auto& entry : manifest.entries) {
      Plugin plugin;
      plugin.manifest = std::move(entry);
      plugin.manifest_path = manifest.path;
      const std::size_t index = plugins_.size();
      std::vector<ProvidedName> kept;
      for (const auto& provided : plugin.manifest.provides) {
        auto key = std::make_pair(provided.kind, provided.name);
        auto it = index_.find(key);
        if (it != index_.end()) {
          const Plugin& earlier = plugins_[it->second];
          report(fmt::format(
              "{}: plugin {}: {} '{}' is already provided by plugin {} from {}; the earlier one "
              "wins",
              plugin.manifest_path, plugin.manifest.name, sdk::kind_name(provided.kind),
              provided.name, earlier.manifest.name, earlier.manifest_path));
          continue;
        }
        index_.emplace(key, index);
        kept.push_back(provided);
      }
      plugin.manifest.provides = std::move(kept);
      if (!fs::is_regular_file(plugin.manifest.library, ec)) {
        plugin.state = PluginState::failed;
        plugin.error = fmt::format("library {} not found", plugin.manifest.library);
        report(fmt::format("{}: plugin {}: {}", plugin.manifest_path, plugin.manifest.name,
                           plugin.error));
      }
      plugins_.push_back(std::move(plugin));
    }
  }
}

const Plugin* Registry::provider(sdk::ComponentKind kind, const std::string& name) const {
  auto it = index_.find({kind, name});
  return it == index_.end() ? nullptr : &plugins_[it->second];
}

std::vector<std::string> Registry::names(sdk::ComponentKind kind) const {
  std::vector<std::string> out;
  for (const auto& [key, index] : index_) {
    if (key.first == kind) out.push_back(key.second);
  }
  return out;
}

bool Registry::load(std::size_t index) {
  std::lock_guard lock(mu_);
  Plugin& p = plugins_.at(index);
  if (p.state == PluginState::loaded) return true;
  if (p.state == PluginState::failed) return false;
  auto fail = [&](std::string why) {
    p.state = PluginState::failed;
    p.error = std::move(why);
    p.library.reset();
    p.descriptor = nullptr;
    report(fmt::format("plugin {}: {}", p.manifest.name, p.error));
    return false;
  };
  const std::string& path = p.manifest.library;
  auto lib = std::make_shared<boost::dll::shared_library>();
  try {
    lib->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return fail(fmt::format("cannot open {}: {}", path, e.what()));
  }
  if (!lib->has(sdk::kEntryPointName)) {
    return fail(fmt::format("{} has no entry point '{}'", path, sdk::kEntryPointName));
  }
  auto& entry = lib->get_alias<sdk::EntryPoint>(sdk::kEntryPointName);
  const sdk::PluginDescriptor* d = entry();
  if (d == nullptr) return fail(fmt::format("{}: entry point returned no descriptor", path));
  if (d->abi_version != sdk::kAbiVersion) {
    return fail(fmt::format("{} was built for ABI {}, expected ABI {}", path, d->abi_version,
                            sdk::kAbiVersion));
  }
  if (d->struct_size < sizeof(sdk::PluginDescriptor)) {
    return fail(fmt::format("{}: descriptor of {} bytes, expected {}", path, d->struct_size,
                            sizeof(sdk::PluginDescriptor)));
  }
  for (const auto& provided : p.manifest.provides) {
    bool found = false;
    for (std::size_t i = 0; i < d->component_count; ++i) {
      const auto& c = d->components[i];
      if (c.kind == provided.kind && c.name != nullptr && provided.name == c.name) found = true;
    }
    if (!found) {
      return fail(fmt::format("{} does not provide {} '{}' that its manifest lists", path,
                              sdk::kind_name(provided.kind), provided.name));
    }
  }
  p.library = std::move(lib);
  p.descriptor = d;
  p.state = PluginState::loaded;
  spdlog::debug("plugin {}: loaded {}", p.manifest.name, path);
  return true;
}

int Registry::check_all() {
  std::lock_guard lock(mu_);
  int failed = 0;
  for (std::size_t i = 0; i < plugins_.size(); ++i) {
    if (!load(i)) ++failed;
  }
  return failed;
}

ComponentDeleter Registry::create_raw(sdk::ComponentKind kind, const std::string& name,
                                      const std::string& options_json, void*& out) {
  std::lock_guard lock(mu_);
  out = nullptr;
  auto it = index_.find({kind, name});
  if (it == index_.end()) {
    auto known = names(kind);
    throw RegistryError(
        fmt::format("no plugin provides {} '{}' (known: {})", sdk::kind_name(kind), name,
                    known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
  }
  const std::size_t index = it->second;
  if (!load(index)) {
    const Plugin& p = plugins_[index];
    throw RegistryError(fmt::format("{} '{}' is unavailable: plugin {}: {}", sdk::kind_name(kind),
                                    name, p.manifest.name, p.error));
  }
  const Plugin& p = plugins_[index];
  for (std::size_t i = 0; i < p.descriptor->component_count; ++i) {
    const auto& c = p.descriptor->components[i];
    if (c.kind != kind || c.name == nullptr || name != c.name) continue;
    char error[1024] = {0};
    out = c.create(options_json.c_str(), error, sizeof(error));
    if (out == nullptr) {
      std::string line = fmt::format("plugin {}: {}: creating {} '{}' failed: {}", p.manifest.name,
                                     p.manifest.library, sdk::kind_name(kind), name,
                                     error[0] != '\0' ? error : "no reason given");
      report(line);
      throw RegistryError(line);
    }
    return ComponentDeleter{c.destroy, p.library};
  }
  throw RegistryError(fmt::format("plugin {} does not provide {} '{}'", p.manifest.name,
                                  sdk::kind_name(kind), name));
}

}  // namespace rmlx::registry
