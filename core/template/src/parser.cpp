#include "parser.hpp"

#include "parser_impl.hpp"

namespace rmlx::tmpl::detail {

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

// Parses statements until a block tag whose name is in `ends` (consumed, name stored in
// *end). At top level (`ends` empty) parses to the end of the template.
Body Parser::parse_body(std::initializer_list<const char*> ends, std::string* end,
                        const Token* opener) {
  Body body;
  while (true) {
    const Token& t = cur();
    if (t.kind == TokKind::Eof) {
      if (ends.size() == 0) return body;
      std::string names;
      for (const char* e : ends) names += std::string(names.empty() ? "" : " or ") + "'" + e + "'";
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

void Parser::parse_statement(Body& body) {
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

StmtPtr Parser::parse_if() {
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
void Parser::parse_targets(Stmt& s, bool in_set, const char* end_name) {
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

StmtPtr Parser::parse_for() {
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

StmtPtr Parser::parse_set() {
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

void Parser::parse_signature(Stmt& s) {
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

Body Parser::parse_macro_body(Stmt& s, const char* end_name, const Token& opener) {
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

StmtPtr Parser::parse_macro() {
  const Token& opener = next();
  auto s = make_stmt(StmtKind::Macro, opener.pos);
  s->text = expect_name();
  parse_signature(*s);
  expect_block_end();
  s->body = parse_macro_body(*s, "endmacro", opener);
  return s;
}

StmtPtr Parser::parse_call_block() {
  const Token& opener = next();
  auto s = make_stmt(StmtKind::CallBlock, opener.pos);
  if (is_op("(")) parse_signature(*s);
  s->expr = parse_expression();
  if (s->expr->kind != ExprKind::Call) fail(opener, "expected a call after 'call'");
  expect_block_end();
  s->body = parse_macro_body(*s, "endcall", opener);
  return s;
}

StmtPtr Parser::parse_filter_block() {
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

StmtPtr Parser::parse_with() {
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

ProgramData parse_template(const std::string& source) {
  return Parser(tokenize(source)).run();
}

}  // namespace rmlx::tmpl::detail
