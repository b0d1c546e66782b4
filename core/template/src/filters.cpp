// jinja2's builtin filters, with transformers' tojson.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "interpreter.hpp"
#include "py_format.hpp"
#include "str_ops.hpp"

namespace rmlx::tmpl::detail {

namespace {

using Params = std::vector<Param>;

// jinja2's soft_str: str(value), with undefined as "".
std::string text_of(const Value& v) {
  return py_str(v);
}

Value ignore_case(const Value& v) {
  return v.is_string() ? Value(py_lower(v.as_string())) : v;
}

List sorted(List items, bool reverse, bool case_sensitive, const Value& attribute) {
  std::vector<std::pair<Value, size_t>> keyed;
  for (size_t i = 0; i < items.size(); ++i) {
    Value k = get_path(items[i], attribute);
    keyed.emplace_back(case_sensitive ? k : ignore_case(k), i);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? py_less(b.first, a.first) : py_less(a.first, b.first);
  });
  List out;
  for (const auto& [k, i] : keyed) out.push_back(items[i]);
  return out;
}

Value filter_tojson(const Value& input, CallArgs& args) {
  auto a = bind_args("tojson", args,
                     {{"ensure_ascii", Value(false)},
                      {"indent", Value::none()},
                      {"separators", Value::none()},
                      {"sort_keys", Value(false)}});
  JsonOptions o;
  o.ensure_ascii = a[0].truthy();
  if (!a[1].is_none()) {
    o.has_indent = true;
    if (a[1].is_string()) {
      o.indent = a[1].as_string();
    } else if (a[1].is_int() || a[1].is_bool()) {
      o.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(a[1].as_int(), 0, 4096)), ' ');
    } else {
      throw EvalError("indent must be an int or a str");
    }
    o.item_separator = ",";
  }
  if (!a[2].is_none()) {
    List seps = iterate(a[2]);
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string())
      throw EvalError("separators must be a pair of strings");
    o.item_separator = seps[0].as_string();
    o.key_separator = seps[1].as_string();
  }
  o.sort_keys = a[3].truthy();
  return Value(json_dumps(input, o));
}

Value filter_indent(const Value& input, CallArgs& args) {
  auto a =
      bind_args("indent", args,
                {{"width", Value(int64_t{4})}, {"first", Value(false)}, {"blank", Value(false)}});
  std::string ind =
      a[0].is_string()
          ? a[0].as_string()
          : std::string(static_cast<size_t>(std::clamp<int64_t>(a[0].as_int(), 0, 4096)), ' ');
  std::string s = text_of(input) + "\n";
  std::vector<std::string> lines = py_splitlines(s, false);
  std::string rv;
  if (a[2].truthy()) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : ind + lines[i]);
  }
  if (a[1].truthy()) rv = ind + rv;
  return Value(std::move(rv));
}

Value to_int(const Value& v, const Value& dflt, int64_t base) {
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    double d = v.as_double();
    if (std::isnan(d) || std::isinf(d)) return dflt;
    return Value(to_int64(d));
  }
  if (v.is_string()) {
    std::string s = py_strip(v.as_string(), std::nullopt, StripSide::Both);
    std::string clean;
    for (char c : s)
      if (c != '_') clean.push_back(c);
    if (!clean.empty()) {
      errno = 0;
      char* end = nullptr;
      long long x = std::strtoll(clean.c_str(), &end, static_cast<int>(base));
      if (end && *end == 0 && errno == 0) return Value(static_cast<int64_t>(x));
      double d = std::strtod(clean.c_str(), &end);
      if (end && *end == 0 && !std::isnan(d) && !std::isinf(d) && std::fabs(d) < 9.2e18)
        return Value(to_int64(d));
    }
  }
  return dflt;
}

Value to_float(const Value& v, const Value& dflt) {
  if (v.is_number()) return Value(v.as_double());
  if (v.is_string()) {
    std::string s = py_strip(v.as_string(), std::nullopt, StripSide::Both);
    char* end = nullptr;
    if (!s.empty()) {
      double d = std::strtod(s.c_str(), &end);
      if (end && *end == 0) return Value(d);
    }
  }
  return dflt;
}

