// The Harmony message stream of gpt-oss:
//   <|start|>ROLE[ to=R]<|channel|>CHANNEL[ to=R][ <|constrain|>TYPE]<|message|>BODY<|end|>
// where the body ends with <|end|>, <|call|> or <|return|> (or, when the model
// skips the end token, at the next <|start|> / <|channel|>). The prompt ends
// with `<|start|>assistant`, so the output usually starts inside a header.
//
// The `analysis` channel is reasoning; `final` and recipient-less
// `commentary` are content. A message with a recipient is a tool call: the
// tool parser turns `functions.NAME` calls into call events, while the
// reasoning parser passes such messages through verbatim as content, so a
// tool parser placed after it still sees them. A call whose body does not
// parse stays content, verbatim.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rmlx/parsers/events.h"

namespace rmlx::parsers {

class HarmonyStream {
 public:
  explicit HarmonyStream(bool parse_calls) : parse_calls_(parse_calls) {}

  void reset(std::string_view prompt_tail, std::uint64_t id_seed, std::uint64_t stream);
  void feed(std::string_view text, EventList& out);
  void finish(EventList& out);

 private:
  enum class State { start, between, header, body };
  enum class Body { content, reasoning, call, passthrough };

  void pump(bool eof, EventList& out);
  bool pump_start(bool eof);
  bool pump_between(bool eof, EventList& out);
  bool pump_header(bool eof, EventList& out);
  bool pump_body(bool eof, EventList& out);
  void open_body(EventList& out);
  void body_text(std::string_view text, EventList& out);
  void end_message(std::string_view end_token, EventList& out);
  void between_text(std::string_view text, EventList& out);

  bool parse_calls_;
  std::uint64_t id_seed_ = 0;
  std::uint64_t stream_ = 0;
  State state_ = State::between;
  Body body_kind_ = Body::content;
  std::string buf_;
  std::string header_;  // raw header text, from its first byte to before <|message|>
  std::string body_;    // a call's body, collected whole
  std::string name_;
  std::string ws_;
  bool after_message_ = false;
  int next_index_ = 0;
};

}  // namespace rmlx::parsers
