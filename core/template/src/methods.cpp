// Methods of str, dict and list that templates call, plus the environment's globals.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "builtins.hpp"
#include "interpreter.hpp"
#include "py_format.hpp"
#include "str_ops.hpp"

namespace rmlx::tmpl::detail {

namespace {

const char* const kStrMethods[] = {
    "startswith", "endswith", "split",        "rsplit",       "strip",     "lstrip",   "rstrip",
    "lower",      "upper",    "title",        "capitalize",   "replace",   "format",   "find",
    "rfind",      "count",    "join",         "splitlines",   "isdigit",   "isalpha",  "isalnum",
    "isspace",    "islower",  "isupper",      "isnumeric",    "isdecimal", "zfill",    "center",
    "ljust",      "rjust",    "removeprefix", "removesuffix", "casefold",  "swapcase", "partition",
    "rpartition", "index",    "rindex"};
const char* const kDictMethods[] = {"get", "keys", "values", "items", "copy"};
const char* const kDictUnsafe[] = {"pop", "popitem", "setdefault", "update", "clear"};
const char* const kListMethods[] = {"index", "count", "copy"};
const char* const kListUnsafe[] = {"append", "extend", "insert", "pop",
                                   "remove", "clear",  "sort",   "reverse"};

template <size_t N>
bool listed(const char* const (&names)[N], const std::string& name) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  Value call(Interpreter& interp, CallArgs& args) override;
  std::string repr() const override {
    return "<built-in method " + name_ + " of " + py_type_name(self_) + " object>";
  }

 private:
  Value self_;
  std::string name_;
};

Value dict_method(const Value& self, const std::string& name, CallArgs& args) {
  const Dict& d = self.as_dict();
  if (name == "get") {
    auto a = bind_args("get", args, {{"key", std::nullopt}, {"default", Value::none()}});
    if (a[0].is_list() || a[0].is_dict())
      throw EvalError("unhashable type: '" + py_type_name(a[0]) + "'");
    const Value* v = d.find(a[0]);
    return v ? *v : a[1];
  }
  bind_args(name, args, {});
  List out;
  for (const auto& [k, v] : d.items()) {
    if (name == "keys")
      out.push_back(k);
    else if (name == "values")
      out.push_back(v);
    else if (name == "items")
      out.push_back(Value::tuple({k, v}));
  }
  if (name == "copy") return Value::dict(d);
  return Value::list(std::move(out));
}

Value list_method(const Value& self, const std::string& name, CallArgs& args) {
  const List& items = self.as_list();
  if (name == "copy") {
    bind_args(name, args, {});
    return Value::list(items);
  }
  auto a = bind_args(name, args, {{"value", std::nullopt}});
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (py_equal(items[i], a[0])) {
      if (name == "index") return Value(static_cast<int64_t>(i));
      ++count;
    }
  }
  if (name == "index") throw EvalError(py_repr(a[0]) + " is not in list");
  return Value(count);
}

Value BoundMethod::call(Interpreter& interp, CallArgs& args) {
  if (self_.is_string()) return string_method(interp, self_.as_string(), name_, args);
  if (self_.is_dict()) return dict_method(self_, name_, args);
  return list_method(self_, name_, args);
}

Value unsafe(const Value& self, const std::string& name) {
  return Value::undefined("access to attribute '" + name + "' of '" + py_type_name(self) +
                          "' object is unsafe.");
}

// --- globals ---------------------------------------------------------------------------------

class Global : public Callable {
 public:
  using Fn = Value (*)(Interpreter&, CallArgs&);
  Global(std::string name, Fn fn) : name_(std::move(name)), fn_(fn) {}
  Value call(Interpreter& interp, CallArgs& args) override { return fn_(interp, args); }
  std::string repr() const override { return "<function " + name_ + ">"; }
  std::string type_name() const override { return "function"; }

 private:
  std::string name_;
  Fn fn_;
};

Value g_range(Interpreter&, CallArgs& args) {
  if (!args.kw.empty()) throw EvalError("range() takes no keyword arguments");
  if (args.pos.empty() || args.pos.size() > 3)
    throw EvalError("range expected at most 3 arguments, got " + std::to_string(args.pos.size()));
  for (const auto& v : args.pos)
    if (!(v.is_int() || v.is_bool()))
      throw EvalError("'" + py_type_name(v) + "' object cannot be interpreted as an integer");
  int64_t start = 0, stop = 0, step = 1;
  if (args.pos.size() == 1) {
    stop = args.pos[0].as_int();
  } else {
    start = args.pos[0].as_int();
    stop = args.pos[1].as_int();
    if (args.pos.size() == 3) step = args.pos[2].as_int();
  }
  if (step == 0) throw EvalError("range() arg 3 must not be zero");
  constexpr int64_t kMaxRange = 100000;
  // Length computed in long double so that extreme bounds do not overflow.
  long double span =
      step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  long double len = span <= 0 ? 0 : std::ceil(span / std::abs(static_cast<long double>(step)));
  if (len > kMaxRange)
    throw EvalError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  List out;
  for (int64_t i = 0, v = start; i < static_cast<int64_t>(len); ++i, v += step) out.emplace_back(v);
  return Value::list(std::move(out));
}

