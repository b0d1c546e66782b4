#include "rmlx/parsers/xml_values.h"

#include <charconv>
#include <cstdint>
#include <string>

#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {

std::string_view strip_layout_newlines(std::string_view v) {
  if (v.substr(0, 2) == "\r\n")
    v.remove_prefix(2);
  else if (!v.empty() && v.front() == '\n')
    v.remove_prefix(1);
  if (v.size() >= 2 && v.substr(v.size() - 2) == "\r\n")
    v.remove_suffix(2);
  else if (!v.empty() && v.back() == '\n')
    v.remove_suffix(1);
  return v;
}

Json convert_param(std::string_view raw, std::string_view type, bool unknown_as_string) {
  const std::string_view t = trim(raw);
  if (t == "null" || t == "None") return Json(nullptr);
  if (type == "string") return Json(std::string(raw));
  if (type == "integer") {
    std::int64_t v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (!t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size()) return Json(v);
    return Json(std::string(raw));
  }
  if (type == "number") {
    auto v = parse_lenient(t);
    if (v && v->is_number()) return *v;
    return Json(std::string(raw));
  }
  if (type == "boolean") {
    if (t == "true" || t == "True") return Json(true);
    if (t == "false" || t == "False") return Json(false);
    return Json(std::string(raw));
  }
  if (type == "object" || type == "array") {
    auto v = parse_lenient(t);
    if (v && (type == "object" ? v->is_object() : v->is_array())) return *v;
    return Json(std::string(raw));
  }
  if (unknown_as_string) return Json(std::string(raw));
  auto v = parse_lenient(t);
  if (v) return *v;
  return Json(std::string(raw));
}

}  // namespace rmlx::parsers
