// Runs one request's choices on the engine: submits a stream per choice
// (n per prompt), pulls their events, turns tokens into text events and
// keeps each choice's result. Driven from the HTTP thread by pump().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/choice_decoder.h"
#include "api/generation_request.h"
#include "api/prompt_builder.h"
#include "rmlx/engine/engine.h"
#include "rmlx/sampling/token_constraint.h"

namespace rmlx::api {

struct ToolCallResult {
  std::string id, name, arguments;
};

struct ChoiceResult {
  int index = 0;
  int prompt_index = 0;
  std::string content;
  std::string reasoning;
  std::vector<ToolCallResult> tool_calls;
  std::vector<TokenLogprob> logprobs;
  // "stop", "length", "tool_calls", "cancelled" or "error"
  std::string finish_reason;
  std::optional<std::string> stop_sequence;
  std::string error;
  int completion_tokens = 0;
  bool done = false;
};

struct Usage {
  int prompt_tokens = 0;
  int cached_tokens = 0;
  int completion_tokens = 0;
  int reasoning_tokens = 0;
};

// What a generation needs from the model, so that tests can give a fake.
struct GenerationBackend {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  std::function<std::shared_ptr<engine::Stream>(engine::Request)> submit;
  // A reset parser for one choice (nullptr: none).
  std::function<std::shared_ptr<sdk::TextParser>(bool tool, std::uint64_t id_seed)> make_parser;
  std::vector<std::int32_t> eos_ids;
  int max_model_len = 0;
  // Structured output / forced call / reasoning budget for one choice of
  // prompt `prompt_index` (unset or nullptr: free decoding).
  std::function<std::shared_ptr<sampling::TokenConstraint>(std::size_t prompt_index)>
      make_constraint;
};

class ChoiceSink {
 public:
  virtual ~ChoiceSink() = default;
  virtual void on_events(const ChoiceResult& choice, const std::vector<sdk::ParseEvent>& events,
                         const std::vector<TokenLogprob>& logprobs) = 0;
  virtual void on_finish(const ChoiceResult& choice) = 0;
};

class Generation {
 public:
  Generation(GenerationBackend backend, const GenerationRequest& request,
             std::vector<PreparedPrompt> prompts);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  // Checks the lengths against the context and submits every choice;
  // throws ApiError (400) when a prompt does not fit.
  void start();
  // Waits up to `wait` for events and hands them to `sink` (may be null);
  // returns false once every choice has finished.
  bool pump(ChoiceSink* sink, std::chrono::milliseconds wait);
  void cancel();

  const std::vector<ChoiceResult>& results() const { return results_; }
  const std::vector<PreparedPrompt>& prompts() const { return prompts_; }
  Usage usage() const;
  // Seconds from start() to the first token, when one came.
  std::optional<double> ttft() const { return ttft_; }
  // Gaps between token events (per token), collected since the last call.
  std::vector<double> take_inter_token_latencies();
  bool all_done() const;

 private:
  struct Choice;
  void handle(std::size_t idx, engine::Event& ev, ChoiceSink* sink);

  GenerationBackend backend_;
  GenerationRequest request_;
  std::vector<PreparedPrompt> prompts_;
  std::vector<std::unique_ptr<Choice>> choices_;
  std::vector<ChoiceResult> results_;
  std::vector<int> prompt_tokens_, cached_tokens_;
  std::chrono::steady_clock::time_point started_;
  std::optional<double> ttft_;
  std::vector<double> itl_;
  std::size_t cursor_ = 0;
};

}  // namespace rmlx::api
