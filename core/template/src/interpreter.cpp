#include "interpreter.hpp"

#include <algorithm>

#include "builtins.hpp"
#include "py_format.hpp"

namespace rmlx::tmpl::detail {

Value* Frame::find_local(const std::string& name) {
  for (auto& kv : vars)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

void Frame::set(const std::string& name, Value v) {
  if (!pending.empty()) std::erase(pending, name);
  if (Value* existing = find_local(name)) {
    *existing = std::move(v);
    return;
  }
  vars.emplace_back(name, std::move(v));
}

// A macro, or the body of a `{% call %}` block seen as `caller`.
class MacroCallable : public Callable {
 public:
  MacroCallable(const Stmt* def, FramePtr closure, std::string name)
      : def_(def), closure_(std::move(closure)), name_(std::move(name)) {}

  Value call(Interpreter& interp, CallArgs& args) override {
    return interp.call_macro(*this, args);
  }
  std::string repr() const override { return "<Macro '" + name_ + "'>"; }
  std::string type_name() const override { return "Macro"; }

  const Stmt* def_;
  FramePtr closure_;
  std::string name_;
};

namespace {

FramePtr child_of(const FramePtr& parent, const std::vector<std::string>& declared = {}) {
  auto f = std::make_shared<Frame>();
  f->parent = parent;
  f->pending = declared;
  return f;
}

// Restores the interpreter's current frame on scope exit, exceptions included.
struct FrameSwap {
  FramePtr& slot;
  FramePtr saved;
  FrameSwap(FramePtr& s, FramePtr next) : slot(s), saved(std::move(s)) { slot = std::move(next); }
  ~FrameSwap() { slot = std::move(saved); }
};

TemplateError at(const Pos& p, const EvalError& e) {
  return TemplateError(e.kind(), p.line, p.column, e.what());
}

}  // namespace

Interpreter::~Interpreter() {
  // Macros hold their defining frame, and frames hold macros: break the cycles.
  for (auto& m : macros_) m->closure_.reset();
  for (auto& weak : namespaces_)
    if (auto ns = weak.lock()) *ns = Dict();
}

void Interpreter::track_namespace(const Value& ns) {
  if (namespaces_.size() >= 1024 && namespaces_.size() % 1024 == 0)
    std::erase_if(namespaces_, [](const auto& w) { return w.expired(); });
  namespaces_.push_back(ns.dict_handle());
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes)
    throw EvalError(
        "output exceeds the limit of " + std::to_string(limits_.max_output_bytes) + " bytes",
        TemplateError::Kind::Limit);
}

void Interpreter::append(std::string& out, std::string_view text) const {
  check_size(out.size() + text.size());
  out.append(text);
}

std::string Interpreter::render(const ProgramData& program,
                                const std::vector<std::pair<std::string, Value>>& variables) {
  auto context = std::make_shared<Frame>();
  for (const auto& [k, v] : variables) context->set(k, v);
  frame_ = child_of(context, program.declared);
  std::string out;
  exec(program.body, out);
  return out;
}

Interpreter::Flow Interpreter::exec(const Body& body, std::string& out) {
  for (const auto& s : body) {
    Flow f = exec_stmt(*s, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec_stmt(const Stmt& s, std::string& out) {
  try {
    switch (s.kind) {
      case StmtKind::Text:
        append(out, s.text);
        return Flow::Normal;
      case StmtKind::Output:
        append(out, py_str(eval(*s.expr)));
        return Flow::Normal;
      case StmtKind::If: {
        Flow flow = Flow::Normal;
        exec_if(s, out, flow);
        return flow;
      }
      case StmtKind::For:
        return exec_for(s, out);
      case StmtKind::Set:
        exec_set(s);
        return Flow::Normal;
      case StmtKind::SetBlock: {
        FramePtr inner = child_of(frame_, s.declared);
        std::string text = render_block(s.body, inner);
        Value v = apply_filter_chain(s.filters, Value(std::move(text)));
        assign(s.targets, false, std::move(v), *frame_);
        return Flow::Normal;
      }
      case StmtKind::Macro: {
        auto m = std::make_shared<MacroCallable>(&s, frame_, s.text);
        macros_.push_back(m);
        frame_->set(s.text, Value::callable(m));
        return Flow::Normal;
      }
      case StmtKind::CallBlock:
        exec_call_block(s, out);
        return Flow::Normal;
      case StmtKind::FilterBlock: {
        std::string text = render_block(s.body, child_of(frame_, s.declared));
        append(out, py_str(apply_filter_chain(s.filters, Value(std::move(text)))));
        return Flow::Normal;
      }
      case StmtKind::With: {
        FramePtr f = child_of(frame_, s.declared);
        for (size_t i = 0; i < s.targets.size(); ++i) f->set(s.targets[i], eval(*s.defaults[i]));
        FrameSwap swap(frame_, f);
        return exec(s.body, out);
      }
      case StmtKind::Break:
        return Flow::Break;
      case StmtKind::Continue:
        return Flow::Continue;
    }
  } catch (const EvalError& e) {
    throw at(s.pos, e);
  }
  return Flow::Normal;
}

void Interpreter::exec_if(const Stmt& s, std::string& out, Flow& flow) {
  for (size_t i = 0; i < s.conds.size(); ++i) {
    if (eval(*s.conds[i]).truthy()) {
      flow = exec(s.bodies[i], out);
      return;
    }
  }
  flow = exec(s.else_body, out);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s, std::string& out) {
  List items = iterate(eval(*s.expr));
  FramePtr outer = frame_;
  if (s.cond) {
    List kept;
    for (auto& item : items) {
      FramePtr f = child_of(outer);
      assign(s.targets, s.target_is_tuple, item, *f);
      FrameSwap swap(frame_, f);
      if (eval(*s.cond).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    FrameSwap swap(frame_, child_of(outer));
    exec(s.else_body, out);
    return Flow::Normal;
  }
  const int64_t n = static_cast<int64_t>(items.size());
  // One loop object per loop, advanced in place each iteration (as jinja2's LoopContext is).
  enum Field { Index, Index0, RevIndex, RevIndex0, First, Last, PrevItem, NextItem, Cycle };
  Dict fields;
  for (const char* name : {"index", "index0", "revindex", "revindex0", "first", "last", "previtem",
                           "nextitem", "cycle", "length", "depth", "depth0"})
    fields.set(Value(name), Value());
  fields.value_at(9) = Value(n);
  fields.value_at(10) = Value(int64_t{1});
  fields.value_at(11) = Value(int64_t{0});
  Value loop = Value::dict(std::move(fields));
  Dict& lf = loop.namespace_dict();
  for (int64_t i = 0; i < n; ++i) {
    if (++iterations_ > limits_.max_loop_iterations)
      throw TemplateError(
          TemplateError::Kind::Limit, s.pos.line, s.pos.column,
          "loop iterations exceed the limit of " + std::to_string(limits_.max_loop_iterations));
    FramePtr f = child_of(outer, s.declared);
    const auto idx = static_cast<size_t>(i);
    assign(s.targets, s.target_is_tuple, items[idx], *f);
    lf.value_at(Index) = Value(i + 1);
    lf.value_at(Index0) = Value(i);
    lf.value_at(RevIndex) = Value(n - i);
    lf.value_at(RevIndex0) = Value(n - i - 1);
    lf.value_at(First) = Value(i == 0);
    lf.value_at(Last) = Value(i == n - 1);
    lf.value_at(PrevItem) = i > 0 ? items[idx - 1] : Value::undefined("there is no previous item");
    lf.value_at(NextItem) = i + 1 < n ? items[idx + 1] : Value::undefined("there is no next item");
    lf.value_at(Cycle) = loop_cycle(i);
    f->set("loop", loop);
    FrameSwap swap(frame_, f);
    if (exec(s.body, out) == Flow::Break) break;
  }
  return Flow::Normal;
}

void Interpreter::assign(const std::vector<std::string>& names, bool is_tuple, Value v,
                         Frame& frame) {
  if (!is_tuple) {
    frame.set(names[0], std::move(v));
    return;
  }
  List parts = iterate(v);
  if (parts.size() != names.size()) {
    if (parts.size() > names.size())
      throw EvalError("too many values to unpack (expected " + std::to_string(names.size()) + ")");
    throw EvalError("not enough values to unpack (expected " + std::to_string(names.size()) +
                    ", got " + std::to_string(parts.size()) + ")");
  }
  for (size_t i = 0; i < names.size(); ++i) frame.set(names[i], std::move(parts[i]));
}

void Interpreter::exec_set(const Stmt& s) {
  Value v = eval(*s.expr);
  if (!s.ns_name.empty()) {
    Value target = lookup(s.ns_name);
    if (!target.is_namespace()) throw EvalError("cannot assign attribute on non-namespace object");
    check_namespace_attribute(s.text);
    target.namespace_dict().set(Value(s.text), std::move(v));
    return;
  }
  assign(s.targets, s.target_is_tuple, std::move(v), *frame_);
}

std::string Interpreter::render_block(const Body& body, FramePtr frame) {
  FrameSwap swap(frame_, std::move(frame));
  std::string text;
  exec(body, text);
  return text;
}

Value Interpreter::apply_filter_chain(const std::vector<ExprPtr>& filters, Value input) {
  for (const auto& f : filters) {
    CallArgs args = eval_args(*f, 1);
    try {
      input = apply_filter(f->name, input, args);
    } catch (const EvalError& e) {
      throw at(f->pos, e);
    }
  }
  return input;
}

void Interpreter::exec_call_block(const Stmt& s, std::string& out) {
  auto caller = std::make_shared<MacroCallable>(&s, frame_, "caller");
  macros_.push_back(caller);
  const Expr& call = *s.expr;
  Value callee = eval(*call.items[0]);
  CallArgs args = eval_args(call, 1);
  args.kw.emplace_back("caller", Value::callable(caller));
  try {
    append(out, py_str(this->call(callee, args)));
  } catch (const EvalError& e) {
    throw at(call.pos, e);
  }
}

Value Interpreter::call_macro(const MacroCallable& macro, CallArgs& args) {
  const Stmt& def = *macro.def_;
  if (call_depth_ >= limits_.max_call_depth)
    throw EvalError("macro calls nested deeper than " + std::to_string(limits_.max_call_depth),
                    TemplateError::Kind::Limit);
  FramePtr f = child_of(macro.closure_, def.declared);
  const size_t np = def.params.size();
  List extra;
  for (size_t i = 0; i < args.pos.size(); ++i) {
    if (i < np)
      f->set(def.params[i], args.pos[i]);
    else
      extra.push_back(args.pos[i]);
  }
  if (!extra.empty() && !def.uses_varargs)
    throw EvalError("macro '" + macro.name_ + "' takes not more than " + std::to_string(np) +
                    " argument(s)");
  Dict extra_kw;
  for (auto& [k, v] : args.kw) {
    bool is_param = false;
    for (size_t i = 0; i < np; ++i) {
      if (def.params[i] == k) {
        if (i < args.pos.size())
          throw EvalError("macro '" + macro.name_ + "' got multiple values for argument '" + k +
                          "'");
        is_param = true;
      }
    }
    if (is_param || k == "caller")
      f->set(k, v);
    else if (def.uses_kwargs)
      extra_kw.set(Value(k), v);
    else
      throw EvalError("macro '" + macro.name_ + "' takes no keyword argument '" + k + "'");
  }
  ++call_depth_;
  struct DepthRestore {
    int& d;
    ~DepthRestore() { --d; }
  } restore{call_depth_};
  FrameSwap swap(frame_, f);
  for (size_t i = 0; i < np; ++i) {
    if (f->find_local(def.params[i])) continue;
    f->set(def.params[i], def.defaults[i] ? eval(*def.defaults[i])
                                          : Value::undefined("parameter '" + def.params[i] +
                                                             "' was not provided"));
  }
  if (def.uses_varargs) f->set("varargs", Value::tuple(std::move(extra)));
  if (def.uses_kwargs) f->set("kwargs", Value::dict(std::move(extra_kw)));
  if (!f->find_local("caller") && def.kind == StmtKind::Macro)
    f->set("caller", Value::undefined("No caller defined"));
  std::string text;
  exec(def.body, text);
  return Value(std::move(text));
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_callable()) return callee.as_callable()->call(*this, args);
  if (callee.is_undefined()) fail_undefined(callee);
  throw EvalError("'" + py_type_name(callee) + "' object is not callable");
}

Value Interpreter::lookup(const std::string& name) {
  for (Frame* f = frame_.get(); f; f = f->parent.get()) {
    if (Value* v = f->find_local(name)) return *v;
    // A name an enclosing scope assigns later: jinja2 gives nested scopes an undefined local.
    if (f != frame_.get() &&
        std::find(f->pending.begin(), f->pending.end(), name) != f->pending.end())
      return Value::undefined("'" + name + "' is undefined");
  }
  if (auto g = global_function(name)) return *g;
  return Value::undefined("'" + name + "' is undefined");
}

CallArgs Interpreter::eval_args(const Expr& e, size_t first_arg) {
  CallArgs args;
  for (size_t i = first_arg; i < e.items.size(); ++i) args.pos.push_back(eval(*e.items[i]));
  for (const auto& [k, v] : e.kwargs) args.kw.emplace_back(k, eval(*v));
  if (e.dyn_args) {
    Value extra = eval(*e.dyn_args);
    for (auto& v : iterate(extra)) args.pos.push_back(std::move(v));
  }
  if (e.dyn_kwargs) {
    Value extra = eval(*e.dyn_kwargs);
    if (!extra.is_dict()) throw EvalError("argument after ** must be a mapping");
    for (const auto& [k, v] : extra.as_dict().items()) {
      if (!k.is_string()) throw EvalError("keywords must be strings");
      args.kw.emplace_back(k.as_string(), v);
    }
  }
  return args;
}

Value Interpreter::eval(const Expr& e) {
  try {
    return eval_inner(e);
  } catch (const EvalError& err) {
    throw at(e.pos, err);
  }
}

Value Interpreter::eval_inner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Literal:
      return e.value;
    case ExprKind::Name:
      return lookup(e.name);
    case ExprKind::List:
    case ExprKind::Tuple: {
      List items;
      items.reserve(e.items.size());
      for (const auto& i : e.items) items.push_back(eval(*i));
      return e.kind == ExprKind::List ? Value::list(std::move(items))
                                      : Value::tuple(std::move(items));
    }
    case ExprKind::Dict: {
      Dict d;
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        Value k = eval(*e.items[i]);
        if (k.is_list() || k.is_dict() || k.is_namespace() || k.is_undefined())
          throw EvalError("unhashable type: '" + py_type_name(k) + "'");
        d.set(std::move(k), eval(*e.items[i + 1]));
      }
      return Value::dict(std::move(d));
    }
    case ExprKind::Getattr:
      return get_attr(eval(*e.items[0]), e.name);
    case ExprKind::Getitem: {
      Value obj = eval(*e.items[0]);
      const Expr& key = *e.items[1];
      if (key.kind == ExprKind::Slice) {
        auto part = [&](size_t i) { return key.items[i] ? eval(*key.items[i]) : Value::none(); };
        return slice_value(obj, part(0), part(1), part(2));
      }
      return get_item(obj, eval(key));
    }
    case ExprKind::Slice:
      throw EvalError("slice outside of a subscript");
    case ExprKind::Call: {
      Value callee = eval(*e.items[0]);
      CallArgs args = eval_args(e, 1);
      return call(callee, args);
    }
    case ExprKind::Filter: {
      Value input = eval(*e.items[0]);
      CallArgs args = eval_args(e, 1);
      return apply_filter(e.name, input, args);
    }
    case ExprKind::Test: {
      Value input = eval(*e.items[0]);
      CallArgs args = eval_args(e, 1);
      bool r = apply_test(e.name, input, args);
      return Value(e.negated ? !r : r);
    }
    case ExprKind::Not:
      return Value(!eval(*e.items[0]).truthy());
    case ExprKind::Neg:
    case ExprKind::Pos: {
      Value v = eval(*e.items[0]);
      if (v.is_undefined()) fail_undefined(v);
      const char* sign = e.kind == ExprKind::Neg ? "-" : "+";
      if (!v.is_number())
        throw EvalError(std::string("bad operand type for unary ") + sign + ": '" +
                        py_type_name(v) + "'");
      if (e.kind == ExprKind::Pos) return v.is_bool() ? Value(v.as_int()) : v;
      if (v.is_float()) return Value(-v.as_double());
      if (v.as_int() == INT64_MIN) throw EvalError("integer overflow");
      return Value(-v.as_int());
    }
    case ExprKind::Binary:
      return binary_op(e.name, eval(*e.items[0]), eval(*e.items[1]), *this);
    case ExprKind::Concat: {
      std::string s;
      for (const auto& i : e.items) {
        s += py_str(eval(*i));
        check_size(s.size());
      }
      return Value(std::move(s));
    }
    case ExprKind::Compare:
      return eval_compare(e);
    case ExprKind::And: {
      Value a = eval(*e.items[0]);
      return a.truthy() ? eval(*e.items[1]) : a;
    }
    case ExprKind::Or: {
      Value a = eval(*e.items[0]);
      return a.truthy() ? a : eval(*e.items[1]);
    }
    case ExprKind::CondExpr:
      if (eval(*e.items[0]).truthy()) return eval(*e.items[1]);
      if (e.items[2]) return eval(*e.items[2]);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.pos.line) +
                              " evaluated to false and no else section was defined.");
  }
  return Value();
}

Value Interpreter::eval_compare(const Expr& e) {
  Value left = eval(*e.items[0]);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.items[i + 1]);
    bool r = py_compare(e.ops[i], left, right);
    if (!r) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

}  // namespace rmlx::tmpl::detail
