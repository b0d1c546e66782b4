// ToolParser `mistral`, every tokenizer version (with [TOOL_CALLS] kept in
// the decoded text):
//   v2-v7:  [TOOL_CALLS][{"name": "get_weather", "arguments": {...}, "id": "a1B2c3D4e"}, ...]
//   v11:    [TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]{"city": "Paris"}
//   v13+:   [TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}
// Ids the model wrote are kept; otherwise the id is 9 alphanumerics, the only
// form Mistral templates accept back. Prose after the arguments is content.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/call_ids.h"
#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/lenient_json.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kToolCalls = "[TOOL_CALLS]";
constexpr std::string_view kCallId = "[CALL_ID]";
constexpr std::string_view kArgs = "[ARGS]";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

class MistralParser final : public MarkerToolParser {
 public:
  explicit MistralParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kToolCalls)}}}) {}

  std::string name() const override { return "mistral"; }

 protected:
  std::string generate_id(int index, const ToolCall& call) const override {
    return mistral_call_id({id_seed(), stream_number(), index, call.name, call.arguments});
  }

  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    std::size_t i = skip_ws(text, kToolCalls.size());
    if (i == text.size()) return wait();
    if (text[i] == '[') {
      std::size_t j = skip_ws(text, i + 1);
      if (j == text.size()) return wait();
      if (text[j] != '{') return BlockResult::reject();
      std::size_t end = find_balanced_end(text.substr(i), *ctx.scan);
      if (end == std::string_view::npos) return wait();
      auto calls = parse_json_calls(text.substr(i, end));
      if (!calls) return BlockResult::reject();
      return BlockResult::done(i + end, std::move(*calls));
    }
    if (text[i] == '{') {
      std::size_t end = find_balanced_end(text.substr(i), *ctx.scan);
      if (end == std::string_view::npos) return wait();
      auto calls = parse_json_calls(text.substr(i, end));
      if (!calls) return BlockResult::reject();
      return BlockResult::done(i + end, std::move(*calls));
    }
    return segment(text, i, ctx.eof, *ctx.scan);
  }

 private:
  // v11+: NAME[CALL_ID]ID[ARGS]{json}, [CALL_ID] and [ARGS] optional.
  BlockResult segment(std::string_view text, std::size_t i, bool eof, BalancedScan& scan) const {
    auto wait = [&] { return eof ? BlockResult::reject() : BlockResult::more(); };
    std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    ToolCall call;
    call.name = std::string(text.substr(start, i - start));
    if (i == text.size()) return wait();
    if (call.name.empty()) return BlockResult::reject();
    switch (match_literal(text.substr(i), kCallId)) {
      case Match::partial:
        return wait();
      case Match::full: {
        i += kCallId.size();
        std::size_t id_start = i;
        while (i < text.size() && is_alnum(text[i])) ++i;
        if (i == text.size()) return wait();
        call.id = std::string(text.substr(id_start, i - id_start));
        break;
      }
      case Match::no:
        break;
    }
    switch (match_literal(text.substr(i), kArgs)) {
      case Match::partial:
        return wait();
      case Match::full:
        i += kArgs.size();
        break;
      case Match::no:
        break;
    }
    i = skip_ws(text, i);
    if (i == text.size()) return wait();
    if (text[i] != '{') return BlockResult::reject();
    std::size_t end = find_balanced_end(text.substr(i), scan);
    if (end == std::string_view::npos) return wait();
    auto args = parse_arguments(text.substr(i, end));
    if (!args) return BlockResult::reject();
    call.arguments = std::move(*args);
    std::vector<ToolCall> calls;
    calls.push_back(std::move(call));
    return BlockResult::done(i + end, std::move(calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-mistral", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::MistralParser>("mistral"))
