#include "parser.hpp"

#include <algorithm>
#include <initializer_list>

#include "lexer.hpp"

namespace rmlx::tmpl::detail {

namespace {

constexpr int kMaxNesting = 100;

// Names a body assigns unconditionally (see Stmt::declared).
std::vector<std::string> declared_names(const Body& body) {
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& st : body) {
    if ((st->kind == StmtKind::Set && st->ns_name.empty()) || st->kind == StmtKind::SetBlock)
      for (const auto& t : st->targets) add(t);
    if (st->kind == StmtKind::Macro) add(st->text);
  }
  return names;
}

ExprPtr make(ExprKind kind, Pos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

StmtPtr make_stmt(StmtKind kind, Pos pos) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->pos = pos;
  return s;
}

struct MacroUse {
  bool varargs = false;
  bool kwargs = false;
  bool caller = false;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  ProgramData run() {
    ProgramData prog;
    std::string end;
    prog.body = parse_body({}, &end, nullptr);
    prog.declared = declared_names(prog.body);
    return prog;
  }

 private:
  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<MacroUse> macros_;

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser, Pos pos) : p(parser) {
      if (++p.depth_ > kMaxNesting) {
        throw TemplateError(
            TemplateError::Kind::Syntax, pos.line, pos.column,
            "template nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  const Token& cur() const { return toks_[i_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(i_ + n, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }

  [[noreturn]] void fail(const Token& t, const std::string& msg) const {
    throw TemplateError(TemplateError::Kind::Syntax, t.pos.line, t.pos.column, msg);
  }
  [[noreturn]] void unexpected(const std::string& expected) const {
    fail(cur(), "unexpected " + describe(cur()) + ", expected " + expected);
  }

  bool is_op(const char* op) const { return cur().kind == TokKind::Op && cur().text == op; }
  bool is_name(const char* name) const { return cur().kind == TokKind::Name && cur().text == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) unexpected(std::string("'") + op + "'");
  }
  void expect_name_kw(const char* name) {
    if (!skip_name(name)) unexpected(std::string("'") + name + "'");
  }
  std::string expect_name() {
    if (cur().kind != TokKind::Name) unexpected("a name");
    return next().text;
  }
  void expect_block_end() {
    if (cur().kind != TokKind::BlockEnd) unexpected("'%}'");
    next();
  }

  // ---- statements -------------------------------------------------------------------------

  // Parses statements until a block tag whose name is in `ends` (consumed, name stored in
  // *end). At top level (`ends` empty) parses to the end of the template.
  Body parse_body(std::initializer_list<const char*> ends, std::string* end, const Token* opener) {
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.kind == TokKind::Eof) {
        if (ends.size() == 0) return body;
        std::string names;
        for (const char* e : ends)
          names += std::string(names.empty() ? "" : " or ") + "'" + e + "'";
        fail(*opener, "unclosed '" + opener->text + "' tag: expected " + names +
                          " before the end of the template");
      }
      if (t.kind == TokKind::Data) {
        auto s = make_stmt(StmtKind::Text, t.pos);
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.kind == TokKind::VarBegin) {
        next();
        auto s = make_stmt(StmtKind::Output, cur().pos);
        s->expr = parse_tuple(false);
        if (cur().kind != TokKind::VarEnd) unexpected("'}}'");
        next();
        body.push_back(std::move(s));
      } else if (t.kind == TokKind::BlockBegin) {
        next();
        if (cur().kind != TokKind::Name) unexpected("a statement name");
        for (const char* e : ends) {
          if (cur().text == e) {
            *end = next().text;
            return body;
          }
        }
        parse_statement(body);
      } else {
        unexpected("template data or a tag");
      }
    }
  }

