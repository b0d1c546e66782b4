#include "str_ops.hpp"

#include <algorithm>
#include <cstdio>

#include "interpreter.hpp"
#include "py_format.hpp"

namespace rmlx::tmpl::detail {

namespace {

bool in_chars(char32_t c, const std::u32string& chars) {
  return chars.find(c) != std::u32string::npos;
}

bool is_line_break(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

int64_t cp_index(const std::string& s, size_t byte_offset) {
  return static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, byte_offset)));
}

// Byte range of s for Python-style [start:end] code point bounds.
std::pair<size_t, size_t> byte_range(const std::string& s, const Value& start, const Value& end) {
  std::u32string u = utf8_decode(s);
  int64_t n = static_cast<int64_t>(u.size());
  auto fix = [&](const Value& v, int64_t dflt) {
    if (v.is_none() || v.is_undefined()) return dflt;
    int64_t x = v.as_int();
    if (x < 0) x = std::max<int64_t>(0, x + n);
    return std::min(x, n);
  };
  int64_t a = fix(start, 0), b = fix(end, n);
  if (b < a) b = a;
  size_t ba = utf8_encode(std::u32string_view(u).substr(0, static_cast<size_t>(a))).size();
  size_t bb = utf8_encode(std::u32string_view(u).substr(0, static_cast<size_t>(b))).size();
  return {ba, bb};
}

std::string pad(const std::string& s, int64_t width, char32_t fill, char align) {
  int64_t len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return s;
  if (width > (int64_t{1} << 24)) throw EvalError("width too large");
  int64_t total = width - len;
  int64_t left = align == '<' ? 0 : align == '>' ? total : total / 2;
  std::string fl;
  append_utf8(fl, fill);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fl;
  out += s;
  for (int64_t i = 0; i < total - left; ++i) out += fl;
  return out;
}

std::string format_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return py_str(v);
  std::u32string u = utf8_decode(spec);
  size_t i = 0;
  char32_t fill = ' ';
  char align = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (u.size() >= 2 && is_align(u[1])) {
    fill = u[0];
    align = static_cast<char>(u[1]);
    i = 2;
  } else if (!u.empty() && is_align(u[0])) {
    align = static_cast<char>(u[0]);
    i = 1;
  }
  char sign = '-';
  if (i < u.size() && (u[i] == '+' || u[i] == '-' || u[i] == ' ')) sign = static_cast<char>(u[i++]);
  if (i < u.size() && u[i] == '#') ++i;
  if (i < u.size() && u[i] == '0') {
    if (!align) {
      fill = '0';
      align = '=';
    }
    ++i;
  }
  int64_t width = 0;
  while (i < u.size() && u[i] >= '0' && u[i] <= '9' && width < 100000)
    width = width * 10 + (u[i++] - '0');
  char32_t grouping = 0;
  if (i < u.size() && (u[i] == ',' || u[i] == '_')) grouping = u[i++];
  int precision = -1;
  if (i < u.size() && u[i] == '.') {
    precision = 0;
    ++i;
    while (i < u.size() && u[i] >= '0' && u[i] <= '9' && precision < 1000)
      precision = precision * 10 + static_cast<int>(u[i++] - '0');
  }
  char type = i < u.size() ? static_cast<char>(u[i++]) : 0;
  if (i != u.size()) throw EvalError("Invalid format specifier '" + spec + "'");
  std::string body;
  if (v.is_string() || (!v.is_number() && (type == 0 || type == 's'))) {
    if (type != 0 && type != 's')
      throw EvalError(std::string("Unknown format code '") + type + "' for object of type 'str'");
    body = py_str(v);
    if (precision >= 0)
      body = utf8_encode(utf8_decode(body).substr(0, static_cast<size_t>(precision)));
    return pad(body, width, fill, align ? align : '<');
  }
  if (!v.is_number())
    throw EvalError("unsupported format string passed to " + py_type_name(v) + ".__format__");
  char buf[512];
  bool neg = false;
  if ((v.is_int() || v.is_bool()) &&
      (type == 0 || type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b')) {
    int64_t x = v.as_int();
    neg = x < 0;
    uint64_t mag = neg ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    if (type == 'b') {
      do {
        body.insert(body.begin(), static_cast<char>('0' + (mag & 1)));
        mag >>= 1;
      } while (mag);
    } else {
      std::snprintf(buf, sizeof(buf),
                    type == 'x'   ? "%llx"
                    : type == 'X' ? "%llX"
                    : type == 'o' ? "%llo"
                                  : "%llu",
                    static_cast<unsigned long long>(mag));
      body = buf;
    }
  } else {
    double d = v.as_double();
    neg = std::signbit(d) && !std::isnan(d);
    double mag = std::fabs(d);
    if (type == 0 && precision < 0) {
      body = py_float_repr(mag);
    } else {
      char t = type == 0 ? 'g' : type;
      if (t == '%') {
        std::snprintf(buf, sizeof(buf), "%.*f%%", precision < 0 ? 6 : precision, mag * 100);
      } else if (std::string("fFeEgG").find(t) != std::string::npos) {
        std::string f = std::string("%.*") + t;
        std::snprintf(buf, sizeof(buf), f.c_str(), precision < 0 ? 6 : precision, mag);
      } else {
        throw EvalError(std::string("Unknown format code '") + t + "' for object of type '" +
                        py_type_name(v) + "'");
      }
      body = buf;
    }
  }
  if (grouping) {
    // Group the integer digits in threes.
    size_t int_end = body.find_first_not_of("0123456789");
    if (int_end == std::string::npos) int_end = body.size();
    std::string grouped;
    for (size_t k = 0; k < int_end; ++k) {
      if (k && (int_end - k) % 3 == 0) grouped.push_back(static_cast<char>(grouping));
      grouped.push_back(body[k]);
    }
    body = grouped + body.substr(int_end);
  }
  std::string sign_str = neg ? "-" : sign == '+' ? "+" : sign == ' ' ? " " : "";
  if (align == '=')
    return sign_str + pad(body, width - static_cast<int64_t>(sign_str.size()), fill, '>');
  return pad(sign_str + body, width, fill, align ? align : '>');
}

