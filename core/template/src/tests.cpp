// jinja2's builtin tests (`x is defined`, `x is divisibleby 3`, ...).
#include <cmath>

#include "interpreter.hpp"
#include "py_format.hpp"

namespace rmlx::tmpl::detail {

namespace {

bool is_int_like(const Value& v) {
  return v.is_int() || v.is_bool();
}

}  // namespace

bool Interpreter::apply_test(const std::string& name, const Value& v, CallArgs& args) {
  auto none = [&]() { bind_args(name, args, {}); };
  auto one = [&](const char* param) { return bind_args(name, args, {{param, std::nullopt}})[0]; };
  if (name == "defined") return none(), !v.is_undefined();
  if (name == "undefined") return none(), v.is_undefined();
  if (name == "none") return none(), v.is_none();
  if (name == "string") return none(), v.is_string();
  if (name == "number") return none(), v.is_number();
  if (name == "integer") return none(), v.is_int();
  if (name == "float") return none(), v.is_float();
  if (name == "boolean") return none(), v.is_bool();
  if (name == "true") return none(), v.is_bool() && v.as_bool();
  if (name == "false") return none(), v.is_bool() && !v.as_bool();
  if (name == "mapping") return none(), v.is_dict();
  if (name == "callable") return none(), v.is_callable();
  if (name == "iterable")
    return none(), v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
  if (name == "sequence")
    return none(), v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
  if (name == "escaped") return none(), false;
  if (name == "lower" || name == "upper") {
    none();
    CallArgs no_args;
    std::string s = py_str(v);
    return name == "lower" ? py_lower(s) == s : py_upper(s) == s;
  }
  if (name == "odd" || name == "even") {
    none();
    if (v.is_undefined()) fail_undefined(v);
    if (!is_int_like(v)) {
      if (!v.is_float())
        throw EvalError("unsupported operand type(s) for %: '" + py_type_name(v) + "' and 'int'");
      double r = std::fmod(std::fabs(v.as_double()), 2.0);
      return name == "odd" ? r == 1.0 : r == 0.0;
    }
    int64_t r = v.as_int() % 2;
    return name == "odd" ? r != 0 : r == 0;
  }
  if (name == "divisibleby") {
    Value n = one("num");
    Value r = binary_op("%", v, n, *this);
    return r.as_double() == 0.0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return py_compare("==", v, one("other"));
  if (name == "ne" || name == "!=") return py_compare("!=", v, one("other"));
  if (name == "lt" || name == "lessthan" || name == "<") return py_compare("<", v, one("other"));
  if (name == "le" || name == "<=") return py_compare("<=", v, one("other"));
  if (name == "gt" || name == "greaterthan" || name == ">") return py_compare(">", v, one("other"));
  if (name == "ge" || name == ">=") return py_compare(">=", v, one("other"));
  if (name == "in") return py_contains(one("seq"), v);
  if (name == "sameas") {
    Value other = one("other");
    if (v.kind() != other.kind()) return false;
    if (v.is_none() || v.is_bool() || v.is_undefined() || v.is_int()) return py_equal(v, other);
    if (v.is_namespace() || v.is_callable()) return py_equal(v, other);
    return false;
  }
  if (name == "filter" || name == "test") {
    none();
    const Value& n = v;
    static const char* kFilters[] = {
        "tojson", "trim",   "length",   "count",       "items",      "selectattr", "rejectattr",
        "select", "reject", "map",      "join",        "replace",    "default",    "d",
        "first",  "last",   "lower",    "upper",       "capitalize", "title",      "string",
        "safe",   "e",      "escape",   "forceescape", "int",        "float",      "abs",
        "round",  "list",   "unique",   "sort",        "reverse",    "indent",     "wordcount",
        "batch",  "slice",  "dictsort", "groupby",     "sum",        "min",        "max",
        "attr",   "center", "format",   "truncate",    "pprint"};
    static const char* kTests[] = {
        "defined", "undefined", "none",   "string",   "number",   "integer",     "float",
        "boolean", "true",      "false",  "mapping",  "callable", "iterable",    "sequence",
        "escaped", "lower",     "upper",  "odd",      "even",     "divisibleby", "eq",
        "equalto", "ne",        "lt",     "lessthan", "le",       "gt",          "greaterthan",
        "ge",      "in",        "sameas", "filter",   "test",     "==",          "!=",
        "<",       "<=",        ">",      ">="};
    if (!n.is_string()) return false;
    const std::string& s = n.as_string();
    if (name == "filter") {
      for (const char* f : kFilters)
        if (s == f) return true;
      return false;
    }
    for (const char* t : kTests)
      if (s == t) return true;
    return false;
  }
  throw EvalError("no test named '" + name + "'");
}

}  // namespace rmlx::tmpl::detail
