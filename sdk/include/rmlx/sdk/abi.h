// The plugin ABI version. A plugin built against a different value is refused
// by the host with an error naming both numbers. Bump it whenever any type in
// sdk/ changes layout or a virtual function is added, removed or reordered.
#pragma once

#include <cstdint>

#define RMLX_ABI_VERSION 4

namespace rmlx::sdk {

inline constexpr std::uint32_t kAbiVersion = RMLX_ABI_VERSION;
inline constexpr const char* kEntryPointName = "rmlx_plugin_entry";

}  // namespace rmlx::sdk