std::string str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      throw EvalError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) throw EvalError("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec, conv;
    if (size_t colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (size_t bang = field.find('!'); bang != std::string::npos) {
      conv = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    size_t name_end = field.find_first_of(".[");
    std::string head = field.substr(0, name_end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.pos.size())
        throw EvalError("Replacement index " + std::to_string(auto_index) +
                        " out of range for positional args tuple");
      v = args.pos[auto_index++];
    } else if (head.find_first_not_of("0123456789") == std::string::npos && head.size() < 9) {
      size_t idx = std::stoul(head);
      if (idx >= args.pos.size())
        throw EvalError("Replacement index " + head + " out of range for positional args tuple");
      v = args.pos[idx];
    } else {
      auto it = std::find_if(args.kw.begin(), args.kw.end(),
                             [&](const auto& kv) { return kv.first == head; });
      if (it == args.kw.end()) throw EvalError("'" + head + "'");
      v = it->second;
    }
    size_t p = name_end;
    while (p != std::string::npos && p < field.size()) {
      if (field[p] == '.') {
        size_t e = field.find_first_of(".[", p + 1);
        v = get_attr(v,
                     field.substr(p + 1, e == std::string::npos ? std::string::npos : e - p - 1));
        p = e;
      } else {
        size_t e = field.find(']', p);
        if (e == std::string::npos) throw EvalError("Missing ']' in format string");
        std::string key = field.substr(p + 1, e - p - 1);
        bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
                      key.size() < 18;
        v = get_item(v, digits ? Value(static_cast<int64_t>(std::stoll(key))) : Value(key));
        p = e + 1;
      }
      if (v.is_undefined()) fail_undefined(v);
    }
    if (conv == "r" || conv == "a")
      v = Value(py_repr(v));
    else if (conv == "s")
      v = Value(py_str(v));
    else if (!conv.empty())
      throw EvalError("Unknown conversion specifier " + conv);
    out += format_spec(v, spec);
  }
  return out;
}

std::optional<std::string> opt_str(const Value& v, const char* what) {
  if (v.is_none()) return std::nullopt;
  if (!v.is_string()) throw EvalError(std::string(what) + " arg must be None or str");
  return v.as_string();
}

}  // namespace

