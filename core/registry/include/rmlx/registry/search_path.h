#pragma once

#include <string>
#include <vector>

namespace rmlx::registry {

// The manifest directories, in priority order: the given --plugins dirs, then
// $RMLX_PLUGIN_PATH (colon-separated), then the install's plugin folder
// (<exe>/../lib/rmlx/plugins). Duplicates are dropped, first one kept.
std::vector<std::string> plugin_search_dirs(const std::vector<std::string>& cli_dirs);

// <directory of the running executable>/../lib/rmlx/plugins
std::string installed_plugin_dir();

}  // namespace rmlx::registry