Value do_round(const Value& v, CallArgs& args) {
  auto a =
      bind_args("round", args, {{"precision", Value(int64_t{0})}, {"method", Value("common")}});
  if (!v.is_number())
    throw EvalError("type " + py_type_name(v) + " doesn't define __round__ method");
  if (!v.is_float() && py_str(a[1]) == "common") return Value(v.as_int());  // round(int) is int
  int64_t p = std::clamp<int64_t>(a[0].as_int(), -300, 300);
  double d = v.as_double();
  const std::string method = py_str(a[1]);
  if (method != "common" && method != "ceil" && method != "floor")
    throw EvalError("method must be common, ceil or floor");
  if (method == "common") {
    if (p < 0 || std::isnan(d) || std::isinf(d)) {
      double f = std::pow(10.0, static_cast<double>(-p));
      return Value(std::nearbyint(d / f) * f);
    }
    // printf rounds the exact binary value half-to-even, as Python's round() does.
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<int64_t>(p, 100)), d);
    return Value(std::strtod(buf, nullptr));
  }
  double f = std::pow(10.0, static_cast<double>(p));
  return Value((method == "ceil" ? std::ceil(d * f) : std::floor(d * f)) / f);
}

Value select_or_reject(Interpreter& in, const Value& input, CallArgs& args, bool select,
                       bool by_attr) {
  CallArgs rest;
  Value attr;
  size_t skip = 0;
  if (by_attr) {
    if (args.pos.empty()) throw EvalError("Missing parameter for attribute name");
    attr = args.pos[0];
    skip = 1;
  }
  std::string test;
  if (args.pos.size() > skip) {
    test = py_str(args.pos[skip]);
    rest.pos.assign(args.pos.begin() + static_cast<long>(skip) + 1, args.pos.end());
    rest.kw = args.kw;
  }
  List out;
  for (const auto& item : iterate(input)) {
    Value v = by_attr ? get_path(item, attr) : item;
    bool ok = test.empty() ? v.truthy() : in.apply_test(test, v, rest);
    if (ok == select) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value do_map(Interpreter& in, const Value& input, CallArgs& args) {
  List out;
  auto attr = std::find_if(args.kw.begin(), args.kw.end(),
                           [](const auto& kv) { return kv.first == "attribute"; });
  if (args.pos.empty() && attr != args.kw.end()) {
    std::optional<Value> dflt;
    for (const auto& [k, v] : args.kw) {
      if (k == "default")
        dflt = v;
      else if (k != "attribute")
        throw EvalError("Unexpected keyword argument '" + k + "'");
    }
    for (const auto& item : iterate(input)) {
      Value v = get_path(item, attr->second);
      out.push_back(v.is_undefined() && dflt ? *dflt : v);
    }
    return Value::list(std::move(out));
  }
  if (args.pos.empty()) throw EvalError("map requires a filter argument");
  std::string filter = py_str(args.pos[0]);
  CallArgs rest;
  rest.pos.assign(args.pos.begin() + 1, args.pos.end());
  rest.kw = args.kw;
  for (const auto& item : iterate(input)) {
    CallArgs copy = rest;
    out.push_back(in.apply_filter(filter, item, copy));
  }
  return Value::list(std::move(out));
}

Value do_sum(const Value& input, CallArgs& args) {
  auto a = bind_args("sum", args, {{"attribute", Value::none()}, {"start", Value(int64_t{0})}});
  Value total = a[1];
  bool is_int = total.is_int() || total.is_bool();
  int64_t it = total.as_int();
  double ft = total.as_double();
  for (const auto& item : iterate(input)) {
    Value v = get_path(item, a[0]);
    if (!v.is_number())
      throw EvalError("unsupported operand type(s) for +: '" + py_type_name(total) + "' and '" +
                      py_type_name(v) + "'");
    if (is_int && (v.is_int() || v.is_bool())) {
      if (__builtin_add_overflow(it, v.as_int(), &it)) throw EvalError("integer overflow");
      ft = static_cast<double>(it);
    } else {
      if (is_int) ft = static_cast<double>(it);
      is_int = false;
      ft += v.as_double();
    }
  }
  return is_int ? Value(it) : Value(ft);
}

Value min_max(const Value& input, CallArgs& args, bool want_max) {
  auto a = bind_args(want_max ? "max" : "min", args,
                     {{"case_sensitive", Value(false)}, {"attribute", Value::none()}});
  List items = iterate(input);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  auto key = [&](size_t i) {
    Value k = get_path(items[i], a[1]);
    return a[0].truthy() ? k : ignore_case(k);
  };
  for (size_t i = 1; i < items.size(); ++i) {
    bool better = want_max ? py_less(key(best), key(i)) : py_less(key(i), key(best));
    if (better) best = i;
  }
  return items[best];
}

Value do_unique(const Value& input, CallArgs& args) {
  auto a =
      bind_args("unique", args, {{"case_sensitive", Value(false)}, {"attribute", Value::none()}});
  List out, seen;
  for (const auto& item : iterate(input)) {
    Value k = get_path(item, a[1]);
    if (!a[0].truthy()) k = ignore_case(k);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return py_equal(s, k); })) {
      seen.push_back(k);
      out.push_back(item);
    }
  }
  return Value::list(std::move(out));
}