Dict dict_from_args(CallArgs& args, const char* fname) {
  Dict d;
  if (args.pos.size() > 1)
    throw EvalError(std::string(fname) + " expected at most 1 argument, got " +
                    std::to_string(args.pos.size()));
  if (!args.pos.empty()) {
    const Value& src = args.pos[0];
    if (src.is_dict() || src.is_namespace()) {
      for (const auto& [k, v] : (src.is_dict() ? src.as_dict() : src.namespace_dict()).items())
        d.set(k, v);
    } else {
      for (const auto& pair : iterate(src)) {
        List kv = iterate(pair);
        if (kv.size() != 2)
          throw EvalError("dictionary update sequence element has length " +
                          std::to_string(kv.size()) + "; 2 is required");
        d.set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [k, v] : args.kw) d.set(Value(k), v);
  return d;
}

Value g_dict(Interpreter&, CallArgs& args) {
  return Value::dict(dict_from_args(args, "dict"));
}

Value g_namespace(Interpreter& interp, CallArgs& args) {
  Dict d = dict_from_args(args, "namespace");
  for (const auto& [k, v] : d.items())
    if (k.is_string()) check_namespace_attribute(k.as_string());
  Value ns = Value::ns(std::move(d));
  interp.track_namespace(ns);
  return ns;
}

Value g_raise(Interpreter&, CallArgs& args) {
  auto a = bind_args("raise_exception", args, {{"message", std::nullopt}});
  throw EvalError(py_str(a[0]), TemplateError::Kind::Raised);
}

Value g_strftime_now(Interpreter&, CallArgs& args) {
  auto a = bind_args("strftime_now", args, {{"format", std::nullopt}});
  if (!a[0].is_string())
    throw EvalError("strftime() argument 1 must be str, not " + py_type_name(a[0]));
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  const std::string& fmt = a[0].as_string();
  if (fmt.empty()) return Value(std::string());
  std::string buf(fmt.size() * 8 + 256, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
  buf.resize(n);
  return Value(std::move(buf));
}

class Joiner : public Callable {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  Value call(Interpreter&, CallArgs& args) override {
    bind_args("joiner", args, {});
    if (!used_) {
      used_ = true;
      return Value(std::string());
    }
    return Value(sep_);
  }
  std::string repr() const override { return "<jinja2.utils.Joiner object>"; }

 private:
  std::string sep_;
  bool used_ = false;
};

Value g_joiner(Interpreter&, CallArgs& args) {
  auto a = bind_args("joiner", args, {{"sep", Value(", ")}});
  return Value::callable(std::make_shared<Joiner>(py_str(a[0])));
}

class Cycle : public Callable {
 public:
  explicit Cycle(int64_t index) : index_(index) {}
  Value call(Interpreter&, CallArgs& args) override {
    if (args.pos.empty()) throw EvalError("no items for cycling given");
    return args.pos[static_cast<size_t>(index_ % static_cast<int64_t>(args.pos.size()))];
  }
  std::string repr() const override { return "<bound method LoopContext.cycle>"; }

 private:
  int64_t index_;
};

}  // namespace

std::optional<Value> bound_method(const Value& self, const std::string& name) {
  if (self.is_string() && listed(kStrMethods, name))
    return Value::callable(std::make_shared<BoundMethod>(self, name));
  if (self.is_dict()) {
    if (listed(kDictMethods, name))
      return Value::callable(std::make_shared<BoundMethod>(self, name));
    if (listed(kDictUnsafe, name)) return unsafe(self, name);
  }
  if (self.is_sequence()) {
    if (listed(kListMethods, name) && !(self.is_tuple() && name == "copy"))
      return Value::callable(std::make_shared<BoundMethod>(self, name));
    if (self.is_list() && listed(kListUnsafe, name)) return unsafe(self, name);
  }
  return std::nullopt;
}

std::optional<Value> global_function(const std::string& name) {
  Global::Fn fn = nullptr;
  if (name == "range")
    fn = g_range;
  else if (name == "dict")
    fn = g_dict;
  else if (name == "namespace")
    fn = g_namespace;
  else if (name == "raise_exception")
    fn = g_raise;
  else if (name == "strftime_now")
    fn = g_strftime_now;
  else if (name == "joiner")
    fn = g_joiner;
  if (!fn) return std::nullopt;
  return Value::callable(std::make_shared<Global>(name, fn));
}

Value loop_cycle(int64_t index) {
  return Value::callable(std::make_shared<Cycle>(index));
}

void check_namespace_attribute(const std::string& name) {
  if (!name.empty() && name[0] == '_')
    throw EvalError(
        "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
        name + "'. Please rename the attribute.");
}

}  // namespace rmlx::tmpl::detail
