// ToolParser `gemma`. FunctionGemma writes
//   <start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_function_call>
// with <escape> around every string; other values (numbers, booleans, nested
// {…} and […]) are written bare and kept with their JSON type. Gemma 3 has
// no tool tokens: its templates ask for a Python list of calls,
// `[get_weather(city="Paris")]`, or a ```tool_code block, which are parsed
// when they name declared tools (any name at the very start of the output).
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/lenient_json.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kStart = "<start_function_call>";
constexpr std::string_view kEnd = "<end_function_call>";
constexpr std::string_view kEscape = "<escape>";
constexpr std::string_view kCall = "call:";
constexpr int kMaxDepth = 64;

class ArgsReader {
 public:
  explicit ArgsReader(std::string_view s) : s_(s) {}

  std::optional<Json> object(int depth) {
    if (depth > kMaxDepth || !eat('{')) return std::nullopt;
    Json obj = Json::object();
    while (true) {
      skip();
      if (eat('}')) return obj;
      std::size_t colon = s_.find(':', i_);
      if (colon == std::string_view::npos) return std::nullopt;
      std::string key(trim(s_.substr(i_, colon - i_)));
      if (key.empty() || key.find_first_of("{}[],") != std::string::npos) return std::nullopt;
      i_ = colon + 1;
      auto v = value(depth + 1);
      if (!v) return std::nullopt;
      obj[key] = std::move(*v);
      skip();
      if (!eat(',') && (i_ >= s_.size() || s_[i_] != '}')) return std::nullopt;
    }
  }

  bool at_end() {
    skip();
    return i_ == s_.size();
  }

 private:
  std::optional<Json> value(int depth) {
    skip();
    if (i_ >= s_.size()) return std::nullopt;
    if (s_.substr(i_, kEscape.size()) == kEscape) {
      std::size_t end = s_.find(kEscape, i_ + kEscape.size());
      if (end == std::string_view::npos) return std::nullopt;
      Json v(std::string(s_.substr(i_ + kEscape.size(), end - i_ - kEscape.size())));
      i_ = end + kEscape.size();
      return v;
    }
    if (s_[i_] == '{') return object(depth);
    if (s_[i_] == '[') {
      if (depth > kMaxDepth) return std::nullopt;
      ++i_;
      Json arr = Json::array();
      while (true) {
        skip();
        if (eat(']')) return arr;
        auto v = value(depth + 1);
        if (!v) return std::nullopt;
        arr.push_back(std::move(*v));
        skip();
        if (!eat(',') && (i_ >= s_.size() || s_[i_] != ']')) return std::nullopt;
      }
    }
    std::size_t end = s_.find_first_of(",}]", i_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view raw = trim(s_.substr(i_, end - i_));
    i_ = end;
    if (raw.empty()) return std::nullopt;
    if (auto v = parse_lenient(raw); v && !v->is_object() && !v->is_array()) return v;
    return Json(std::string(raw));
  }

  void skip() { i_ = skip_ws(s_, i_); }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<ToolCall> parse_function_call(std::string_view body) {
  std::string_view t = trim(body);
  if (t.substr(0, kCall.size()) == kCall) t.remove_prefix(kCall.size());
  std::size_t brace = t.find('{');
  if (brace == std::string_view::npos) return std::nullopt;
  ToolCall call;
  call.name = std::string(trim(t.substr(0, brace)));
  if (call.name.empty()) return std::nullopt;
  for (char c : call.name) {
    if (!is_name_char(c)) return std::nullopt;
  }
  ArgsReader r(t.substr(brace));
  auto args = r.object(0);
  if (!args || !r.at_end()) return std::nullopt;
  call.arguments = compact(*args);
  return call;
}

class GemmaParser final : public MarkerToolParser {
 public:
  explicit GemmaParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kStart)}},
                                        .bare_json = true,
                                        .bare_python = true,
                                        .any_name_at_start = true}) {}

  std::string name() const override { return "gemma"; }

 protected:
  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    auto body = tag_body(text, kStart.size(), kEnd, {kStart}, ctx.eof);
    if (!body) return BlockResult::more();
    auto call = parse_function_call(body->body);
    if (!call) return BlockResult::reject();
    std::vector<ToolCall> calls;
    calls.push_back(std::move(*call));
    return BlockResult::done(body->consumed, std::move(calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN(
    "parser-gemma", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::GemmaParser>("gemma"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::GemmaParser>("functiongemma"))
