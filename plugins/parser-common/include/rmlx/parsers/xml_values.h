// Parameter values written as raw text inside XML-like tags (Qwen3-Coder,
// GLM-4.5, MiniMax-M2), converted by the declared parameter type.
#pragma once

#include <string_view>

#include "rmlx/parsers/lenient_json.h"

namespace rmlx::parsers {

// `type` is the schema type ("" when unknown). A value that does not convert
// stays a string. Unknown types stay strings when `unknown_as_string`, else
// they are decoded as JSON when possible.
Json convert_param(std::string_view raw, std::string_view type, bool unknown_as_string);

// Drops one leading and one trailing newline (the tag layout, not the value).
std::string_view strip_layout_newlines(std::string_view v);

}  // namespace rmlx::parsers
