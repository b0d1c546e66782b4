#include "rmlx/parsers/json_calls.h"

#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

std::optional<std::string> arguments_text(const Json& args) {
  if (args.is_object()) return compact(args);
  if (args.is_string()) {
    // Some models send the arguments as a JSON string holding the object.
    const auto& s = args.get_ref<const std::string&>();
    if (trim(s).empty()) return std::string("{}");
    auto inner = parse_lenient(s);
    if (inner && inner->is_object()) return compact(*inner);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ToolCall> call_from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  const Json* fn = &j;
  if (auto f = j.find("function"); f != j.end() && !j.contains("name")) {
    if (!f->is_object()) return std::nullopt;
    fn = &*f;
  }
  ToolCall call;
  bool have_args = false;
  for (const auto& [key, value] : fn->items()) {
    if (key == "name") {
      if (!value.is_string()) return std::nullopt;
      call.name = value.get<std::string>();
    } else if (key == "arguments" || key == "parameters") {
      if (have_args) return std::nullopt;  // both given: which one is meant is unclear
      auto args = arguments_text(value);
      if (!args) return std::nullopt;
      call.arguments = std::move(*args);
      have_args = true;
    } else if (key == "id" && value.is_string()) {
      call.id = value.get<std::string>();
    } else if (key != "type") {
      // Anything else (say, arguments spilled next to the name) is ambiguous.
      return std::nullopt;
    }
  }
  if (fn != &j) {
    if (auto id = j.find("id"); id != j.end() && id->is_string()) call.id = id->get<std::string>();
  }
  if (trim(call.name).empty()) return std::nullopt;
  if (!have_args) call.arguments = "{}";
  return call;
}

std::string_view strip_code_fence(std::string_view text) {
  std::string_view t = trim(text);
  if (t.substr(0, 3) != "```") return text;
  std::size_t i = 3;
  while (i < t.size() && (is_name_char(t[i]) || t[i] == '+')) ++i;
  if (i < t.size() && !is_ws(t[i]) && t[i] != '{' && t[i] != '[') return text;
  std::string_view inner = t.substr(i);
  std::string_view tail = trim_right(inner);
  if (tail.size() >= 3 && tail.substr(tail.size() - 3) == "```") {
    inner = tail.substr(0, tail.size() - 3);
  }
  return trim(inner);
}

std::optional<std::vector<ToolCall>> parse_json_calls(std::string_view text) {
  std::string_view t = trim(strip_code_fence(text));
  std::vector<ToolCall> calls;
  std::size_t i = 0;
  while (true) {
    i = skip_ws(t, i);
    while (i < t.size() && (t[i] == ',' || t[i] == ';') && !calls.empty()) i = skip_ws(t, i + 1);
    if (i >= t.size()) break;
    if (t[i] != '{' && t[i] != '[') return std::nullopt;
    std::size_t used = 0;
    auto v = parse_lenient_prefix(t.substr(i), &used);
    if (!v) return std::nullopt;
    if (v->is_array()) {
      if (v->empty()) return std::nullopt;
      for (const auto& e : *v) {
        auto c = call_from_json(e);
        if (!c) return std::nullopt;
        calls.push_back(std::move(*c));
      }
    } else {
      auto c = call_from_json(*v);
      if (!c) return std::nullopt;
      calls.push_back(std::move(*c));
    }
    i += used;
  }
  if (calls.empty()) return std::nullopt;
  return calls;
}

std::size_t json_values_end(std::string_view text, std::size_t i, bool eof, BalancedScan* first) {
  while (true) {
    std::size_t end = first != nullptr ? find_balanced_end(text.substr(i), *first)
                                       : find_balanced_end(text.substr(i));
    first = nullptr;
    if (end == std::string_view::npos) return end;
    end += i;
    std::size_t k = skip_ws(text, end);
    while (k < text.size() && (text[k] == ',' || text[k] == ';')) k = skip_ws(text, k + 1);
    if (k == text.size()) return eof ? end : std::string_view::npos;
    if (text[k] != '{' && text[k] != '[') return end;
    i = k;
  }
}

std::optional<std::string> parse_arguments(std::string_view text) {
  std::string_view t = trim(strip_code_fence(text));
  if (t.empty()) return std::string("{}");
  auto v = parse_lenient(t);
  if (!v) return std::nullopt;
  return arguments_text(*v);
}

Prefix call_object_prefix(std::string_view text, const DeclaredTools* tools) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '[') i = skip_ws(text, i + 1);
  if (i >= text.size()) return Prefix::need_more;
  if (text[i] != '{') return Prefix::reject;
  i = skip_ws(text, i + 1);
  if (i >= text.size()) return Prefix::need_more;
  const char q = text[i];
  if (q != '"' && q != '\'') return Prefix::reject;
  const std::string key = std::string(1, q) + "name" + std::string(1, q);
  switch (match_literal(text.substr(i), key)) {
    case Match::no:
      return Prefix::reject;
    case Match::partial:
      return Prefix::need_more;
    case Match::full:
      break;
  }
  i = skip_ws(text, i + key.size());
  if (i >= text.size()) return Prefix::need_more;
  if (text[i] != ':') return Prefix::reject;
  i = skip_ws(text, i + 1);
  if (i >= text.size()) return Prefix::need_more;
  const char q2 = text[i];
  if (q2 != '"' && q2 != '\'') return Prefix::reject;
  std::size_t start = ++i;
  while (i < text.size() && text[i] != q2) {
    if (text[i] == '\\' || text[i] == '\n') return Prefix::reject;
    ++i;
  }
  std::string_view name = text.substr(start, i - start);
  if (i >= text.size()) {
    if (tools != nullptr && !tools->has_prefix(name)) return Prefix::reject;
    return Prefix::need_more;
  }
  if (name.empty()) return Prefix::reject;
  if (tools != nullptr && !tools->has(name)) return Prefix::reject;
  return Prefix::match;
}

}  // namespace rmlx::parsers
