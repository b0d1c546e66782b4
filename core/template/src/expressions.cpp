// Python semantics of jinja2 expressions: iteration, attribute/item access, slicing,
// arithmetic, comparison and membership.
#include <cmath>
#include <cstdio>

#include "builtins.hpp"
#include "interpreter.hpp"
#include "py_format.hpp"

namespace rmlx::tmpl::detail {

namespace {

bool is_ascii(const std::string& s) {
  for (char c : s)
    if (c & 0x80) return false;
  return true;
}

Value no_attribute(const Value& obj, const std::string& name) {
  return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + name + "'");
}

Value no_element(const Value& obj, const Value& key) {
  return Value::undefined(object_type_repr(obj) + " has no element " + py_repr(key));
}

bool is_int_like(const Value& v) {
  return v.is_int() || v.is_bool();
}

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  throw EvalError("unsupported operand type(s) for " + op + ": '" + py_type_name(a) + "' and '" +
                  py_type_name(b) + "'");
}

void check_overflow(bool overflow) {
  if (overflow) throw EvalError("integer overflow");
}

Value repeat(const Value& seq, int64_t n, const Interpreter& in) {
  if (n <= 0) return seq.is_string() ? Value(std::string()) : Value::list({});
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    in.check_size(s.size() * static_cast<uint64_t>(std::min<int64_t>(n, int64_t{1} << 40)));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value(std::move(out));
  }
  const List& items = seq.as_list();
  in.check_size(items.size() * 16 * static_cast<uint64_t>(std::min<int64_t>(n, int64_t{1} << 40)));
  List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

int64_t floor_div(int64_t a, int64_t b) {
  if (b == -1) {
    check_overflow(a == INT64_MIN);
    return -a;
  }
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double float_mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  if (r == 0) r = std::copysign(0.0, b);
  return r;
}

Value int_pow(int64_t base, int64_t exp) {
  if (exp < 0) return Value(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) check_overflow(__builtin_mul_overflow(result, base, &result));
    exp >>= 1;
    if (exp > 0) check_overflow(__builtin_mul_overflow(base, base, &base));
  }
  return Value(result);
}

bool less_than(const Value& a, const Value& b, const std::string& op, const Value& orig_a,
               const Value& orig_b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (is_int_like(a) && is_int_like(b)) return a.as_int() < b.as_int();
    return a.as_double() < b.as_double();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.kind() == b.kind() && a.is_sequence()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!py_equal(x[i], y[i])) return less_than(x[i], y[i], op, x[i], y[i]);
    }
    return x.size() < y.size();
  }
  throw EvalError("'" + op + "' not supported between instances of '" + py_type_name(orig_a) +
                  "' and '" + py_type_name(orig_b) + "'");
}

}  // namespace

int64_t to_int64(double d) {
  if (std::isnan(d)) throw EvalError("cannot convert float NaN to integer");
  if (!(d > -9.2233720368547758e18 && d < 9.2233720368547758e18))
    throw EvalError("cannot convert float " + py_float_repr(d) + " to a 64-bit integer");
  return static_cast<int64_t>(std::trunc(d));
}

void fail_undefined(const Value& v) {
  throw EvalError(v.undefined_hint().empty() ? "value is undefined" : v.undefined_hint());
}

