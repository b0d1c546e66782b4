#pragma once

#include <stdexcept>
#include <string>

#include "rmlx/template/error.hpp"

namespace rmlx::tmpl::detail {

// Raised by builtins, which know no source position; the interpreter turns it into a
// TemplateError at the innermost expression or statement that has one.
class EvalError : public std::runtime_error {
 public:
  explicit EvalError(std::string message, TemplateError::Kind kind = TemplateError::Kind::Runtime)
      : std::runtime_error(std::move(message)), kind_(kind) {}
  TemplateError::Kind kind() const { return kind_; }

 private:
  TemplateError::Kind kind_;
};

}  // namespace rmlx::tmpl::detail
