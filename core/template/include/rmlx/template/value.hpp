#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace rmlx::tmpl {

class Value;
class Callable;

using List = std::vector<Value>;
class Dict;

// A jinja2 value: Python's None/bool/int/float/str/list/tuple/dict plus jinja's Undefined,
// namespace() objects and callables (macros, builtins, bound methods).
class Value {
 public:
  enum class Kind : uint8_t {
    Undefined,
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Tuple,
    Dict,
    Namespace,
    Callable
  };

  Value() = default;  // undefined
  static Value undefined(std::string hint = {});
  static Value none();
  Value(bool b);
  Value(int64_t i);
  Value(int i) : Value(static_cast<int64_t>(i)) {}
  Value(double d);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  static Value list(List items);
  static Value tuple(List items);
  static Value dict(Dict d);
  static Value ns(Dict d);
  static Value callable(std::shared_ptr<Callable> c);

  // JSON input: objects keep their key order, numbers keep int/float distinction.
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || is_bool(); }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::Tuple; }
  bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_callable() const { return kind_ == Kind::Callable; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }
  double as_double() const;
  const std::string& as_string() const { return s_; }
  const List& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }
  // The shared storage of a dict or namespace (namespaces and loop objects are mutated).
  Dict& namespace_dict() const { return *dict_; }
  std::weak_ptr<Dict> dict_handle() const { return dict_; }
  const std::shared_ptr<Callable>& as_callable() const { return callable_; }
  const std::string& undefined_hint() const { return s_; }

  // Python truthiness.
  bool truthy() const;

 private:
  Kind kind_ = Kind::Undefined;
  bool b_ = false;
  int64_t i_ = 0;
  double f_ = 0.0;
  std::string s_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<Callable> callable_;
};

// An insertion-ordered mapping, like a Python dict (chat templates render tools with
// `tojson`, so key order is observable).
class Dict {
 public:
  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  void set(Value key, Value value);
  const std::vector<std::pair<Value, Value>>& items() const { return items_; }
  Value& value_at(size_t i) { return items_[i].second; }
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<Value, Value>> items_;
};

// Python `==` between two values (1 == 1.0 == True; containers compare deeply).
bool py_equal(const Value& a, const Value& b);

}  // namespace rmlx::tmpl
