// Tool calls written as JSON objects: {"name", "arguments"|"parameters"} and
// the OpenAI shape {"function": {...}}, alone, in arrays, one after another,
// or inside a ``` code fence.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "rmlx/parsers/declared_tools.h"
#include "rmlx/parsers/events.h"
#include "rmlx/parsers/lenient_json.h"

namespace rmlx::parsers {

// One call object; arguments may be an object or a string holding one.
// A string "id" member is kept as the call id.
std::optional<ToolCall> call_from_json(const Json& j);

// Every value in `text` (whitespace, ',' or ';' between them, an optional
// ``` fence around them) must be a call object or an array of them.
std::optional<std::vector<ToolCall>> parse_json_calls(std::string_view text);

// For one or more JSON values starting at text[i] ('{' or '['), separated
// by whitespace, ',' or ';': the offset just past the last one. npos while
// more text could extend them (inside a value, or only separators after the
// last one, unless at eof).
// `first` (optional) resumes the scan of the first value.
std::size_t json_values_end(std::string_view text, std::size_t i, bool eof,
                            BalancedScan* first = nullptr);

// Arguments text (lenient JSON object, maybe fenced) as compact JSON.
std::optional<std::string> parse_arguments(std::string_view text);

// Drops one surrounding ``` fence (with an optional language word) if present.
std::string_view strip_code_fence(std::string_view text);

// For text starting with '{' or '[': whether it begins like a call object
// (first key "name") whose name is acceptable: any name when `tools` is null,
// else a declared one.
enum class Prefix { need_more, match, reject };
Prefix call_object_prefix(std::string_view text, const DeclaredTools* tools);

}  // namespace rmlx::parsers
