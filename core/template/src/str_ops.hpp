#pragma once

#include <optional>
#include <string>
#include <vector>

#include "callable.hpp"

namespace rmlx::tmpl::detail {

// Python str operations on UTF-8 strings (indices and lengths in code points).
enum class StripSide { Both, Left, Right };
std::string py_strip(const std::string& s, const std::optional<std::string>& chars, StripSide side);
// sep nullopt: split on whitespace runs. maxsplit < 0: no limit.
std::vector<std::string> py_split(const std::string& s, const std::optional<std::string>& sep,
                                  int64_t maxsplit, bool from_right);
std::vector<std::string> py_splitlines(const std::string& s, bool keepends);
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       int64_t count);
std::string py_title(const std::string& s);       // str.title()
std::string py_capitalize(const std::string& s);  // str.capitalize()

// Calls method `name` of str `s` (the names are listed in methods.cpp).
Value string_method(Interpreter& interp, const std::string& s, const std::string& name,
                    CallArgs& args);

}  // namespace rmlx::tmpl::detail