Value do_dictsort(const Value& input, CallArgs& args) {
  auto a = bind_args(
      "dictsort", args,
      {{"case_sensitive", Value(false)}, {"by", Value("key")}, {"reverse", Value(false)}});
  if (!input.is_dict()) throw EvalError("dictsort requires a mapping");
  std::string by = py_str(a[1]);
  if (by != "key" && by != "value")
    throw EvalError("You can only sort by either \"key\" or \"value\"");
  List pairs;
  for (const auto& [k, v] : input.as_dict().items()) pairs.push_back(Value::tuple({k, v}));
  return Value::list(
      sorted(std::move(pairs), a[2].truthy(), a[0].truthy(), Value(int64_t{by == "key" ? 0 : 1})));
}

Value do_groupby(const Value& input, CallArgs& args) {
  auto a = bind_args(
      "groupby", args,
      {{"attribute", std::nullopt}, {"default", Value::none()}, {"case_sensitive", Value(false)}});
  List items = sorted(iterate(input), false, a[2].truthy(), a[0]);
  List groups;
  Value current_key;
  List current;
  bool have = false;
  for (const auto& item : items) {
    Value k = get_path(item, a[0]);
    if (k.is_undefined() && !a[1].is_none()) k = a[1];
    Value cmp = a[2].truthy() ? k : ignore_case(k);
    if (have && !py_equal(cmp, a[2].truthy() ? current_key : ignore_case(current_key))) {
      groups.push_back(Value::tuple({current_key, Value::list(std::move(current))}));
      current.clear();
    }
    if (!have || current.empty()) current_key = k;
    have = true;
    current.push_back(item);
  }
  if (have) groups.push_back(Value::tuple({current_key, Value::list(std::move(current))}));
  return Value::list(std::move(groups));
}

Value do_batch_or_slice(const Value& input, CallArgs& args, bool batch) {
  auto a =
      bind_args(batch ? "batch" : "slice", args,
                {{batch ? "linecount" : "slices", std::nullopt}, {"fill_with", Value::none()}});
  if (!a[0].is_int() || a[0].as_int() <= 0)
    throw EvalError(batch ? "batch size must be a positive integer"
                          : "slice count must be a positive integer");
  List items = iterate(input);
  const size_t n = static_cast<size_t>(std::min<int64_t>(a[0].as_int(), 1 << 24));
  List out;
  if (batch) {
    for (size_t i = 0; i < items.size(); i += n) {
      List chunk(items.begin() + static_cast<long>(i),
                 items.begin() + static_cast<long>(std::min(items.size(), i + n)));
      if (chunk.size() < n && !a[1].is_none()) chunk.resize(n, a[1]);
      out.push_back(Value::list(std::move(chunk)));
    }
    return Value::list(std::move(out));
  }
  size_t per = items.size() / n, extra = items.size() % n, offset = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t start = offset + i * per;
    if (i < extra) ++offset;
    size_t end = offset + (i + 1) * per;
    List chunk(items.begin() + static_cast<long>(start), items.begin() + static_cast<long>(end));
    if (!a[1].is_none() && i >= extra) chunk.push_back(a[1]);
    out.push_back(Value::list(std::move(chunk)));
  }
  return Value::list(std::move(out));
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string jinja_title(const std::string& s) {
  // Words start after whitespace, '-', '(', '{', '[', '<'.
  std::u32string u = utf8_decode(s);
  bool start = true;
  for (auto& c : u) {
    bool sep = is_py_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      start = true;
      continue;
    }
    c = start ? py_upper(c) : py_lower(c);
    start = false;
  }
  return utf8_encode(u);
}