List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return v.as_list();
    case Value::Kind::Dict: {
      List keys;
      for (const auto& kv : v.as_dict().items()) keys.push_back(kv.first);
      return keys;
    }
    case Value::Kind::String: {
      List chars;
      const std::string& s = v.as_string();
      if (is_ascii(s)) {
        for (char c : s) chars.emplace_back(std::string(1, c));
      } else {
        for (char32_t c : utf8_decode(s)) {
          std::string one;
          append_utf8(one, c);
          chars.emplace_back(std::move(one));
        }
      }
      return chars;
    }
    case Value::Kind::Undefined:
      return {};
    default:
      throw EvalError("'" + py_type_name(v) + "' object is not iterable");
  }
}

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::Undefined:
      fail_undefined(obj);
    case Value::Kind::Dict: {
      if (auto m = bound_method(obj, name)) return *m;
      if (const Value* v = obj.as_dict().find(Value(name))) return *v;
      return no_attribute(obj, name);
    }
    case Value::Kind::Namespace: {
      if (const Value* v = obj.namespace_dict().find(Value(name))) return *v;
      return no_attribute(obj, name);
    }
    default:
      if (auto m = bound_method(obj, name)) return *m;
      return no_attribute(obj, name);
  }
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict()) {
    if (!(key.is_list() || key.is_dict() || key.is_namespace() || key.is_undefined())) {
      if (const Value* v = obj.as_dict().find(key)) return *v;
    }
  } else if ((obj.is_sequence() || obj.is_string()) && is_int_like(key)) {
    int64_t i = key.as_int();
    if (obj.is_string()) {
      const std::string& s = obj.as_string();
      if (is_ascii(s)) {
        int64_t n = static_cast<int64_t>(s.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return Value(std::string(1, s[static_cast<size_t>(i)]));
      } else {
        std::u32string u = utf8_decode(s);
        int64_t n = static_cast<int64_t>(u.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) {
          std::string one;
          append_utf8(one, u[static_cast<size_t>(i)]);
          return Value(std::move(one));
        }
      }
    } else {
      const List& items = obj.as_list();
      int64_t n = static_cast<int64_t>(items.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return items[static_cast<size_t>(i)];
    }
  } else if (obj.is_namespace() && key.is_string()) {
    return get_attr(obj, key.as_string());
  }
  if (key.is_string()) {
    if (obj.is_dict() || obj.is_sequence() || obj.is_string()) {
      if (auto m = bound_method(obj, key.as_string())) return *m;
    }
    return no_attribute(obj, key.as_string());
  }
  return no_element(obj, key);
}

Value slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) fail_undefined(obj);
  // jinja2 compiles slices to a plain Python subscript (no getitem fallback).
  if (obj.is_dict()) throw EvalError("unhashable type: 'slice'");
  if (!obj.is_string() && !obj.is_sequence())
    throw EvalError("'" + py_type_name(obj) + "' object is not subscriptable");
  auto index = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_none()) return std::nullopt;
    if (!is_int_like(v))
      throw EvalError("slice indices must be integers or None or have an __index__ method");
    return v.as_int();
  };
  std::optional<int64_t> a = index(start), b = index(stop), c = index(step);
  int64_t st = c.value_or(1);
  if (st == 0) throw EvalError("slice step cannot be zero");
  std::u32string u;
  bool ascii = obj.is_string() && is_ascii(obj.as_string());
  if (obj.is_string() && !ascii) u = utf8_decode(obj.as_string());
  int64_t len = obj.is_string() ? static_cast<int64_t>(ascii ? obj.as_string().size() : u.size())
                                : static_cast<int64_t>(obj.as_list().size());
  int64_t lower = st > 0 ? 0 : -1;
  int64_t upper = st > 0 ? len : len - 1;
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < lower) x = lower;
    } else if (x > upper) {
      x = upper;
    }
    return x;
  };
  int64_t from = clamp(a, st > 0 ? lower : upper);
  int64_t to = clamp(b, st > 0 ? upper : lower);
  std::vector<size_t> picks;
  if (st > 0)
    for (int64_t i = from; i < to; i += st) picks.push_back(static_cast<size_t>(i));
  else
    for (int64_t i = from; i > to; i += st) picks.push_back(static_cast<size_t>(i));
  if (obj.is_string()) {
    std::string out;
    for (size_t i : picks) {
      if (ascii)
        out.push_back(obj.as_string()[i]);
      else
        append_utf8(out, u[i]);
    }
    return Value(std::move(out));
  }
  List out;
  out.reserve(picks.size());
  for (size_t i : picks) out.push_back(obj.as_list()[i]);
  return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Value get_path(const Value& obj, const Value& path) {
  if (path.is_none() || path.is_undefined()) return obj;
  if (!path.is_string()) return get_item(obj, path);
  Value cur = obj;
  const std::string& p = path.as_string();
  size_t start = 0;
  while (true) {
    size_t dot = p.find('.', start);
    std::string part = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    if (digits && part.size() < 18)
      cur = get_item(cur, Value(static_cast<int64_t>(std::stoll(part))));
    else
      cur = get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value binary_op(const std::string& op, const Value& a, const Value& b, const Interpreter& in) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  const bool nums = a.is_number() && b.is_number();
  const bool ints = is_int_like(a) && is_int_like(b);
  int64_t r = 0;
  switch (op[0]) {
    case '+':
      if (ints) {
        check_overflow(__builtin_add_overflow(a.as_int(), b.as_int(), &r));
        return Value(r);
      }
      if (nums) return Value(a.as_double() + b.as_double());
      if (a.is_string() && b.is_string()) {
        in.check_size(a.as_string().size() + b.as_string().size());
        return Value(a.as_string() + b.as_string());
      }
      if (a.is_sequence() && a.kind() == b.kind()) {
        List out = a.as_list();
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return a.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
      }
      if (a.is_string() || a.is_sequence())
        throw EvalError("can only concatenate " + py_type_name(a) + " (not \"" + py_type_name(b) +
                        "\") to " + py_type_name(a));
      unsupported("+", a, b);
    case '-':
      if (ints) {
        check_overflow(__builtin_sub_overflow(a.as_int(), b.as_int(), &r));
        return Value(r);
      }
      if (nums) return Value(a.as_double() - b.as_double());
      unsupported("-", a, b);
    case '*':
      if (op == "**") {
        if (ints) return int_pow(a.as_int(), b.as_int());
        if (nums) {
          if (a.as_double() == 0.0 && b.as_double() < 0)
            throw EvalError("0.0 cannot be raised to a negative power");
          return Value(std::pow(a.as_double(), b.as_double()));
        }
        unsupported("** or pow()", a, b);
      }
      if (ints) {
        check_overflow(__builtin_mul_overflow(a.as_int(), b.as_int(), &r));
        return Value(r);
      }
      if (nums) return Value(a.as_double() * b.as_double());
      if ((a.is_string() || a.is_sequence()) && is_int_like(b)) return repeat(a, b.as_int(), in);
      if ((b.is_string() || b.is_sequence()) && is_int_like(a)) return repeat(b, a.as_int(), in);
      if (a.is_string() || a.is_sequence() || b.is_string() || b.is_sequence())
        throw EvalError("can't multiply sequence by non-int of type '" +
                        py_type_name(a.is_string() || a.is_sequence() ? b : a) + "'");
      unsupported("*", a, b);
    case '/':
      if (op == "//") {
        if (ints) {
          if (b.as_int() == 0) throw EvalError("integer division or modulo by zero");
          return Value(floor_div(a.as_int(), b.as_int()));
        }
        if (nums) {
          if (b.as_double() == 0.0) throw EvalError("float floor division by zero");
          return Value(std::floor(a.as_double() / b.as_double()));
        }
        unsupported("//", a, b);
      }
      if (nums) {
        if (b.as_double() == 0.0) throw EvalError("division by zero");
        return Value(a.as_double() / b.as_double());
      }
      unsupported("/", a, b);
    case '%':
      if (a.is_string()) return Value(percent_format(a.as_string(), b));
      if (ints) {
        if (b.as_int() == 0) throw EvalError("integer division or modulo by zero");
        return Value(floor_mod(a.as_int(), b.as_int()));
      }
      if (nums) {
        if (b.as_double() == 0.0) throw EvalError("float modulo");
        return Value(float_mod(a.as_double(), b.as_double()));
      }
      unsupported("%", a, b);
    default:
      throw EvalError("unknown operator " + op);
  }
}

bool py_less(const Value& a, const Value& b) {
  return less_than(a, b, "<", a, b);
}

bool py_contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::String:
      if (!item.is_string())
        throw EvalError("'in <string>' requires string as left operand, not " + py_type_name(item));
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      for (const auto& v : container.as_list())
        if (py_equal(v, item)) return true;
      return false;
    case Value::Kind::Dict:
      if (item.is_list() || item.is_dict() || item.is_namespace())
        throw EvalError("unhashable type: '" + py_type_name(item) + "'");
      return container.as_dict().find(item) != nullptr;
    case Value::Kind::Undefined:
      return false;
    default:
      throw EvalError("argument of type '" + py_type_name(container) + "' is not iterable");
  }
}

