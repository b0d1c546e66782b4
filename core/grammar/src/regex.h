// JSON Schema "pattern" (ECMA-262 syntax, a subset) compiled to a byte-level DFA over the
// UTF-8 content of a string.
#pragma once

#include <string>
#include <string_view>

#include "program.h"

namespace rmlx::grammar::detail {

// Throws std::invalid_argument naming `path` for syntax outside the subset or a pattern that
// matches no string.
Dfa compile_pattern(std::string_view pattern, const std::string& path);

}  // namespace rmlx::grammar::detail
