#pragma once

#include <nlohmann/json.hpp>

#include "program.h"

namespace rmlx::grammar::detail {

Program compile_schema(const nlohmann::ordered_json& schema, bool strict);
Program compile_any_object();

}  // namespace rmlx::grammar::detail
