// Anthropic /v1/messages (and /v1/messages/count_tokens) bodies to
// GenerationRequest, with every field checked.
#pragma once

#include "api/generation_request.h"

namespace rmlx::api {

// `count_only`: the count_tokens form (no max_tokens).
GenerationRequest parse_messages_request(const Json& body, bool count_only = false);

}  // namespace rmlx::api
