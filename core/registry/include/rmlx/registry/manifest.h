// Plugin manifests (plugins.yaml): what each plugin library provides, known
// without opening the library.
#pragma once

#include <string>
#include <vector>

#include "rmlx/sdk/component.h"

namespace rmlx::registry {

struct ProvidedName {
  sdk::ComponentKind kind = sdk::ComponentKind::invalid;
  std::string name;
};

struct ManifestEntry {
  std::string name;
  std::string version;
  std::string library;  // absolute path, resolved against the manifest's folder
  std::vector<ProvidedName> provides;
};

struct Manifest {
  std::string path;
  std::vector<ManifestEntry> entries;
};

// Parses one manifest. Entries with problems are skipped; each problem is one
// line appended to `problems` naming the file, the plugin and what is wrong.
// Returns false when the whole file is unusable.
bool parse_manifest(const std::string& path, Manifest& out, std::vector<std::string>& problems);

}  // namespace rmlx::registry
