#include "parser_impl.hpp"

namespace rmlx::tmpl::detail {

bool Parser::is_tuple_end(const char* extra_end) const {
  const Token& t = cur();
  if (t.kind == TokKind::VarEnd || t.kind == TokKind::BlockEnd || t.kind == TokKind::Eof)
    return true;
  if (t.kind == TokKind::Op && t.text == ")") return true;
  return extra_end && t.kind == TokKind::Name && t.text == extra_end;
}

ExprPtr Parser::parse_tuple(bool explicit_parens, bool with_condexpr, const char* extra_end) {
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

ExprPtr Parser::parse_expression() {
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

ExprPtr Parser::binary(ExprKind kind, Pos pos, ExprPtr a, ExprPtr b, std::string op) {
  auto e = make(kind, pos);
  e->name = std::move(op);
  e->items.push_back(std::move(a));
  e->items.push_back(std::move(b));
  return e;
}

ExprPtr Parser::parse_or() {
  ExprPtr e = parse_and();
  while (is_name("or")) {
    Pos pos = next().pos;
    e = binary(ExprKind::Or, pos, std::move(e), parse_and());
  }
  return e;
}

ExprPtr Parser::parse_and() {
  ExprPtr e = parse_not();
  while (is_name("and")) {
    Pos pos = next().pos;
    e = binary(ExprKind::And, pos, std::move(e), parse_not());
  }
  return e;
}

ExprPtr Parser::parse_not() {
  if (is_name("not")) {
    DepthGuard guard(*this, cur().pos);
    auto e = make(ExprKind::Not, next().pos);
    e->items.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
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

ExprPtr Parser::parse_math1() {
  ExprPtr e = parse_concat();
  while (is_op("+") || is_op("-")) {
    const Token& t = next();
    e = binary(ExprKind::Binary, t.pos, std::move(e), parse_concat(), t.text);
  }
  return e;
}

ExprPtr Parser::parse_concat() {
  Pos pos = cur().pos;
  ExprPtr e = parse_math2();
  if (!is_op("~")) return e;
  auto c = make(ExprKind::Concat, pos);
  c->items.push_back(std::move(e));
  while (skip_op("~")) c->items.push_back(parse_math2());
  return c;
}

ExprPtr Parser::parse_math2() {
  ExprPtr e = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    const Token& t = next();
    e = binary(ExprKind::Binary, t.pos, std::move(e), parse_pow(), t.text);
  }
  return e;
}

ExprPtr Parser::parse_pow() {
  ExprPtr e = parse_unary(true);
  while (is_op("**")) {
    const Token& t = next();
    e = binary(ExprKind::Binary, t.pos, std::move(e), parse_unary(true), "**");
  }
  return e;
}

ExprPtr Parser::parse_unary(bool with_filter) {
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

ExprPtr Parser::parse_primary() {
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

ExprPtr Parser::parse_list() {
  auto e = make(ExprKind::List, next().pos);
  while (!is_op("]")) {
    if (!e->items.empty()) expect_op(",");
    if (is_op("]")) break;
    e->items.push_back(parse_expression());
  }
  expect_op("]");
  return e;
}

ExprPtr Parser::parse_dict() {
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

ExprPtr Parser::parse_postfix(ExprPtr e) {
  while (true) {
    if (is_op(".") || is_op("["))
      e = parse_subscript(std::move(e));
    else if (is_op("("))
      e = parse_call(std::move(e));
    else
      return e;
  }
}

ExprPtr Parser::parse_filter_expr(ExprPtr e) {
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

ExprPtr Parser::parse_subscript(ExprPtr e) {
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

ExprPtr Parser::parse_subscribed() {
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
void Parser::parse_call_args(Expr& e) {
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

ExprPtr Parser::parse_call(ExprPtr callee) {
  auto c = make(ExprKind::Call, cur().pos);
  c->items.push_back(std::move(callee));
  parse_call_args(*c);
  return c;
}

ExprPtr Parser::parse_one_filter(ExprPtr input) {
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

ExprPtr Parser::parse_filter(ExprPtr input) {
  while (skip_op("|")) input = parse_one_filter(std::move(input));
  return input;
}

// For `{% filter a|b %}` and `{% set x | a %}`: a chain applied to the block's output.
void Parser::parse_filter_chain(std::vector<ExprPtr>& out, bool start_inline) {
  if (start_inline) out.push_back(parse_one_filter(nullptr));
  while (skip_op("|")) out.push_back(parse_one_filter(nullptr));
}

ExprPtr Parser::parse_test(ExprPtr input) {
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

}  // namespace rmlx::tmpl::detail
