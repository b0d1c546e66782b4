// Anthropic Messages response bodies and stream events.
#pragma once

#include <string>

#include "api/api_error.h"
#include "api/generation.h"
#include "api/part_stream.h"

namespace rmlx::api {

struct MessageMeta {
  std::string id;  // msg_…
  std::string model;
  int input_tokens = 0;
};

std::string anthropic_stop_reason(const ChoiceResult& c);
Json anthropic_usage(const Usage& u);
Json message_body(const MessageMeta& meta, const ChoiceResult& choice, const Usage& usage);

// message_start, content blocks opened and closed as the kind of output
// changes, message_delta and message_stop.
class MessageStreamWriter : public ChoiceSink, private PartStream {
 public:
  explicit MessageStreamWriter(MessageMeta meta);
  void begin();
  void on_events(const ChoiceResult& choice, const std::vector<sdk::ParseEvent>& events,
                 const std::vector<TokenLogprob>& logprobs) override;
  void on_finish(const ChoiceResult& choice) override;
  void end(const Usage& usage, const ChoiceResult& choice);
  void ping();
  // An error after the stream began: event "error".
  void error(const ApiError& e);
  std::string take() { return std::exchange(out_, {}); }

 private:
  void part_opened(Part kind, const sdk::ParseEvent* call) override;
  void part_delta(Part kind, const std::string& text) override;
  void part_closed(Part kind) override;

  MessageMeta meta_;
  std::string out_;
  int index_ = -1;
};

}  // namespace rmlx::api
