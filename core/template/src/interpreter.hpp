#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ast.hpp"
#include "callable.hpp"
#include "eval_error.hpp"
#include "rmlx/template/chat_template.hpp"

namespace rmlx::tmpl::detail {

struct Frame {
  std::vector<std::pair<std::string, Value>> vars;
  std::vector<std::string> pending;  // declared in this scope, not assigned yet
  std::shared_ptr<Frame> parent;

  Value* find_local(const std::string& name);
  void set(const std::string& name, Value v);
};
using FramePtr = std::shared_ptr<Frame>;

class MacroCallable;

// Walks the AST of one template for one render.
class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits) : limits_(limits) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string render(const ProgramData& program,
                     const std::vector<std::pair<std::string, Value>>& variables);

  // Used by builtins.
  Value call(const Value& callee, CallArgs& args);
  Value apply_filter(const std::string& name, const Value& input, CallArgs& args);
  bool apply_test(const std::string& name, const Value& input, CallArgs& args);
  void check_size(size_t bytes) const;
  // Namespaces can be made to contain themselves; their contents are dropped after the render.
  void track_namespace(const Value& ns);
  const RenderLimits& limits() const { return limits_; }

  // Used by MacroCallable.
  Value call_macro(const MacroCallable& macro, CallArgs& args);

 private:
  enum class Flow { Normal, Break, Continue };

  RenderLimits limits_;
  FramePtr frame_;
  int call_depth_ = 0;
  uint64_t iterations_ = 0;
  std::vector<std::shared_ptr<MacroCallable>> macros_;
  std::vector<std::weak_ptr<Dict>> namespaces_;

  Flow exec(const Body& body, std::string& out);
  Flow exec_stmt(const Stmt& s, std::string& out);
  void exec_if(const Stmt& s, std::string& out, Flow& flow);
  Flow exec_for(const Stmt& s, std::string& out);
  void exec_set(const Stmt& s);
  void exec_call_block(const Stmt& s, std::string& out);
  std::string render_block(const Body& body, FramePtr frame);
  Value apply_filter_chain(const std::vector<ExprPtr>& filters, Value input);
  void assign(const std::vector<std::string>& names, bool is_tuple, Value v, Frame& frame);
  void append(std::string& out, std::string_view text) const;

 public:
  Value eval(const Expr& e);

 private:
  Value eval_inner(const Expr& e);
  Value lookup(const std::string& name);
  CallArgs eval_args(const Expr& e, size_t first_arg);
  Value eval_compare(const Expr& e);
};

// Whole-list view of anything a `for` loop or a filter can iterate (dict: keys, str: chars).
List iterate(const Value& v);

// jinja2 sandbox attribute and item access (attribute falls back to item and back).
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step);
// Dotted attribute path as used by map/selectattr/sort ("a.b", "0").
Value get_path(const Value& obj, const Value& path);

// Operators with Python semantics. Throw EvalError.
Value binary_op(const std::string& op, const Value& a, const Value& b, const Interpreter& in);
bool py_less(const Value& a, const Value& b);  // for sorting; throws on mixed types
// ==, !=, <, >, <=, >=, in, notin
bool py_compare(const std::string& op, const Value& a, const Value& b);
bool py_contains(const Value& container, const Value& item);
int64_t to_int64(double d);  // int(d), truncating; throws when out of range
[[noreturn]] void fail_undefined(const Value& v);
std::string percent_format(const std::string& fmt, const Value& args);

}  // namespace rmlx::tmpl::detail
