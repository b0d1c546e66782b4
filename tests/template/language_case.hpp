#pragma once

// Shared pieces of the language tests: each case is a template, a JSON context and the exact
// text Python jinja2 renders under transformers' environment (ImmutableSandboxedEnvironment,
// trim_blocks, lstrip_blocks, loop controls, transformers' globals and tojson).

#include <string>

#include "rmlx/template/chat_template.hpp"

namespace rmlx::tmpl::testing {

struct RenderCase {
  const char* source;
  const char* context;
  const char* expected;
};

struct ErrorCase {
  const char* source;
  const char* context;
  const char* what;  // the full TemplateError::what()
};

inline constexpr const char* kCtx =
    R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello!"}], "d": {"a": 1, "b": [1, 2, 3], "s": "Hello World", "n": null, "t": true, "f": 1.5, "u": "h\u00e9llo w\u00f6rld", "nested": {"x": {"y": "deep"}}}, "items": [{"name": "b", "v": 2, "ok": true}, {"name": "a", "v": 1, "ok": false}, {"name": "C", "v": 3, "ok": true}], "words": ["banana", "Apple", "cherry", "apple"], "nums": [3, 1, 2], "text": "  line one\nline two\n\nline four  "})";

inline std::string render(const char* source, const char* context) {
  return ChatTemplate::parse(source).render(nlohmann::ordered_json::parse(context));
}

}  // namespace rmlx::tmpl::testing
