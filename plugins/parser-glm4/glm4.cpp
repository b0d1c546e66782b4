// ToolParser `glm4` (GLM-4.5 / 4.6 as `glm45`, GLM-4.7 as `glm47`):
//   <tool_call>get_weather
//   <arg_key>city</arg_key>
//   <arg_value>Paris</arg_value>
//   </tool_call>
// (GLM-4.7 leaves out the line breaks.) Values are raw text for string
// parameters and JSON otherwise, falling back to the raw text when they do not
// decode. Hermes-style JSON inside <tool_call> is accepted too.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"
#include "rmlx/parsers/xml_values.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";
constexpr std::string_view kKey = "<arg_key>";
constexpr std::string_view kKeyEnd = "</arg_key>";
constexpr std::string_view kValue = "<arg_value>";
constexpr std::string_view kValueEnd = "</arg_value>";

std::optional<ToolCall> parse_call(std::string_view body, const DeclaredTools& tools) {
  std::size_t name_end = std::min(body.find('\n'), body.find(kKey));
  if (name_end == std::string_view::npos) name_end = body.size();
  ToolCall call;
  call.name = std::string(trim(body.substr(0, name_end)));
  if (call.name.empty()) return std::nullopt;
  for (char c : call.name) {
    if (!is_name_char(c)) return std::nullopt;
  }
  Json args = Json::object();
  std::string_view rest = body.substr(name_end);
  while (true) {
    std::size_t i = skip_ws(rest, 0);
    if (i == rest.size()) break;
    if (rest.substr(i, kKey.size()) != kKey) return std::nullopt;
    rest.remove_prefix(i + kKey.size());
    std::size_t key_end = rest.find(kKeyEnd);
    if (key_end == std::string_view::npos) return std::nullopt;
    std::string key(trim(rest.substr(0, key_end)));
    if (key.empty()) return std::nullopt;
    rest.remove_prefix(key_end + kKeyEnd.size());
    i = skip_ws(rest, 0);
    if (rest.substr(i, kValue.size()) != kValue) return std::nullopt;
    rest.remove_prefix(i + kValue.size());
    std::size_t end = rest.find(kValueEnd);
    std::size_t next = rest.find(kKey);
    std::string_view value;
    if (end != std::string_view::npos && end <= next) {
      value = rest.substr(0, end);
      rest.remove_prefix(end + kValueEnd.size());
    } else {
      // Unclosed value: it runs to the next key or to the end.
      std::size_t stop = next == std::string_view::npos ? rest.size() : next;
      value = rest.substr(0, stop);
      rest.remove_prefix(stop);
    }
    args[key] = convert_param(value, tools.param_type(call.name, key), false);
  }
  call.arguments = compact(args);
  return call;
}

class Glm4Parser final : public MarkerToolParser {
 public:
  explicit Glm4Parser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kOpen)}}}) {}

  std::string name() const override { return "glm4"; }

 protected:
  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    std::size_t i = skip_ws(text, kOpen.size());
    if (i == text.size()) return wait();
    const bool json = text[i] == '{' || text[i] == '[' || text[i] == '`';
    if (!json) {
      // The name follows the tag directly and ends the line or meets <arg_key>.
      std::size_t j = kOpen.size();
      while (j < text.size() && is_name_char(text[j])) ++j;
      if (j == text.size()) return wait();
      if (j == kOpen.size()) return BlockResult::reject();
      if (text[j] != '\n' && text[j] != '\r' && text[j] != '<') return BlockResult::reject();
    }
    auto body = tag_body(text, kOpen.size(), kClose, {kOpen}, ctx.eof);
    if (!body) return BlockResult::more();
    std::optional<std::vector<ToolCall>> calls;
    if (json) {
      calls = parse_json_calls(body->body);
    } else if (auto call = parse_call(body->body, *ctx.tools)) {
      calls.emplace();
      calls->push_back(std::move(*call));
    }
    if (!calls) return BlockResult::reject();
    return BlockResult::done(body->consumed, std::move(*calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-glm4", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Glm4Parser>("glm4"),
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Glm4Parser>("glm45"),
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Glm4Parser>("glm47"))
