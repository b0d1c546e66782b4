// OpenAI Responses API (/v1/responses): request items to a conversation,
// the response object, and its typed stream events (the sequence Codex CLI
// consumes: response.created … response.completed).
#pragma once

#include <string>
#include <vector>

#include "api/generation.h"
#include "api/part_stream.h"

namespace rmlx::api {

struct ResponsesRequest {
  GenerationRequest gen;
  Json echo;  // request fields repeated in the response object (tools, instructions, ...)
  std::string previous_response_id;
  bool store = true;
};

ResponsesRequest parse_responses_request(const Json& body);

struct ResponseState {
  std::string id;  // resp_…
  std::string model;
  std::int64_t created_at = 0;
  Json echo;
};

// The finished response object (status completed / incomplete / failed).
Json response_object(const ResponseState& state, const ChoiceResult* choice, const Usage* usage,
                     const Json& output);
// The output items of a finished choice.
Json response_output(const ChoiceResult& choice, const std::string& id_suffix);

class ResponsesStreamWriter : public ChoiceSink, private PartStream {
 public:
  explicit ResponsesStreamWriter(ResponseState state);
  void begin();
  void on_events(const ChoiceResult& choice, const std::vector<sdk::ParseEvent>& events,
                 const std::vector<TokenLogprob>& logprobs) override;
  void on_finish(const ChoiceResult& choice) override;
  void end(const ChoiceResult& choice, const Usage& usage);
  // response.failed with `code` and `message`.
  void fail(const std::string& code, const std::string& message);
  std::string take() { return std::exchange(out_, {}); }
  const Json& output() const { return output_; }

 private:
  void emit(const std::string& type, Json payload);
  void part_opened(Part kind, const sdk::ParseEvent* call) override;
  void part_delta(Part kind, const std::string& text) override;
  void part_closed(Part kind) override;

  ResponseState state_;
  std::string out_;
  int seq_ = 0;
  int output_index_ = -1;
  std::string item_id_;
  std::string text_;
  std::string call_id_, call_name_;
  Json output_ = Json::array();
};

}  // namespace rmlx::api
