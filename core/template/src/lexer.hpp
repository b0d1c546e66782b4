#pragma once

#include <string>
#include <vector>

#include "ast.hpp"

namespace rmlx::tmpl::detail {

enum class TokKind {
  Data,
  VarBegin,
  VarEnd,
  BlockBegin,
  BlockEnd,
  Name,
  String,
  Int,
  Float,
  Op,
  Eof
};

struct Token {
  TokKind kind;
  Pos pos;
  std::string text;  // Data text, name, operator, processed string literal, number spelling
  Value value;       // Int / Float / String literal value
};

// Splits a template into tokens the way jinja2's lexer does with trim_blocks=True and
// lstrip_blocks=True: newlines normalised to "\n", one trailing newline dropped, comments
// removed, raw blocks turned into data, whitespace control applied to the data tokens.
// Throws TemplateError (Syntax).
std::vector<Token> tokenize(const std::string& source);

// Printable description of a token for error messages, e.g. "'}}'" or "end of template".
std::string describe(const Token& t);

}  // namespace rmlx::tmpl::detail
