// The plugin registry. Reads manifests from the search dirs and knows which
// plugin provides which name; a library is opened only when one of its names
// is first needed (or on check()). A broken plugin is recorded with its reason
// and never hurts the others. Libraries stay loaded until the registry goes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/registry/manifest.h"
#include "rmlx/sdk/plugin.h"

namespace boost::dll {
class shared_library;
}

namespace rmlx::registry {

class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class PluginState { invalid = 0, available, loaded, failed };

const char* state_name(PluginState s);

struct Plugin {
  ManifestEntry manifest;
  std::string manifest_path;
  PluginState state = PluginState::available;
  std::string error;  // why it failed
  std::shared_ptr<boost::dll::shared_library> library;
  const sdk::PluginDescriptor* descriptor = nullptr;
};

// Destroys a component through its own library and keeps that library loaded.
struct ComponentDeleter {
  sdk::DestroyFn destroy = nullptr;
  std::shared_ptr<boost::dll::shared_library> library;
  void operator()(void* p) const {
    if (p != nullptr && destroy != nullptr) destroy(p);
  }
};

template <typename Interface>
struct TypedDeleter {
  ComponentDeleter inner;
  void operator()(Interface* p) const { inner(p); }
};

// A component created by a plugin; owns a reference to its library.
template <typename Interface>
using Component = std::unique_ptr<Interface, TypedDeleter<Interface>>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Reads the manifest (plugins.yaml) of each directory, earlier ones winning
  // name clashes. Problems are logged and kept in diagnostics().
  void scan(const std::vector<std::string>& dirs);

  const std::vector<Plugin>& plugins() const { return plugins_; }
  const std::vector<std::string>& diagnostics() const { return diagnostics_; }

  // The plugin that provides `name` of `kind`, or nullptr.
  const Plugin* provider(sdk::ComponentKind kind, const std::string& name) const;
  std::vector<std::string> names(sdk::ComponentKind kind) const;

  // Opens the library of plugin `index` if not yet done; false (with the
  // reason in the plugin's error) when it cannot be used.
  bool load(std::size_t index);
  // Opens every library; returns the number that failed.
  int check_all();

  // Creates a component by name; throws RegistryError with one clear line.
  template <typename Interface>
  Component<Interface> create(const std::string& name, const std::string& options_json = "{}") {
    void* raw = nullptr;
    ComponentDeleter del = create_raw(sdk::kind_of<Interface>(), name, options_json, raw);
    return Component<Interface>(static_cast<Interface*>(raw), TypedDeleter<Interface>{del});
  }

 private:
  ComponentDeleter create_raw(sdk::ComponentKind kind, const std::string& name,
                              const std::string& options_json, void*& out);
  void report(std::string line);

  std::vector<Plugin> plugins_;
  // (kind, name) -> plugin index
  std::map<std::pair<sdk::ComponentKind, std::string>, std::size_t> index_;
  std::vector<std::string> diagnostics_;
  // Request threads create components (parsers, drafters) concurrently;
  // loading a library and recording its state must not race. Recursive
  // because create_raw() loads and load() reports.
  mutable std::recursive_mutex mu_;
};

}  // namespace rmlx::registry
