#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rmlx/template/value.hpp"

namespace rmlx::tmpl {

namespace detail {
class Interpreter;
}

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

// Anything a template can call: macros, caller(), globals, bound str/dict/list methods.
class Callable {
 public:
  virtual ~Callable() = default;
  virtual Value call(detail::Interpreter& interp, CallArgs& args) = 0;
  virtual std::string repr() const = 0;
  virtual std::string type_name() const { return "builtin_function_or_method"; }
};

namespace detail {

struct Param {
  const char* name;
  std::optional<Value> default_value;  // nullopt: required
};

// Python-style binding of positional and keyword arguments to `params`. Throws EvalError.
std::vector<Value> bind_args(const std::string& function, const CallArgs& args,
                             const std::vector<Param>& params);

}  // namespace detail
}  // namespace rmlx::tmpl