bool py_compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return py_equal(a, b);
  if (op == "!=") return !py_equal(a, b);
  if (op == "in") return py_contains(b, a);
  if (op == "notin") return !py_contains(b, a);
  if (op == "<") return less_than(a, b, op, a, b);
  if (op == ">") return less_than(b, a, op, a, b);
  if (op == "<=") return less_than(a, b, op, a, b) || py_equal(a, b);
  if (op == ">=") return less_than(b, a, op, a, b) || py_equal(a, b);
  throw EvalError("unknown comparison " + op);
}

std::string percent_format(const std::string& fmt, const Value& args) {
  List values;
  const Dict* mapping = nullptr;
  if (args.is_tuple())
    values = args.as_list();
  else if (args.is_dict())
    mapping = &args.as_dict();
  else
    values.push_back(args);
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size()) throw EvalError("incomplete format");
    Value arg;
    bool have_arg = false;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !mapping) throw EvalError("format requires a mapping");
      const Value* v = mapping->find(Value(fmt.substr(i + 1, close - i - 1)));
      if (!v) throw EvalError("'" + fmt.substr(i + 1, close - i - 1) + "'");
      arg = *v;
      have_arg = true;
      i = close + 1;
    }
    std::string spec = "%";
    while (i < fmt.size() && std::string("-+ #0").find(fmt[i]) != std::string::npos)
      spec.push_back(fmt[i++]);
    while (i < fmt.size() && (std::isdigit(static_cast<unsigned char>(fmt[i])) || fmt[i] == '.'))
      spec.push_back(fmt[i++]);
    if (i >= fmt.size()) throw EvalError("incomplete format");
    char conv = fmt[i];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (!have_arg) {
      if (mapping) {
        arg = args;
      } else {
        if (next >= values.size()) throw EvalError("not enough arguments for format string");
        arg = values[next++];
      }
    }
    char buf[512];
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        std::string s = conv == 's' ? py_str(arg) : py_repr(arg);
        if (spec.size() > 1) {
          std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), s.c_str());
          s = buf;
        }
        out += s;
        break;
      }
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o':
        if (!arg.is_number())
          throw EvalError(std::string("%") + conv + " format: a real number is required, not " +
                          py_type_name(arg));
        std::snprintf(
            buf, sizeof(buf), (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(),
            static_cast<long long>(arg.is_float() ? to_int64(arg.as_double()) : arg.as_int()));
        out += buf;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!arg.is_number())
          throw EvalError(std::string("must be real number, not ") + py_type_name(arg));
        std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), arg.as_double());
        out += buf;
        break;
      case 'c':
        out += py_str(arg);
        break;
      default:
        throw EvalError(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (!mapping && next < values.size())
    throw EvalError("not all arguments converted during string formatting");
  return out;
}

}  // namespace rmlx::tmpl::detail
