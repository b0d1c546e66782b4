// One choice's tokens to dialect-neutral text events: incremental
// detokenization, stop strings, then the reasoning parser and the tool
// parser. The order matters: stop strings apply to the raw model text (as
// OpenAI and vLLM do), and tool calls are only looked for outside reasoning.
#pragma once

#include <rmlx/sdk/parser.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rmlx/engine/request.h"
#include "rmlx/sampling/stop_matcher.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::api {

struct TokenLogprob {
  std::string token;  // its text
  float logprob = 0.0f;
  std::vector<std::pair<std::string, float>> top;
};

struct DecoderSetup {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  bool skip_special_tokens = true;
  std::vector<std::string> stop;
  std::vector<std::int32_t> hidden_ids;  // eos / stop ids: counted, never shown
  sdk::TextParser* reasoning = nullptr;  // already reset(); may be null
  sdk::TextParser* tools = nullptr;      // already reset(); may be null
  std::string prefill;                   // text the model continues (fed to parsers first)
  // For a call begun in the prompt (prefill ends where the JSON arguments
  // start): the text that closes the call once the arguments object is
  // complete; generation stops there. Empty: off.
  std::string forced_call_close;
  bool want_logprobs = false;
};

class ChoiceDecoder {
 public:
  explicit ChoiceDecoder(DecoderSetup setup);

  // Events for new tokens. Once a stop string has matched, later tokens give
  // nothing (stopped() is true).
  std::vector<sdk::ParseEvent> push(std::span<const engine::TokenOut> tokens);
  // End of generation: flushes held text through the parsers.
  std::vector<sdk::ParseEvent> finish();

  // A stop string matched, or a forced call's arguments are complete.
  bool stopped() const { return stop_index_.has_value() || forced_done_; }
  // The stop string that ended the text.
  std::optional<std::string> stop_sequence() const;
  // Every shown character of the raw text so far (after stop handling).
  const std::string& text() const { return text_; }
  // Logprobs of tokens pushed since the last call.
  std::vector<TokenLogprob> take_logprobs();
  int tool_calls() const { return tool_calls_; }

 private:
  std::vector<sdk::ParseEvent> route(const std::string& text, bool eof);
  // Cuts `text` after the forced call's arguments object closes.
  std::string scan_forced_call(const std::string& text);
  void route_tools(std::vector<sdk::ParseEvent>& out, std::vector<sdk::ParseEvent> in, bool eof);

  DecoderSetup setup_;
  tokenizer::StreamDecoder detok_;
  sampling::StopMatcher stops_;
  std::optional<std::size_t> stop_index_;
  std::string text_;
  std::vector<TokenLogprob> logprobs_;
  int tool_calls_ = 0;
  bool finished_ = false;
  bool forced_done_ = false;
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false;
};

// Adds a text event to `out`, merging it into the previous one of the same kind.
void append_event(std::vector<sdk::ParseEvent>& out, sdk::ParseEvent ev);

}  // namespace rmlx::api