std::string py_strip(const std::string& s, const std::optional<std::string>& chars,
                     StripSide side) {
  std::u32string u = utf8_decode(s);
  std::u32string set = chars ? utf8_decode(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) { return chars ? in_chars(c, set) : is_py_space(c); };
  size_t a = 0, b = u.size();
  if (side != StripSide::Right)
    while (a < b && strip_it(u[a])) ++a;
  if (side != StripSide::Left)
    while (b > a && strip_it(u[b - 1])) --b;
  return utf8_encode(std::u32string_view(u).substr(a, b - a));
}

std::vector<std::string> py_split(const std::string& s, const std::optional<std::string>& sep,
                                  int64_t maxsplit, bool from_right) {
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) throw EvalError("empty separator");
    if (!from_right) {
      size_t start = 0;
      while (true) {
        size_t pos = (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit)
                         ? s.find(*sep, start)
                         : std::string::npos;
        if (pos == std::string::npos) {
          parts.push_back(s.substr(start));
          return parts;
        }
        parts.push_back(s.substr(start, pos - start));
        start = pos + sep->size();
      }
    }
    size_t end = s.size();
    while (true) {
      size_t pos = std::string::npos;
      if ((maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) && end >= sep->size())
        pos = s.rfind(*sep, end - sep->size());
      if (pos == std::string::npos) {
        parts.push_back(s.substr(0, end));
        break;
      }
      parts.push_back(s.substr(pos + sep->size(), end - pos - sep->size()));
      end = pos;
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  std::u32string u = utf8_decode(s);
  if (from_right) std::reverse(u.begin(), u.end());
  size_t i = 0;
  while (true) {
    while (i < u.size() && is_py_space(u[i])) ++i;
    if (i >= u.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
      size_t end = u.size();
      while (end > i && is_py_space(u[end - 1])) --end;
      std::u32string rest = u.substr(i, end - i);
      if (from_right) std::reverse(rest.begin(), rest.end());
      parts.push_back(utf8_encode(rest));
      break;
    }
    size_t j = i;
    while (j < u.size() && !is_py_space(u[j])) ++j;
    std::u32string word = u.substr(i, j - i);
    if (from_right) std::reverse(word.begin(), word.end());
    parts.push_back(utf8_encode(word));
    i = j;
  }
  if (from_right) std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> py_splitlines(const std::string& s, bool keepends) {
  std::u32string u = utf8_decode(s);
  std::vector<std::string> lines;
  size_t start = 0, i = 0;
  while (i < u.size()) {
    if (is_line_break(u[i])) {
      size_t eol = i + 1;
      if (u[i] == '\r' && eol < u.size() && u[eol] == '\n') ++eol;
      lines.push_back(utf8_encode(u.substr(start, (keepends ? eol : i) - start)));
      start = i = eol;
    } else {
      ++i;
    }
  }
  if (start < u.size()) lines.push_back(utf8_encode(u.substr(start)));
  return lines;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       int64_t count) {
  std::string out;
  int64_t done = 0;
  if (old.empty()) {
    std::u32string u = utf8_decode(s);
    for (size_t i = 0; i <= u.size(); ++i) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      if (i < u.size()) append_utf8(out, u[i]);
    }
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    size_t pos = s.find(old, start);
    if (pos == std::string::npos) break;
    out.append(s, start, pos - start);
    out += repl;
    start = pos + old.size();
    ++done;
  }
  out.append(s, start, std::string::npos);
  return out;
}

std::string py_title(const std::string& s) {
  std::u32string u = utf8_decode(s);
  bool prev_cased = false;
  for (auto& c : u) {
    c = prev_cased ? py_lower(c) : py_upper(c);
    prev_cased = py_upper(c) != c || py_lower(c) != c;
  }
  return utf8_encode(u);
}

std::string py_capitalize(const std::string& s) {
  std::u32string u = utf8_decode(s);
  for (size_t i = 0; i < u.size(); ++i) u[i] = i == 0 ? py_upper(u[i]) : py_lower(u[i]);
  return utf8_encode(u);
}

