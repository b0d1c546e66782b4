// Where scripts/prepare-default-model.sh puts the default model (SmolLM2-135M-Instruct
// imported from its GGUF): $RMLX_CACHE_DIR, else $XDG_CACHE_HOME/rmlx, else ~/.cache/rmlx,
// followed by models/SmolLM2-135M-Instruct.
#pragma once

#include <string>

namespace rmlx::snapshot {

inline constexpr const char* kDefaultModelName = "SmolLM2-135M-Instruct";

// The cache root (without models/...).
std::string cache_dir();
// The default model's snapshot directory (it may not exist yet).
std::string default_model_dir();

}  // namespace rmlx::snapshot
