// ToolParser `minimax`, both generations:
//   M1: <tool_calls>
//       {"name": "get_weather", "arguments": {"city": "Paris"}}
//       </tool_calls>                        (one JSON object per line)
//   M2: <minimax:tool_call>
//       <invoke name="get_weather">
//       <parameter name="city">Paris</parameter>
//       </invoke>
//       </minimax:tool_call>
// M2 values are raw text for string parameters and JSON otherwise. The
// <minimax:tool_call> wrapper carries no text of its own; an <invoke> without
// it is still a call.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"
#include "rmlx/parsers/xml_values.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kM1Open = "<tool_calls>";
constexpr std::string_view kM1Close = "</tool_calls>";
constexpr std::string_view kSectionOpen = "<minimax:tool_call>";
constexpr std::string_view kSectionClose = "</minimax:tool_call>";
constexpr std::string_view kInvoke = "<invoke name=";
constexpr std::string_view kInvokeEnd = "</invoke>";
constexpr std::string_view kParam = "<parameter name=";
constexpr std::string_view kParamEnd = "</parameter>";

// `name="x">` or `name=x>` after the tag's `name=`; npos if malformed, and
// `*partial` when the text ends first.
std::size_t read_attr(std::string_view s, std::string& value, bool* partial) {
  *partial = false;
  std::size_t i = 0;
  const bool quoted = i < s.size() && (s[i] == '"' || s[i] == '\'');
  const char q = quoted ? s[i++] : 0;
  std::size_t start = i;
  while (i < s.size() && s[i] != '>' && (!quoted || s[i] != q)) {
    if (s[i] == '\n' || s[i] == '<') return std::string_view::npos;
    ++i;
  }
  if (quoted && i < s.size()) ++i;
  if (i >= s.size()) {
    *partial = true;
    return std::string_view::npos;
  }
  if (s[i] != '>') return std::string_view::npos;
  value = std::string(trim(s.substr(start, (quoted ? i - 1 : i) - start)));
  if (value.empty()) return std::string_view::npos;
  return i + 1;
}

// `s` follows "<invoke name=" and ends before "</invoke>".
std::optional<ToolCall> parse_invoke(std::string_view s, const DeclaredTools& tools) {
  ToolCall call;
  bool partial = false;
  std::size_t i = read_attr(s, call.name, &partial);
  if (i == std::string_view::npos) return std::nullopt;
  Json args = Json::object();
  std::string_view rest = s.substr(i);
  while (true) {
    std::size_t j = skip_ws(rest, 0);
    if (j == rest.size()) break;
    if (rest.substr(j, kParam.size()) != kParam) return std::nullopt;
    rest.remove_prefix(j + kParam.size());
    std::string key;
    std::size_t k = read_attr(rest, key, &partial);
    if (k == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(k);
    std::size_t end = rest.find(kParamEnd);
    std::size_t next = rest.find(kParam);
    std::string_view value;
    if (end != std::string_view::npos && end <= next) {
      value = rest.substr(0, end);
      rest.remove_prefix(end + kParamEnd.size());
    } else {
      std::size_t stop = next == std::string_view::npos ? rest.size() : next;
      value = rest.substr(0, stop);
      rest.remove_prefix(stop);
    }
    args[key] =
        convert_param(strip_layout_newlines(value), tools.param_type(call.name, key), false);
  }
  call.arguments = compact(args);
  return call;
}

class MiniMaxParser final : public MarkerToolParser {
 public:
  explicit MiniMaxParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kM1Open)},
                                                    {std::string(kSectionOpen)},
                                                    {std::string(kSectionClose)},
                                                    {std::string(kInvoke)}}}) {}

  std::string name() const override { return "minimax"; }

 protected:
  BlockResult on_block(std::size_t marker, std::string_view text,
                       const BlockContext& ctx) override {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    switch (marker) {
      case 0: {
        std::size_t i = skip_ws(text, kM1Open.size());
        if (i == text.size()) return wait();
        if (text[i] != '{' && text[i] != '[') return BlockResult::reject();
        auto body = tag_body(text, kM1Open.size(), kM1Close, {kM1Open}, ctx.eof);
        if (!body) return BlockResult::more();
        auto calls = parse_json_calls(body->body);
        if (!calls) return BlockResult::reject();
        return BlockResult::done(body->consumed, std::move(*calls));
      }
      case 1:
        return section_opener(text, kSectionOpen.size(), kInvoke, ctx,
                              [&](std::string_view t) { return on_block(3, t, ctx); });
      case 2:
        return section_closer(kSectionClose.size(), ctx);
      default:
        break;
    }
    std::string name;
    bool partial = false;
    if (read_attr(text.substr(kInvoke.size()), name, &partial) == std::string_view::npos) {
      return partial ? wait() : BlockResult::reject();
    }
    auto body = tag_body(text, kInvoke.size(), kInvokeEnd, {kInvoke, kSectionClose}, ctx.eof);
    if (!body) return BlockResult::more();
    auto call = parse_invoke(body->body, *ctx.tools);
    if (!call) return BlockResult::reject();
    std::vector<ToolCall> calls;
    calls.push_back(std::move(*call));
    return BlockResult::done(body->consumed, std::move(calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-minimax", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::MiniMaxParser>("minimax"),
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::MiniMaxParser>("minimax_m1"),
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::MiniMaxParser>("minimax_m2"))
