// ToolParser `qwen3_coder` (Qwen3-Coder, Qwen3.5), also known as `qwen3_xml`:
//   <tool_call>
//   <function=get_weather>
//   <parameter=city>
//   Paris
//   </parameter>
//   </function>
//   </tool_call>
// Values are raw text, converted by the declared parameter type (integer,
// number, boolean, object, array; unknown parameters stay strings). A bare
// <function=…> block without <tool_call> is a call too, and so is
// hermes-style JSON inside <tool_call>. Missing close tags are tolerated where
// the next tag or the end of the output shows where a part ends.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"
#include "rmlx/parsers/xml_values.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";
constexpr std::string_view kFunction = "<function=";
constexpr std::string_view kFunctionEnd = "</function>";
constexpr std::string_view kParam = "<parameter=";
constexpr std::string_view kParamEnd = "</parameter>";

// `s` follows "<function=" and ends before "</function>".
std::optional<ToolCall> parse_function(std::string_view s, const DeclaredTools& tools) {
  std::size_t gt = s.find('>');
  if (gt == std::string_view::npos) return std::nullopt;
  ToolCall call;
  call.name = std::string(trim(s.substr(0, gt)));
  if (call.name.empty()) return std::nullopt;
  for (char c : call.name) {
    if (!is_name_char(c)) return std::nullopt;
  }
  Json args = Json::object();
  std::string_view rest = s.substr(gt + 1);
  while (true) {
    std::size_t i = skip_ws(rest, 0);
    if (i == rest.size()) break;
    if (rest.substr(i, kParam.size()) != kParam) return std::nullopt;
    rest.remove_prefix(i + kParam.size());
    std::size_t key_end = rest.find('>');
    if (key_end == std::string_view::npos) return std::nullopt;
    std::string key(trim(rest.substr(0, key_end)));
    if (key.empty()) return std::nullopt;
    rest.remove_prefix(key_end + 1);
    std::size_t end = rest.find(kParamEnd);
    std::size_t next = rest.find(kParam);
    std::string_view value;
    if (end != std::string_view::npos && end <= next) {
      value = rest.substr(0, end);
      rest.remove_prefix(end + kParamEnd.size());
    } else {
      // Unclosed parameter: it runs to the next one or to the end.
      std::size_t stop = next == std::string_view::npos ? rest.size() : next;
      value = rest.substr(0, stop);
      rest.remove_prefix(stop);
    }
    args[key] = convert_param(strip_layout_newlines(value), tools.param_type(call.name, key), true);
  }
  call.arguments = compact(args);
  return call;
}

// One or more <function=…> blocks.
std::optional<std::vector<ToolCall>> parse_functions(std::string_view body,
                                                     const DeclaredTools& tools) {
  std::vector<ToolCall> calls;
  std::string_view rest = body;
  while (true) {
    std::size_t i = skip_ws(rest, 0);
    if (i == rest.size()) break;
    if (rest.substr(i, kFunction.size()) != kFunction) return std::nullopt;
    rest.remove_prefix(i + kFunction.size());
    std::size_t end = rest.find(kFunctionEnd);
    std::size_t next = rest.find(kFunction);
    std::size_t stop = std::min({end, next, rest.size()});
    auto call = parse_function(rest.substr(0, stop), tools);
    if (!call) return std::nullopt;
    calls.push_back(std::move(*call));
    rest.remove_prefix(stop == end ? end + kFunctionEnd.size() : stop);
  }
  if (calls.empty()) return std::nullopt;
  return calls;
}

// After "<function=": a name and '>', or text that cannot be one.
Match function_header(std::string_view text) {
  for (std::size_t i = kFunction.size(); i < text.size(); ++i) {
    if (text[i] == '>') return i > kFunction.size() ? Match::full : Match::no;
    if (!is_name_char(text[i])) return Match::no;
  }
  return Match::partial;
}

class Qwen3CoderParser final : public MarkerToolParser {
 public:
  explicit Qwen3CoderParser(std::string_view options_json)
      : MarkerToolParser(options_json,
                         {.markers = {{std::string(kOpen)}, {std::string(kFunction)}}}) {}

  std::string name() const override { return "qwen3_coder"; }

 protected:
  BlockResult on_block(std::size_t marker, std::string_view text,
                       const BlockContext& ctx) override {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    if (marker == 1) return bare_function(text, ctx);
    std::size_t i = skip_ws(text, kOpen.size());
    if (i == text.size()) return wait();
    const bool json = text[i] == '{' || text[i] == '[' || text[i] == '`';
    if (!json) {
      Match m = function_header(text.substr(i));
      if (m == Match::no) return BlockResult::reject();
      if (m == Match::partial) return wait();
    }
    auto body = tag_body(text, kOpen.size(), kClose, {kOpen}, ctx.eof);
    if (!body) return BlockResult::more();
    auto calls = json ? parse_json_calls(body->body) : parse_functions(body->body, *ctx.tools);
    if (!calls) return BlockResult::reject();
    return BlockResult::done(body->consumed, std::move(*calls));
  }

 private:
  // <function=…>…</function> without <tool_call>; a stray </tool_call> after
  // it belongs to the call.
  BlockResult bare_function(std::string_view text, const BlockContext& ctx) {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    Match m = function_header(text);
    if (m == Match::no) return BlockResult::reject();
    if (m == Match::partial) return wait();
    auto body = tag_body(text, kFunction.size(), kFunctionEnd, {kFunction}, ctx.eof);
    if (!body) return BlockResult::more();
    auto call = parse_function(body->body, *ctx.tools);
    if (!call) return BlockResult::reject();
    std::size_t consumed = body->consumed;
    if (body->closed) {
      std::size_t j = skip_ws(text, consumed);
      switch (match_literal(text.substr(j), kClose)) {
        case Match::full:
          consumed = j + kClose.size();
          break;
        case Match::partial:
          if (!ctx.eof) return BlockResult::more();
          break;
        case Match::no:
          break;
      }
    }
    std::vector<ToolCall> calls;
    calls.push_back(std::move(*call));
    return BlockResult::done(consumed, std::move(calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN(
    "parser-qwen3-coder", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Qwen3CoderParser>("qwen3_coder"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Qwen3CoderParser>("qwen3_xml"))
