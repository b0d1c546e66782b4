#include "api/part_stream.h"

namespace rmlx::api {

void PartStream::route(const std::vector<sdk::ParseEvent>& events) {
  for (const auto& e : events) {
    switch (e.kind) {
      case sdk::EventKind::content:
        if (part_ != Part::text) open_part(Part::text, nullptr);
        part_delta(Part::text, e.text);
        break;
      case sdk::EventKind::reasoning:
        if (part_ != Part::reasoning) open_part(Part::reasoning, nullptr);
        part_delta(Part::reasoning, e.text);
        break;
      case sdk::EventKind::tool_call_begin:
        open_part(Part::tool_call, &e);
        break;
      case sdk::EventKind::tool_call_args:
        // Arguments outside a call (a parser error) have no part to go to.
        if (part_ == Part::tool_call) part_delta(Part::tool_call, e.text);
        break;
      case sdk::EventKind::tool_call_end:
        close_part();
        break;
      default:
        break;
    }
  }
}

void PartStream::open_part(Part kind, const sdk::ParseEvent* call) {
  close_part();
  part_ = kind;
  part_opened(kind, call);
}

void PartStream::close_part() {
  if (part_ == Part::none) return;
  const Part closing = part_;
  part_closed(closing);
  part_ = Part::none;
}

}  // namespace rmlx::api
