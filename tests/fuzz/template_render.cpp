// libFuzzer: arbitrary bytes as a chat template, parsed and rendered with a fixed context.
// Any TemplateError is an expected outcome; crashes, leaks, hangs and sanitizer reports are not.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rmlx/template/chat_template.hpp"

namespace {

const nlohmann::ordered_json& context() {
  static const nlohmann::ordered_json ctx = nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are helpful."},
      {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
      {"role": "assistant", "content": "", "reasoning_content": "Call the tool.",
       "tool_calls": [{"id": "c1", "type": "function",
                       "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "21C"},
      {"role": "assistant", "content": "<think>\nok\n</think>\n\nIt is 21C. é漢👩‍👩‍👧"}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                              "required": ["city"]}}}],
    "documents": null,
    "add_generation_prompt": true,
    "enable_thinking": false,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "n": 3, "f": 1.5, "flag": true
  })");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rmlx::tmpl::RenderLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.max_loop_iterations = 20000;
  limits.max_call_depth = 50;
  try {
    auto t = rmlx::tmpl::ChatTemplate::parse(std::string(reinterpret_cast<const char*>(data), size),
                                             limits);
    (void)t.render(context());
  } catch (const rmlx::tmpl::TemplateError&) {
  }
  return 0;
}
