#pragma once

#include <string>

#include "ast.hpp"

namespace rmlx::tmpl::detail {

// Parses a template into statements. Throws TemplateError (Syntax) with line and column.
ProgramData parse_template(const std::string& source);

}  // namespace rmlx::tmpl::detail
