#pragma once

// The recursive-descent parser: statements in parser.cpp, expressions in
// parser_expressions.cpp. Internal to core/template.

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "ast.hpp"
#include "lexer.hpp"

namespace rmlx::tmpl::detail {

inline constexpr int kMaxNesting = 100;

// Names a body assigns unconditionally (see Stmt::declared).
std::vector<std::string> declared_names(const Body& body);

inline ExprPtr make(ExprKind kind, Pos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

inline StmtPtr make_stmt(StmtKind kind, Pos pos) {
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

  // statements (parser.cpp)
  // Parses statements until a block tag whose name is in `ends` (consumed, name stored in
  // *end). At top level (`ends` empty) parses to the end of the template.
  Body parse_body(std::initializer_list<const char*> ends, std::string* end, const Token* opener);
  void parse_statement(Body& body);
  StmtPtr parse_if();
  // Names (or a tuple of names) being assigned; `in_set` also allows `ns.attr`.
  void parse_targets(Stmt& s, bool in_set, const char* end_name);
  StmtPtr parse_for();
  StmtPtr parse_set();
  void parse_signature(Stmt& s);
  Body parse_macro_body(Stmt& s, const char* end_name, const Token& opener);
  StmtPtr parse_macro();
  StmtPtr parse_call_block();
  StmtPtr parse_filter_block();
  StmtPtr parse_with();

  // expressions (parser_expressions.cpp)
  bool is_tuple_end(const char* extra_end) const;
  ExprPtr parse_tuple(bool explicit_parens, bool with_condexpr = true,
                      const char* extra_end = nullptr);
  ExprPtr parse_expression();
  ExprPtr binary(ExprKind kind, Pos pos, ExprPtr a, ExprPtr b, std::string op = {});
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_list();
  ExprPtr parse_dict();
  ExprPtr parse_postfix(ExprPtr e);
  ExprPtr parse_filter_expr(ExprPtr e);
  ExprPtr parse_subscript(ExprPtr e);
  ExprPtr parse_subscribed();
  // Fills items (after items[0]), kwargs, dyn_args, dyn_kwargs of `e` from "( ... )".
  void parse_call_args(Expr& e);
  ExprPtr parse_call(ExprPtr callee);
  ExprPtr parse_one_filter(ExprPtr input);
  ExprPtr parse_filter(ExprPtr input);
  // For `{% filter a|b %}` and `{% set x | a %}`: a chain applied to the block's output.
  void parse_filter_chain(std::vector<ExprPtr>& out, bool start_inline);
  ExprPtr parse_test(ExprPtr input);
};

}  // namespace rmlx::tmpl::detail
