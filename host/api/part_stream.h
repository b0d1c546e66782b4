// The parts of a streamed reply: Anthropic content blocks and Responses output items both split
// a reply the same way, so both writers route parser events through this one rule.
#pragma once

#include <string>
#include <vector>

#include "rmlx/sdk/parser.h"

namespace rmlx::api {

// Consecutive events of one kind (answer text, reasoning, the arguments of one tool call) form
// one part; an event of another kind closes the open part and opens the next.
class PartStream {
 public:
  enum class Part { none, text, reasoning, tool_call };
  virtual ~PartStream() = default;

 protected:
  void route(const std::vector<sdk::ParseEvent>& events);
  void open_part(Part kind, const sdk::ParseEvent* call);
  void close_part();
  Part open_kind() const { return part_; }

 private:
  // `call` is the tool_call_begin event for Part::tool_call, null otherwise.
  virtual void part_opened(Part kind, const sdk::ParseEvent* call) = 0;
  virtual void part_delta(Part kind, const std::string& text) = 0;
  virtual void part_closed(Part kind) = 0;

  Part part_ = Part::none;
};

}  // namespace rmlx::api
