#include "rmlx/parsers/events.h"

namespace rmlx::parsers {

void EventList::text(sdk::EventKind kind, std::string_view text) {
  if (text.empty()) return;
  if (!events_.empty() && events_.back().kind == kind) {
    events_.back().text += text;
    return;
  }
  sdk::ParseEvent e;
  e.kind = kind;
  e.text = std::string(text);
  events_.push_back(std::move(e));
}

void EventList::content(std::string_view text) {
  this->text(sdk::EventKind::content, text);
}

void EventList::reasoning(std::string_view text) {
  this->text(sdk::EventKind::reasoning, text);
}

void EventList::call(int index, const std::string& id, const ToolCall& call) {
  sdk::ParseEvent begin;
  begin.kind = sdk::EventKind::tool_call_begin;
  begin.tool_index = index;
  begin.id = id;
  begin.name = call.name;
  events_.push_back(std::move(begin));
  sdk::ParseEvent args;
  args.kind = sdk::EventKind::tool_call_args;
  args.tool_index = index;
  args.text = call.arguments;
  events_.push_back(std::move(args));
  sdk::ParseEvent end;
  end.kind = sdk::EventKind::tool_call_end;
  end.tool_index = index;
  events_.push_back(std::move(end));
}

std::vector<sdk::ParseEvent> EventList::take() {
  std::vector<sdk::ParseEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace rmlx::parsers
