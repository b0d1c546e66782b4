// The kinds of component a plugin can provide.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rmlx::sdk {

enum class ComponentKind : std::uint8_t {
  invalid = 0,
  architecture,
  weight_format,
  kv_codec,
  drafter,
  tool_parser,
  reasoning_parser,
  backend,
};

// The manifest spelling of a kind ("weight_format").
constexpr std::string_view kind_name(ComponentKind k) {
  switch (k) {
    case ComponentKind::architecture: return "architecture";
    case ComponentKind::weight_format: return "weight_format";
    case ComponentKind::kv_codec: return "kv_codec";
    case ComponentKind::drafter: return "drafter";
    case ComponentKind::tool_parser: return "tool_parser";
    case ComponentKind::reasoning_parser: return "reasoning_parser";
    case ComponentKind::backend: return "backend";
    case ComponentKind::invalid: break;
  }
  return "invalid";
}

constexpr std::optional<ComponentKind> kind_from_name(std::string_view s) {
  for (int i = 1; i <= static_cast<int>(ComponentKind::backend); ++i) {
    auto k = static_cast<ComponentKind>(i);
    if (kind_name(k) == s) return k;
  }
  return std::nullopt;
}

}  // namespace rmlx::sdk
