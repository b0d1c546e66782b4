// OpenAI response bodies and stream chunks for /v1/chat/completions and
// /v1/completions.
#pragma once

#include <string>
#include <vector>

#include "api/api_error.h"
#include "api/generation.h"

namespace rmlx::api {

struct ResponseMeta {
  std::string id;  // chatcmpl-… / cmpl-…
  std::string model;
  std::int64_t created = 0;
};

Json openai_usage(const Usage& u);
Json chat_logprobs(const std::vector<TokenLogprob>& lps);
Json chat_completion_body(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                          const Usage& usage);
Json completion_body(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                     const std::vector<PreparedPrompt>& prompts, bool echo, const Usage& usage);

// Streams chat.completion.chunk events; text accumulates in out().
class ChatStreamWriter : public ChoiceSink {
 public:
  ChatStreamWriter(ResponseMeta meta, bool include_usage);
  void begin(int choices);
  void on_events(const ChoiceResult& choice, const std::vector<sdk::ParseEvent>& events,
                 const std::vector<TokenLogprob>& logprobs) override;
  void on_finish(const ChoiceResult& choice) override;
  void end(const Usage& usage);
  // An error after the stream began: an error chunk, then [DONE].
  void error(const ApiError& e);
  std::string take() { return std::exchange(out_, {}); }

 private:
  Json chunk(int index, Json delta, Json finish_reason, Json logprobs) const;
  ResponseMeta meta_;
  bool include_usage_;
  std::string out_;
};

// Streams text_completion chunks.
class CompletionStreamWriter : public ChoiceSink {
 public:
  CompletionStreamWriter(ResponseMeta meta, bool include_usage, bool echo,
                         const std::vector<PreparedPrompt>* prompts, int n);
  void begin(int choices);
  void on_events(const ChoiceResult& choice, const std::vector<sdk::ParseEvent>& events,
                 const std::vector<TokenLogprob>& logprobs) override;
  void on_finish(const ChoiceResult& choice) override;
  void end(const Usage& usage);
  void error(const ApiError& e);
  std::string take() { return std::exchange(out_, {}); }

 private:
  Json chunk(int index, const std::string& text, Json finish_reason, Json logprobs) const;
  ResponseMeta meta_;
  bool include_usage_, echo_;
  const std::vector<PreparedPrompt>* prompts_;
  int n_;
  std::string out_;
};

}  // namespace rmlx::api
