// Message content of each dialect to the plain-text form chat templates take.
#pragma once

#include <string>

#include "api/json_fields.h"

namespace rmlx::api {

// Text of a "content" field: a string, or an array of parts of which only
// text parts are accepted (image, audio and file parts get a 400: no model
// here reads them; malformed parts get a 400 naming the field). Texts of
// several parts are joined with "\n". Null gives "".
std::string openai_content_text(const Json* content, const std::string& field);

// One OpenAI chat message, checked, in the template's shape.
Json openai_message_to_template(const Json& message, const std::string& field);

}  // namespace rmlx::api
