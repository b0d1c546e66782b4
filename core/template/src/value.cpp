#include "rmlx/template/value.hpp"

#include <cmath>
#include <limits>

#include "callable.hpp"
#include "eval_error.hpp"

namespace rmlx::tmpl {

namespace {

bool hashable_equal(const Value& a, const Value& b) {
  // Dict keys: Python equality, with strings compared first since they are the common case.
  if (a.is_string() && b.is_string()) return a.as_string() == b.as_string();
  if (a.is_string() != b.is_string()) return false;
  return py_equal(a, b);
}

}  // namespace

const Value* Dict::find(const Value& key) const {
  for (const auto& kv : items_)
    if (hashable_equal(kv.first, key)) return &kv.second;
  return nullptr;
}

Value* Dict::find(const Value& key) {
  for (auto& kv : items_)
    if (hashable_equal(kv.first, key)) return &kv.second;
  return nullptr;
}

void Dict::set(Value key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  items_.emplace_back(std::move(key), std::move(value));
}

Value Value::undefined(std::string hint) {
  Value v;
  v.s_ = std::move(hint);
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}

Value::Value(bool b) : kind_(Kind::Bool), b_(b) {}
Value::Value(int64_t i) : kind_(Kind::Int), i_(i) {}
Value::Value(double d) : kind_(Kind::Float), f_(d) {}
Value::Value(std::string s) : kind_(Kind::String), s_(std::move(s)) {}

Value Value::list(List items) {
  Value v;
  v.kind_ = Kind::List;
  v.list_ = std::make_shared<const List>(std::move(items));
  return v;
}

Value Value::tuple(List items) {
  Value v = list(std::move(items));
  v.kind_ = Kind::Tuple;
  return v;
}

Value Value::dict(Dict d) {
  Value v;
  v.kind_ = Kind::Dict;
  v.dict_ = std::make_shared<Dict>(std::move(d));
  return v;
}

Value Value::ns(Dict d) {
  Value v = dict(std::move(d));
  v.kind_ = Kind::Namespace;
  return v;
}

Value Value::callable(std::shared_ptr<Callable> c) {
  Value v;
  v.kind_ = Kind::Callable;
  v.callable_ = std::move(c);
  return v;
}

double Value::as_double() const {
  switch (kind_) {
    case Kind::Float:
      return f_;
    case Kind::Int:
      return static_cast<double>(i_);
    case Kind::Bool:
      return b_ ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return b_;
    case Kind::Int:
      return i_ != 0;
    case Kind::Float:
      return f_ != 0.0;
    case Kind::String:
      return !s_.empty();
    case Kind::List:
    case Kind::Tuple:
      return !list_->empty();
    case Kind::Dict:
      return dict_->size() != 0;
    case Kind::Namespace:
    case Kind::Callable:
      return true;
  }
  return false;
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  using T = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case T::null:
      return none();
    case T::boolean:
      return Value(j.get<bool>());
    case T::number_integer:
      return Value(j.get<int64_t>());
    case T::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case T::number_float:
      return Value(j.get<double>());
    case T::string:
      return Value(j.get<std::string>());
    case T::array: {
      List items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return list(std::move(items));
    }
    case T::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d.set(Value(it.key()), from_json(it.value()));
      return dict(std::move(d));
    }
    default:
      return none();
  }
}

bool py_equal(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if ((a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool())) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case K::Undefined:
    case K::None:
      return true;
    case K::String:
      return a.as_string() == b.as_string();
    case K::List:
    case K::Tuple: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!py_equal(x[i], y[i])) return false;
      return true;
    }
    case K::Dict: {
      const auto& x = a.as_dict();
      const auto& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.items()) {
        const Value* other = y.find(k);
        if (!other || !py_equal(v, *other)) return false;
      }
      return true;
    }
    case K::Namespace:
      return &a.namespace_dict() == &b.namespace_dict();
    case K::Callable:
      return a.as_callable() == b.as_callable();
    default:
      return false;
  }
}

namespace detail {

std::vector<Value> bind_args(const std::string& function, const CallArgs& args,
                             const std::vector<Param>& params) {
  if (args.pos.size() > params.size())
    throw EvalError(function + "() takes at most " + std::to_string(params.size()) +
                    " argument(s) (" + std::to_string(args.pos.size()) + " given)");
  std::vector<std::optional<Value>> bound(params.size());
  for (size_t i = 0; i < args.pos.size(); ++i) bound[i] = args.pos[i];
  for (const auto& [name, value] : args.kw) {
    size_t i = 0;
    while (i < params.size() && name != params[i].name) ++i;
    if (i == params.size())
      throw EvalError(function + "() got an unexpected keyword argument '" + name + "'");
    if (bound[i]) throw EvalError(function + "() got multiple values for argument '" + name + "'");
    bound[i] = value;
  }
  std::vector<Value> out;
  out.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (bound[i]) {
      out.push_back(std::move(*bound[i]));
    } else if (params[i].default_value) {
      out.push_back(*params[i].default_value);
    } else {
      throw EvalError(function + "() missing required argument '" + params[i].name + "'");
    }
  }
  return out;
}

}  // namespace detail
}  // namespace rmlx::tmpl
