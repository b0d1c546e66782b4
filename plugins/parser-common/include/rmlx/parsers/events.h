// Collects parse events, merging adjacent content and reasoning text so a
// feed() returns as few events as possible.
#pragma once

#include <rmlx/sdk/parser.h>

#include <string>
#include <string_view>
#include <vector>

namespace rmlx::parsers {

struct ToolCall {
  std::string name;
  std::string arguments;  // compact JSON object
  std::string id;         // empty: the parser generates one
};

class EventList {
 public:
  void content(std::string_view text);
  void reasoning(std::string_view text);
  // tool_call_begin, tool_call_args (the whole arguments), tool_call_end.
  void call(int index, const std::string& id, const ToolCall& call);
  std::vector<sdk::ParseEvent> take();

 private:
  void text(sdk::EventKind kind, std::string_view text);
  std::vector<sdk::ParseEvent> events_;
};

}  // namespace rmlx::parsers