  void parse_statement(Body& body) {
    const Token& tag = cur();
    DepthGuard guard(*this, tag.pos);
    const std::string& name = tag.text;
    if (name == "if") return body.push_back(parse_if());
    if (name == "for") return body.push_back(parse_for());
    if (name == "set") return body.push_back(parse_set());
    if (name == "macro") return body.push_back(parse_macro());
    if (name == "call") return body.push_back(parse_call_block());
    if (name == "filter") return body.push_back(parse_filter_block());
    if (name == "with" || name == "generation") return body.push_back(parse_with());
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(tag, "'" + name + "' outside of a loop");
      auto s = make_stmt(name == "break" ? StmtKind::Break : StmtKind::Continue, tag.pos);
      next();
      expect_block_end();
      return body.push_back(std::move(s));
    }
    static const char* kUnsupported[] = {"include", "import",     "from",  "extends", "block",
                                         "do",      "autoescape", "trans", "raw"};
    for (const char* u : kUnsupported)
      if (name == u) fail(tag, "tag '" + name + "' is not supported in chat templates");
    if (name.rfind("end", 0) == 0 || name == "elif" || name == "else")
      fail(tag, "unexpected '" + name + "' tag");
    fail(tag, "unknown tag '" + name + "'");
  }

  StmtPtr parse_if() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::If, opener.pos);
    std::string end;
    s->conds.push_back(parse_tuple(false, false));
    expect_block_end();
    while (true) {
      s->bodies.push_back(parse_body({"elif", "else", "endif"}, &end, &opener));
      if (end == "elif") {
        s->conds.push_back(parse_tuple(false, false));
        expect_block_end();
        continue;
      }
      if (end == "else") {
        expect_block_end();
        s->else_body = parse_body({"endif"}, &end, &opener);
      }
      expect_block_end();
      return s;
    }
  }

  // Names (or a tuple of names) being assigned; `in_set` also allows `ns.attr`.
  void parse_targets(Stmt& s, bool in_set, const char* end_name) {
    bool parens = skip_op("(");
    while (true) {
      s.targets.push_back(expect_name());
      if (in_set && !parens && s.targets.size() == 1 && is_op(".")) {
        next();
        s.ns_name = s.targets[0];
        s.targets.clear();
        s.text = expect_name();
        return;
      }
      if (!skip_op(",")) break;
      s.target_is_tuple = true;
      if ((parens && is_op(")")) || (end_name && is_name(end_name)) || is_op("=")) break;
    }
    if (parens) {
      expect_op(")");
      s.target_is_tuple = true;
    }
    for (const auto& t : s.targets)
      if (t == "true" || t == "false" || t == "none" || t == "True" || t == "False" || t == "None")
        fail(cur(), "cannot assign to '" + t + "'");
  }

  StmtPtr parse_for() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::For, opener.pos);
    parse_targets(*s, false, "in");
    expect_name_kw("in");
    s->expr = parse_tuple(false, false, "recursive");
    if (skip_name("if")) s->cond = parse_expression();
    if (is_name("recursive")) fail(cur(), "recursive loops are not supported");
    expect_block_end();
    std::string end;
    ++loop_depth_;
    s->body = parse_body({"endfor", "else"}, &end, &opener);
    s->declared = declared_names(s->body);
    --loop_depth_;
    if (end == "else") {
      expect_block_end();
      s->else_body = parse_body({"endfor"}, &end, &opener);
    }
    expect_block_end();
    return s;
  }

  StmtPtr parse_set() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::Set, opener.pos);
    parse_targets(*s, true, nullptr);
    if (skip_op("=")) {
      s->expr = parse_tuple(false);
      expect_block_end();
      return s;
    }
    if (!s->ns_name.empty() || s->target_is_tuple) unexpected("'='");
    s->kind = StmtKind::SetBlock;
    if (is_op("|")) parse_filter_chain(s->filters, false);
    expect_block_end();
    std::string end;
    s->body = parse_body({"endset"}, &end, &opener);
    s->declared = declared_names(s->body);
    expect_block_end();
    return s;
  }

  void parse_signature(Stmt& s) {
    expect_op("(");
    while (!is_op(")")) {
      if (!s.params.empty()) expect_op(",");
      if (is_op(")")) break;
      s.params.push_back(expect_name());
      if (skip_op("="))
        s.defaults.push_back(parse_expression());
      else if (!s.defaults.empty() && s.defaults.back())
        fail(cur(), "non-default argument follows default argument");
      else
        s.defaults.push_back(nullptr);
    }
    expect_op(")");
  }

  Body parse_macro_body(Stmt& s, const char* end_name, const Token& opener) {
    macros_.push_back({});
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    Body body = parse_body({end_name}, &end, &opener);
    s.declared = declared_names(body);
    loop_depth_ = saved_loops;
    s.uses_varargs = macros_.back().varargs;
    s.uses_kwargs = macros_.back().kwargs;
    s.uses_caller = macros_.back().caller;
    macros_.pop_back();
    expect_block_end();
    return body;
  }

  StmtPtr parse_macro() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::Macro, opener.pos);
    s->text = expect_name();
    parse_signature(*s);
    expect_block_end();
    s->body = parse_macro_body(*s, "endmacro", opener);
    return s;
  }

  StmtPtr parse_call_block() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::CallBlock, opener.pos);
    if (is_op("(")) parse_signature(*s);
    s->expr = parse_expression();
    if (s->expr->kind != ExprKind::Call) fail(opener, "expected a call after 'call'");
    expect_block_end();
    s->body = parse_macro_body(*s, "endcall", opener);
    return s;
  }

  StmtPtr parse_filter_block() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::FilterBlock, opener.pos);
    parse_filter_chain(s->filters, true);
    expect_block_end();
    std::string end;
    s->body = parse_body({"endfilter"}, &end, &opener);
    s->declared = declared_names(s->body);
    expect_block_end();
    return s;
  }

  StmtPtr parse_with() {
    const Token& opener = next();
    auto s = make_stmt(StmtKind::With, opener.pos);
    bool generation = opener.text == "generation";
    while (!generation && cur().kind != TokKind::BlockEnd) {
      if (!s->targets.empty()) expect_op(",");
      s->targets.push_back(expect_name());
      expect_op("=");
      s->defaults.push_back(parse_expression());
    }
    expect_block_end();
    std::string end;
    s->body = parse_body({generation ? "endgeneration" : "endwith"}, &end, &opener);
    s->declared = declared_names(s->body);
    expect_block_end();
    return s;
  }

  // ---- expressions ------------------------------------------------------------------------

  bool is_tuple_end(const char* extra_end) const {
    const Token& t = cur();
    if (t.kind == TokKind::VarEnd || t.kind == TokKind::BlockEnd || t.kind == TokKind::Eof)
      return true;
    if (t.kind == TokKind::Op && t.text == ")") return true;
    return extra_end && t.kind == TokKind::Name && t.text == extra_end;
  }

  ExprPtr parse_tuple(bool explicit_parens, bool with_condexpr = true,
                      const char* extra_end = nullptr) {
    Pos pos = cur().pos;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(with_condexpr ? parse_expression() : parse_or());
      if (is_op(","))
        is_tuple = true;
      else
        break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) unexpected("an expression");
    }
    auto e = make(ExprKind::Tuple, pos);
    e->items = std::move(items);
    return e;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this, cur().pos);
    ExprPtr e = parse_or();
    while (is_name("if")) {
      Pos pos = next().pos;
      auto c = make(ExprKind::CondExpr, pos);
      c->items.push_back(parse_or());
      c->items.push_back(std::move(e));
      c->items.push_back(skip_name("else") ? parse_expression() : nullptr);
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(ExprKind kind, Pos pos, ExprPtr a, ExprPtr b, std::string op = {}) {
    auto e = make(kind, pos);
    e->name = std::move(op);
    e->items.push_back(std::move(a));
    e->items.push_back(std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      Pos pos = next().pos;
      e = binary(ExprKind::Or, pos, std::move(e), parse_and());
    }
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      Pos pos = next().pos;
      e = binary(ExprKind::And, pos, std::move(e), parse_not());
    }
    return e;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this, cur().pos);
      auto e = make(ExprKind::Not, next().pos);
      e->items.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    Pos pos = cur().pos;
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().kind == TokKind::Op &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
           cur().text == "<=" || cur().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && peek().kind == TokKind::Name && peek().text == "in") {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(ExprKind::Compare, pos);
        cmp->items.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->items.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& t = next();
      e = binary(ExprKind::Binary, t.pos, std::move(e), parse_concat(), t.text);
    }
    return e;
  }

  ExprPtr parse_concat() {
    Pos pos = cur().pos;
    ExprPtr e = parse_math2();
    if (!is_op("~")) return e;
    auto c = make(ExprKind::Concat, pos);
    c->items.push_back(std::move(e));
    while (skip_op("~")) c->items.push_back(parse_math2());
    return c;
  }

  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& t = next();
      e = binary(ExprKind::Binary, t.pos, std::move(e), parse_pow(), t.text);
    }
    return e;
  }

  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (is_op("**")) {
      const Token& t = next();
      e = binary(ExprKind::Binary, t.pos, std::move(e), parse_unary(true), "**");
    }
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this, cur().pos);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      e = make(t.text == "-" ? ExprKind::Neg : ExprKind::Pos, t.pos);
      e->items.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    switch (t.kind) {
      case TokKind::Name: {
        next();
        if (t.text == "true" || t.text == "True" || t.text == "false" || t.text == "False") {
          auto e = make(ExprKind::Literal, t.pos);
          e->value = Value(t.text == "true" || t.text == "True");
          return e;
        }
        if (t.text == "none" || t.text == "None") {
          auto e = make(ExprKind::Literal, t.pos);
          e->value = Value::none();
          return e;
        }
        if (!macros_.empty()) {
          if (t.text == "varargs") macros_.back().varargs = true;
          if (t.text == "kwargs") macros_.back().kwargs = true;
          if (t.text == "caller") macros_.back().caller = true;
        }
        auto e = make(ExprKind::Name, t.pos);
        e->name = t.text;
        return e;
      }
      case TokKind::String: {
        auto e = make(ExprKind::Literal, t.pos);
        std::string s;
        while (cur().kind == TokKind::String) s += next().text;
        e->value = Value(std::move(s));
        return e;
      }
      case TokKind::Int:
      case TokKind::Float: {
        auto e = make(ExprKind::Literal, t.pos);
        e->value = next().value;
        return e;
      }
      case TokKind::Op:
        if (t.text == "(") {
          next();
          ExprPtr e = parse_tuple(true);
          expect_op(")");
          return e;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    unexpected("an expression");
  }

  ExprPtr parse_list() {
    auto e = make(ExprKind::List, next().pos);
    while (!is_op("]")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("]")) break;
      e->items.push_back(parse_expression());
    }
    expect_op("]");
    return e;
  }

  ExprPtr parse_dict() {
    auto e = make(ExprKind::Dict, next().pos);
    while (!is_op("}")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("}")) break;
      e->items.push_back(parse_expression());
      expect_op(":");
      e->items.push_back(parse_expression());
    }
    expect_op("}");
    return e;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".") || is_op("["))
        e = parse_subscript(std::move(e));
      else if (is_op("("))
        e = parse_call(std::move(e));
      else
        return e;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        e = parse_filter(std::move(e));
      } else if (is_name("is")) {
        e = parse_test(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr e) {
    const Token& t = next();
    if (t.text == ".") {
      const Token& attr = cur();
      if (attr.kind == TokKind::Name) {
        auto g = make(ExprKind::Getattr, t.pos);
        g->name = next().text;
        g->items.push_back(std::move(e));
        return g;
      }
      if (attr.kind != TokKind::Int) unexpected("a name or number");
      auto g = make(ExprKind::Getitem, t.pos);
      g->items.push_back(std::move(e));
      auto idx = make(ExprKind::Literal, attr.pos);
      idx->value = next().value;
      g->items.push_back(std::move(idx));
      return g;
    }
    auto g = make(ExprKind::Getitem, t.pos);
    g->items.push_back(std::move(e));
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    if (args.empty()) fail(t, "expected a subscript expression");
    if (args.size() == 1) {
      g->items.push_back(std::move(args[0]));
    } else {
      auto tup = make(ExprKind::Tuple, t.pos);
      tup->items = std::move(args);
      g->items.push_back(std::move(tup));
    }
    return g;
  }

  ExprPtr parse_subscribed() {
    Pos pos = cur().pos;
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression();
      if (!is_op(":")) return start;
    }
    next();
    auto s = make(ExprKind::Slice, pos);
    s->items.push_back(std::move(start));
    if (!is_op(":") && !is_op("]") && !is_op(","))
      s->items.push_back(parse_expression());
    else
      s->items.push_back(nullptr);
    if (skip_op(":") && !is_op("]") && !is_op(","))
      s->items.push_back(parse_expression());
    else
      s->items.push_back(nullptr);
    return s;
  }

  // Fills items (after items[0]), kwargs, dyn_args, dyn_kwargs of `e` from "( ... )".
  void parse_call_args(Expr& e) {
    const Token& open = cur();
    expect_op("(");
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) fail(open, "invalid syntax for function call expression");
    };
    while (!is_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*")) {
        ensure(!e.dyn_args && !e.dyn_kwargs);
        next();
        e.dyn_args = parse_expression();
      } else if (is_op("**")) {
        ensure(!e.dyn_kwargs);
        next();
        e.dyn_kwargs = parse_expression();
      } else if (cur().kind == TokKind::Name && peek().kind == TokKind::Op && peek().text == "=") {
        ensure(!e.dyn_kwargs);
        std::string key = next().text;
        next();
        e.kwargs.emplace_back(std::move(key), parse_expression());
      } else {
        ensure(!e.dyn_args && !e.dyn_kwargs && e.kwargs.empty());
        e.items.push_back(parse_expression());
      }
      require_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto c = make(ExprKind::Call, cur().pos);
    c->items.push_back(std::move(callee));
    parse_call_args(*c);
    return c;
  }

  ExprPtr parse_one_filter(ExprPtr input) {
    const Token& name = cur();
    auto f = make(ExprKind::Filter, name.pos);
    f->name = expect_name();
    while (is_op(".")) {
      next();
      f->name += "." + expect_name();
    }
    f->items.push_back(std::move(input));
    if (is_op("(")) parse_call_args(*f);
    return f;
  }

  ExprPtr parse_filter(ExprPtr input) {
    while (skip_op("|")) input = parse_one_filter(std::move(input));
    return input;
  }

  // For `{% filter a|b %}` and `{% set x | a %}`: a chain applied to the block's output.
  void parse_filter_chain(std::vector<ExprPtr>& out, bool start_inline) {
    if (start_inline) out.push_back(parse_one_filter(nullptr));
    while (skip_op("|")) out.push_back(parse_one_filter(nullptr));
  }

  ExprPtr parse_test(ExprPtr input) {
    next();  // is
    auto t = make(ExprKind::Test, cur().pos);
    t->negated = skip_name("not");
    t->pos = cur().pos;
    t->name = expect_name();
    while (is_op(".")) {
      next();
      t->name += "." + expect_name();
    }
    t->items.push_back(std::move(input));
    const Token& c = cur();
    if (is_op("(")) {
      parse_call_args(*t);
    } else if ((c.kind == TokKind::Name || c.kind == TokKind::String || c.kind == TokKind::Int ||
                c.kind == TokKind::Float || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail(c, "tests cannot be chained with 'is'");
      t->items.push_back(parse_postfix(parse_primary()));
    }
    return t;
  }
};

}  // namespace

ProgramData parse_template(const std::string& source) {
  return Parser(tokenize(source)).run();
}

}  // namespace rmlx::tmpl::detail
