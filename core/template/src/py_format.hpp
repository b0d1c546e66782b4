#pragma once

#include <string>
#include <string_view>

#include "rmlx/template/value.hpp"

namespace rmlx::tmpl::detail {

// Template strings are UTF-8; Python semantics are per code point. Bytes that are not valid
// UTF-8 decode to U+DC80..U+DCFF and encode back to the same byte, so nothing is lost.
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);
size_t utf8_length(std::string_view s);

bool is_py_space(char32_t c);  // str.isspace() / str.strip() whitespace
char32_t py_upper(char32_t c);
char32_t py_lower(char32_t c);
bool is_py_alpha(char32_t c);
bool is_py_digit(char32_t c);
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);

std::string py_float_repr(double d);           // repr(float)
std::string py_repr(const Value& v);           // repr(v)
std::string py_str(const Value& v);            // str(v); undefined renders as ""
std::string py_type_name(const Value& v);      // type(v).__name__
std::string object_type_repr(const Value& v);  // jinja2's "'dict object'" style

struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;  // per level
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
// json.dumps(v, ...). Throws EvalError for values JSON cannot hold.
std::string json_dumps(const Value& v, const JsonOptions& options);

}  // namespace rmlx::tmpl::detail
