#pragma once

#include <stdexcept>
#include <string>

namespace rmlx::tmpl {

// Every failure of a template (syntax, runtime, or `raise_exception` called by the template)
// carries the 1-based line and column of the offending token. what() reads
// "chat template: line L, column C: <message>"; message() is the bare text.
class TemplateError : public std::runtime_error {
 public:
  enum class Kind { Syntax, Runtime, Raised, Limit };

  TemplateError(Kind kind, int line, int column, std::string message);

  Kind kind() const { return kind_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  Kind kind_;
  int line_;
  int column_;
  std::string message_;
};

}  // namespace rmlx::tmpl
