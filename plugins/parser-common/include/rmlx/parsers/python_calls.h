// Calls written as Python: `[get_weather(city='Paris'), get_time(tz="UTC")]`
// or a single `get_weather(city='Paris')`. Keyword arguments with literal
// values only; anything else is refused.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "rmlx/parsers/declared_tools.h"
#include "rmlx/parsers/events.h"

namespace rmlx::parsers {

// The whole text (whitespace around allowed) is a list of calls, or one call
// when `allow_single` is set.
std::optional<std::vector<ToolCall>> parse_python_calls(std::string_view text, bool allow_single);

// For text starting with '[': whether it begins like `[name(` with an
// acceptable name (any when `tools` is null).
enum class PyPrefix { need_more, match, reject };
PyPrefix python_list_prefix(std::string_view text, const DeclaredTools* tools);

}  // namespace rmlx::parsers
