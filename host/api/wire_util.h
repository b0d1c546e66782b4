// Small pieces every dialect writer uses: ids, clock, SSE framing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_fields.h"

namespace rmlx::api {

// `prefix` followed by `length` random characters of [0-9A-Za-z].
std::string random_id(std::string_view prefix, std::size_t length = 24);
std::int64_t unix_time();

// "data: <json>\n\n"
std::string sse_data(const Json& payload);
// "event: <name>\ndata: <json>\n\n"
std::string sse_event(std::string_view name, const Json& payload);

}  // namespace rmlx::api
