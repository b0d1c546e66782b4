// ToolParser and ReasoningParser: turn a model's text stream into events,
// incrementally. feed() may be called with any split of the text, down to
// single bytes; the concatenated events never depend on the split.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rmlx::sdk {

enum class EventKind : std::uint8_t {
  invalid = 0,
  content,
  reasoning,
  tool_call_begin,  // tool_index, id, name
  tool_call_args,   // tool_index, text: a fragment of the JSON arguments
  tool_call_end,    // tool_index
};

struct ParseEvent {
  EventKind kind = EventKind::invalid;
  std::string text;
  int tool_index = -1;
  std::string id;
  std::string name;

  bool operator==(const ParseEvent&) const = default;
};

class TextParser {
 public:
  virtual ~TextParser() = default;
  virtual std::string name() const = 0;
  // Starts a new stream. `tools_json` is the request's tool list (JSON array,
  // "[]" when none); `prompt_tail` is the end of the rendered prompt, for
  // formats whose template opens a block in the prompt.
  virtual void reset(std::string_view tools_json, std::string_view prompt_tail) = 0;
  virtual std::vector<ParseEvent> feed(std::string_view text) = 0;
  // End of stream: flushes held-back text.
  virtual std::vector<ParseEvent> finish() = 0;
};

class ToolParser : public TextParser {};
class ReasoningParser : public TextParser {};

}  // namespace rmlx::sdk