Value string_method(Interpreter& interp, const std::string& s, const std::string& name,
                    CallArgs& args) {
  auto strs = [](const std::vector<std::string>& v) {
    List out;
    for (const auto& x : v) out.emplace_back(x);
    return Value::list(std::move(out));
  };
  if (name == "format") return Value(str_format(s, args));
  if (name == "startswith" || name == "endswith") {
    auto a = bind_args(
        name, args, {{"prefix", std::nullopt}, {"start", Value::none()}, {"end", Value::none()}});
    auto [from, to] = byte_range(s, a[1], a[2]);
    std::string_view view = std::string_view(s).substr(from, to - from);
    List options = a[0].is_tuple() ? a[0].as_list() : List{a[0]};
    for (const auto& o : options) {
      if (!o.is_string())
        throw EvalError(name + " first arg must be str or a tuple of str, not " + py_type_name(o));
      const std::string& p = o.as_string();
      bool hit = p.size() <= view.size() &&
                 (name == "startswith" ? view.substr(0, p.size()) == p
                                       : view.substr(view.size() - p.size()) == p);
      if (hit) return Value(true);
    }
    return Value(false);
  }
  if (name == "split" || name == "rsplit") {
    auto a = bind_args(name, args, {{"sep", Value::none()}, {"maxsplit", Value(int64_t{-1})}});
    if (!a[1].is_int() && !a[1].is_bool())
      throw EvalError("'" + py_type_name(a[1]) + "' object cannot be interpreted as an integer");
    return strs(py_split(s, opt_str(a[0], "sep"), a[1].as_int(), name == "rsplit"));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    auto a = bind_args(name, args, {{"chars", Value::none()}});
    StripSide side = name == "strip"    ? StripSide::Both
                     : name == "lstrip" ? StripSide::Left
                                        : StripSide::Right;
    return Value(py_strip(s, opt_str(a[0], name.c_str()), side));
  }
  if (name == "lower" || name == "upper" || name == "title" || name == "capitalize" ||
      name == "casefold" || name == "swapcase") {
    bind_args(name, args, {});
    if (name == "lower" || name == "casefold") return Value(py_lower(s));
    if (name == "upper") return Value(py_upper(s));
    if (name == "title") return Value(py_title(s));
    if (name == "capitalize") return Value(py_capitalize(s));
    std::u32string u = utf8_decode(s);
    for (auto& c : u) c = py_upper(c) != c ? py_upper(c) : py_lower(c);
    return Value(utf8_encode(u));
  }
  if (name == "replace") {
    auto a = bind_args(
        name, args, {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value(int64_t{-1})}});
    if (!a[0].is_string() || !a[1].is_string()) throw EvalError("replace() arguments must be str");
    std::string r = py_replace(s, a[0].as_string(), a[1].as_string(), a[2].as_int());
    interp.check_size(r.size());
    return Value(std::move(r));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    auto a = bind_args(name, args,
                       {{"sub", std::nullopt}, {"start", Value::none()}, {"end", Value::none()}});
    if (!a[0].is_string()) throw EvalError("must be str, not " + py_type_name(a[0]));
    auto [from, to] = byte_range(s, a[1], a[2]);
    std::string hay = s.substr(from, to - from);
    const std::string& sub = a[0].as_string();
    if (name == "count") {
      if (sub.empty()) return Value(static_cast<int64_t>(utf8_length(hay) + 1));
      int64_t n = 0;
      for (size_t p = hay.find(sub); p != std::string::npos; p = hay.find(sub, p + sub.size())) ++n;
      return Value(n);
    }
    size_t p = (name == "find" || name == "index") ? hay.find(sub) : hay.rfind(sub);
    if (p == std::string::npos) {
      if (name == "index" || name == "rindex") throw EvalError("substring not found");
      return Value(int64_t{-1});
    }
    return Value(cp_index(s, from + p));
  }
  if (name == "join") {
    auto a = bind_args(name, args, {{"iterable", std::nullopt}});
    std::string out;
    bool first = true;
    for (const auto& v : iterate(a[0])) {
      if (!v.is_string())
        throw EvalError("sequence item: expected str instance, " + py_type_name(v) + " found");
      if (!first) out += s;
      first = false;
      out += v.as_string();
      interp.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "splitlines") {
    auto a = bind_args(name, args, {{"keepends", Value(false)}});
    return strs(py_splitlines(s, a[0].truthy()));
  }
  if (name == "partition" || name == "rpartition") {
    auto a = bind_args(name, args, {{"sep", std::nullopt}});
    if (!a[0].is_string()) throw EvalError("must be str, not " + py_type_name(a[0]));
    const std::string& sep = a[0].as_string();
    if (sep.empty()) throw EvalError("empty separator");
    size_t p = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (p == std::string::npos)
      return name == "partition" ? Value::tuple({Value(s), Value(""), Value("")})
                                 : Value::tuple({Value(""), Value(""), Value(s)});
    return Value::tuple({Value(s.substr(0, p)), Value(sep), Value(s.substr(p + sep.size()))});
  }
  if (name == "removeprefix" || name == "removesuffix") {
    auto a = bind_args(name, args, {{"affix", std::nullopt}});
    if (!a[0].is_string()) throw EvalError("must be str, not " + py_type_name(a[0]));
    const std::string& p = a[0].as_string();
    if (name == "removeprefix")
      return Value(s.compare(0, p.size(), p) == 0 ? s.substr(p.size()) : s);
    return Value(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0
                     ? s.substr(0, s.size() - p.size())
                     : s);
  }
  if (name == "zfill" || name == "center" || name == "ljust" || name == "rjust") {
    auto a = bind_args(name, args, {{"width", std::nullopt}, {"fillchar", Value(" ")}});
    if (!a[0].is_int())
      throw EvalError("'" + py_type_name(a[0]) + "' object cannot be interpreted as an integer");
    interp.check_size(static_cast<size_t>(std::max<int64_t>(0, a[0].as_int())));
    if (name == "zfill") {
      std::string body = s, sign;
      if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
        sign = body.substr(0, 1);
        body.erase(0, 1);
      }
      return Value(sign + pad(body, a[0].as_int() - static_cast<int64_t>(sign.size()), '0', '>'));
    }
    std::u32string fill = utf8_decode(py_str(a[1]));
    if (fill.size() != 1) throw EvalError("The fill character must be exactly one character long");
    char align = name == "center" ? '^' : name == "ljust" ? '<' : '>';
    if (align == '^') {
      // CPython's rule: an odd padding puts the extra fill character on the left only when
      // the width is odd too.
      int64_t len = static_cast<int64_t>(utf8_length(s));
      int64_t total = a[0].as_int() - len;
      if (total <= 0) return Value(s);
      int64_t left = total / 2 + (total & a[0].as_int() & 1);
      std::string fl;
      append_utf8(fl, fill[0]);
      std::string out;
      for (int64_t i = 0; i < left; ++i) out += fl;
      out += s;
      for (int64_t i = 0; i < total - left; ++i) out += fl;
      return Value(std::move(out));
    }
    return Value(pad(s, a[0].as_int(), fill[0], align));
  }
  // is* predicates
  bind_args(name, args, {});
  std::u32string u = utf8_decode(s);
  if (u.empty()) return Value(false);
  auto all = [&](auto pred) { return std::all_of(u.begin(), u.end(), pred); };
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal")
    return Value(all(is_py_digit));
  if (name == "isalpha") return Value(all(is_py_alpha));
  if (name == "isalnum")
    return Value(all([](char32_t c) { return is_py_alpha(c) || is_py_digit(c); }));
  if (name == "isspace") return Value(all(is_py_space));
  bool has_cased = std::any_of(u.begin(), u.end(),
                               [](char32_t c) { return py_upper(c) != c || py_lower(c) != c; });
  if (name == "islower")
    return Value(has_cased && all([](char32_t c) {
                   return py_upper(c) == c || py_lower(c) == c ? py_lower(c) == c : true;
                 }));
  if (name == "isupper")
    return Value(has_cased && all([](char32_t c) { return py_upper(c) == c; }));
  throw EvalError("'str' object has no attribute '" + name + "'");
}

}  // namespace rmlx::tmpl::detail