Value do_truncate(const Value& input, CallArgs& args) {
  auto a = bind_args("truncate", args,
                     {{"length", Value(int64_t{255})},
                      {"killwords", Value(false)},
                      {"end", Value("...")},
                      {"leeway", Value(int64_t{5})}});
  std::u32string u = utf8_decode(text_of(input));
  std::u32string end = utf8_decode(py_str(a[2]));
  int64_t length = a[0].as_int(), leeway = a[3].as_int();
  if (length < static_cast<int64_t>(end.size()))
    throw EvalError("expected length >= " + std::to_string(end.size()) + ", got " +
                    std::to_string(length));
  if (static_cast<int64_t>(u.size()) <= length + leeway) return Value(utf8_encode(u));
  std::u32string cut = u.substr(0, static_cast<size_t>(length - static_cast<int64_t>(end.size())));
  if (!a[1].truthy()) {
    size_t sp = cut.rfind(U' ');
    if (sp != std::u32string::npos) cut = cut.substr(0, sp);
  }
  return Value(utf8_encode(cut + end));
}

}  // namespace

Value Interpreter::apply_filter(const std::string& name, const Value& input, CallArgs& args) {
  auto none = [&](const char* n) { bind_args(n, args, {}); };
  if (name == "tojson") return filter_tojson(input, args);
  if (name == "trim") {
    auto a = bind_args("trim", args, {{"chars", Value::none()}});
    std::optional<std::string> chars;
    if (!a[0].is_none()) chars = py_str(a[0]);
    return Value(py_strip(text_of(input), chars, StripSide::Both));
  }
  if (name == "length" || name == "count") {
    none("length");
    switch (input.kind()) {
      case Value::Kind::String:
        return Value(static_cast<int64_t>(utf8_length(input.as_string())));
      case Value::Kind::List:
      case Value::Kind::Tuple:
        return Value(static_cast<int64_t>(input.as_list().size()));
      case Value::Kind::Dict:
        return Value(static_cast<int64_t>(input.as_dict().size()));
      case Value::Kind::Undefined:
        return Value(int64_t{0});
      default:
        throw EvalError("object of type '" + py_type_name(input) + "' has no len()");
    }
  }
  if (name == "items") {
    none("items");
    if (input.is_undefined()) return Value::list({});
    if (!input.is_dict()) throw EvalError("Can only get item pairs from a mapping.");
    List out;
    for (const auto& [k, v] : input.as_dict().items()) out.push_back(Value::tuple({k, v}));
    return Value::list(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr")
    return select_or_reject(*this, input, args, name == "selectattr", true);
  if (name == "select" || name == "reject")
    return select_or_reject(*this, input, args, name == "select", false);
  if (name == "map") return do_map(*this, input, args);
  if (name == "join") {
    auto a = bind_args("join", args, {{"d", Value("")}, {"attribute", Value::none()}});
    std::string sep = py_str(a[0]), out;
    bool first = true;
    for (const auto& item : iterate(input)) {
      if (!first) out += sep;
      first = false;
      out += py_str(get_path(item, a[1]));
      check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "replace") {
    auto a = bind_args("replace", args,
                       {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value::none()}});
    std::string r =
        py_replace(text_of(input), py_str(a[0]), py_str(a[1]), a[2].is_none() ? -1 : a[2].as_int());
    check_size(r.size());
    return Value(std::move(r));
  }
  if (name == "default" || name == "d") {
    auto a = bind_args("default", args, {{"default_value", Value("")}, {"boolean", Value(false)}});
    if (input.is_undefined() || (a[1].truthy() && !input.truthy())) return a[0];
    return input;
  }
  if (name == "first" || name == "last") {
    none(name.c_str());
    if (input.is_undefined()) return Value::undefined("No " + name + " item, sequence was empty.");
    List items = iterate(input);
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "lower") {
    none("lower");
    return Value(py_lower(text_of(input)));
  }
  if (name == "upper") {
    none("upper");
    return Value(py_upper(text_of(input)));
  }
  if (name == "capitalize") {
    none("capitalize");
    return Value(py_capitalize(text_of(input)));
  }
  if (name == "title") {
    none("title");
    return Value(jinja_title(text_of(input)));
  }
  if (name == "string") {
    none("string");
    return Value(text_of(input));
  }
  if (name == "safe") {
    none("safe");
    return input.is_string() ? input : Value(text_of(input));
  }
  if (name == "e" || name == "escape" || name == "forceescape") {
    none("escape");
    return Value(html_escape(text_of(input)));
  }
  if (name == "int") {
    auto a = bind_args("int", args, {{"default", Value(int64_t{0})}, {"base", Value(int64_t{10})}});
    return to_int(input, a[0], a[1].as_int());
  }
  if (name == "float") {
    auto a = bind_args("float", args, {{"default", Value(0.0)}});
    return to_float(input, a[0]);
  }
  if (name == "abs") {
    none("abs");
    if (input.is_float()) return Value(std::fabs(input.as_double()));
    if (input.is_int() || input.is_bool()) {
      if (input.as_int() == INT64_MIN) throw EvalError("integer overflow");
      return Value(input.as_int() < 0 ? -input.as_int() : input.as_int());
    }
    throw EvalError("bad operand type for abs(): '" + py_type_name(input) + "'");
  }
  if (name == "round") return do_round(input, args);
  if (name == "list") {
    none("list");
    return Value::list(iterate(input));
  }
  if (name == "unique") return do_unique(input, args);
  if (name == "sort") {
    auto a = bind_args("sort", args,
                       {{"reverse", Value(false)},
                        {"case_sensitive", Value(false)},
                        {"attribute", Value::none()}});
    return Value::list(sorted(iterate(input), a[0].truthy(), a[1].truthy(), a[2]));
  }
  if (name == "reverse") {
    none("reverse");
    if (input.is_string()) {
      std::u32string u = utf8_decode(input.as_string());
      std::reverse(u.begin(), u.end());
      return Value(utf8_encode(u));
    }
    List items = iterate(input);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "indent") return filter_indent(input, args);
  if (name == "wordcount") {
    none("wordcount");
    // jinja2 counts matches of \w+
    int64_t n = 0;
    bool in_word = false;
    for (char32_t c : utf8_decode(text_of(input))) {
      bool w = is_py_alpha(c) || is_py_digit(c) || c == '_';
      if (w && !in_word) ++n;
      in_word = w;
    }
    return Value(n);
  }
  if (name == "batch" || name == "slice") return do_batch_or_slice(input, args, name == "batch");
  if (name == "dictsort") return do_dictsort(input, args);
  if (name == "groupby") return do_groupby(input, args);
  if (name == "sum") return do_sum(input, args);
  if (name == "min" || name == "max") return min_max(input, args, name == "max");
  if (name == "attr") {
    auto a = bind_args("attr", args, {{"name", std::nullopt}});
    return get_attr(input, py_str(a[0]));
  }
  if (name == "center") {
    auto a = bind_args("center", args, {{"width", Value(int64_t{80})}});
    CallArgs c;
    c.pos.push_back(a[0]);
    return string_method(*this, text_of(input), "center", c);
  }
  if (name == "format") {
    Value fmt_args = Value::tuple(args.pos);
    if (!args.kw.empty()) {
      Dict d;
      for (auto& [k, v] : args.kw) d.set(Value(k), v);
      fmt_args = Value::dict(std::move(d));
    }
    return Value(percent_format(text_of(input), fmt_args));
  }
  if (name == "truncate") return do_truncate(input, args);
  throw EvalError("no filter named '" + name + "'");
}

}  // namespace rmlx::tmpl::detail
