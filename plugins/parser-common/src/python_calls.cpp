#include "rmlx/parsers/python_calls.h"

#include "rmlx/parsers/lenient_json.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

std::size_t read_ident(std::string_view t, std::size_t i) {
  if (i >= t.size() || !ident_start(t[i])) return i;
  while (i < t.size() && ident_char(t[i])) ++i;
  return i;
}

// One `name(key=value, ...)` at t[i]; advances i past ')'.
std::optional<ToolCall> read_call(std::string_view t, std::size_t& i) {
  std::size_t end = read_ident(t, i);
  if (end == i) return std::nullopt;
  ToolCall call;
  call.name = std::string(t.substr(i, end - i));
  i = skip_ws(t, end);
  if (i >= t.size() || t[i] != '(') return std::nullopt;
  ++i;
  Json args = Json::object();
  while (true) {
    i = skip_ws(t, i);
    if (i >= t.size()) return std::nullopt;
    if (t[i] == ')') {
      ++i;
      break;
    }
    std::size_t key_end = read_ident(t, i);
    if (key_end == i) return std::nullopt;  // positional arguments have no name to map to
    std::string key(t.substr(i, key_end - i));
    if (key.find('.') != std::string::npos) return std::nullopt;
    i = skip_ws(t, key_end);
    if (i >= t.size() || t[i] != '=') return std::nullopt;
    ++i;
    std::size_t used = 0;
    auto v = parse_lenient_prefix(t.substr(i), &used);
    if (!v) return std::nullopt;
    args[key] = std::move(*v);
    i = skip_ws(t, i + used);
    if (i < t.size() && t[i] == ',')
      ++i;
    else if (i >= t.size() || t[i] != ')')
      return std::nullopt;
  }
  call.arguments = compact(args);
  return call;
}

}  // namespace

std::optional<std::vector<ToolCall>> parse_python_calls(std::string_view text, bool allow_single) {
  std::string_view t = trim(text);
  if (t.empty()) return std::nullopt;
  std::vector<ToolCall> calls;
  std::size_t i = 0;
  if (t[0] != '[') {
    if (!allow_single) return std::nullopt;
    auto c = read_call(t, i);
    if (!c || skip_ws(t, i) != t.size()) return std::nullopt;
    calls.push_back(std::move(*c));
    return calls;
  }
  i = 1;
  while (true) {
    i = skip_ws(t, i);
    if (i >= t.size()) return std::nullopt;
    if (t[i] == ']' && !calls.empty()) {
      ++i;
      break;
    }
    auto c = read_call(t, i);
    if (!c) return std::nullopt;
    calls.push_back(std::move(*c));
    i = skip_ws(t, i);
    if (i < t.size() && t[i] == ',')
      ++i;
    else if (i >= t.size() || t[i] != ']')
      return std::nullopt;
  }
  if (skip_ws(t, i) != t.size()) return std::nullopt;
  return calls;
}

PyPrefix python_list_prefix(std::string_view text, const DeclaredTools* tools) {
  std::size_t i = skip_ws(text, 1);
  if (i >= text.size()) return PyPrefix::need_more;
  std::size_t end = read_ident(text, i);
  if (end == i) return PyPrefix::reject;
  std::string_view name = text.substr(i, end - i);
  if (end >= text.size()) {
    if (tools != nullptr && !tools->has_prefix(name)) return PyPrefix::reject;
    return PyPrefix::need_more;
  }
  std::size_t j = skip_ws(text, end);
  if (j >= text.size()) return PyPrefix::need_more;
  if (text[j] != '(') return PyPrefix::reject;
  if (tools != nullptr && !tools->has(name)) return PyPrefix::reject;
  return PyPrefix::match;
}

}  // namespace rmlx::parsers
