// ToolParser `llama3_json` (Llama 3.1 / 3.2 / 3.3, also `llama4_json`): the
// output is a JSON object {"name": …, "parameters"|"arguments": {…}}, several
// separated by ';', optionally after <|python_tag|>. At the very start of the
// output any name is a call (that is the format); elsewhere only declared
// tools are, so JSON in an answer stays content. Built-in tools after
// <|python_tag|> (`brave_search.call(query="…")`) become calls named after the
// tool.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/lenient_json.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/python_calls.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kBuiltinSuffix = ".call";

class Llama3JsonParser final : public MarkerToolParser {
 public:
  explicit Llama3JsonParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kPythonTag)}},
                                        .bare_json = true,
                                        .bare_python = false,
                                        .any_name_at_start = true}) {}

  std::string name() const override { return "llama3_json"; }

 protected:
  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    auto wait = [&] { return ctx.eof ? BlockResult::reject() : BlockResult::more(); };
    std::size_t i = skip_ws(text, kPythonTag.size());
    if (i == text.size()) return wait();
    std::string_view rest = text.substr(i);
    std::size_t end = std::string_view::npos;
    if (rest[0] == '{' || rest[0] == '[') {
      end = find_balanced_end(rest, *ctx.scan);
    } else {
      std::size_t paren = rest.find('(');
      if (paren == std::string_view::npos) {
        for (char c : rest) {
          if (!is_name_char(c)) return BlockResult::reject();
        }
        return wait();
      }
      std::size_t close = find_balanced_end(rest.substr(paren));
      if (close != std::string_view::npos) end = paren + close;
    }
    if (end == std::string_view::npos) return wait();
    std::string_view call_text = rest.substr(0, end);
    std::optional<std::vector<ToolCall>> calls;
    if (rest[0] == '{' || rest[0] == '[') {
      calls = parse_json_calls(call_text);
    } else {
      calls = parse_python_calls(call_text, true);
      if (calls) {
        for (auto& c : *calls) {
          if (c.name.size() > kBuiltinSuffix.size() &&
              c.name.substr(c.name.size() - kBuiltinSuffix.size()) == kBuiltinSuffix) {
            c.name.resize(c.name.size() - kBuiltinSuffix.size());
          }
        }
      }
    }
    if (!calls) return BlockResult::reject();
    std::size_t consumed = i + end;
    std::size_t j = skip_ws(text, consumed);
    if (j == text.size() && !ctx.eof) return BlockResult::more();
    if (j < text.size() && text[j] == ';') consumed = j + 1;
    return BlockResult::done(consumed, std::move(*calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN(
    "parser-llama3-json", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Llama3JsonParser>("llama3_json"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::Llama3JsonParser>("llama4_json"))
