#pragma once

#include <optional>
#include <string>

#include "callable.hpp"

namespace rmlx::tmpl::detail {

// A bound method of a str, dict or list (`message.content.strip`), or nullopt when the type
// has no such safe method. Mutating list/dict methods give an undefined value whose use
// raises jinja2's sandbox error, as ImmutableSandboxedEnvironment does.
std::optional<Value> bound_method(const Value& self, const std::string& name);

// Globals transformers' environment provides: range, dict, namespace, raise_exception,
// strftime_now, cycler, joiner. nullopt when `name` is not one.
std::optional<Value> global_function(const std::string& name);

// loop.cycle(...) for the iteration with this 0-based index.
Value loop_cycle(int64_t index);

// Underscore-prefixed namespace attributes are refused (transformers' TemplateNamespace).
void check_namespace_attribute(const std::string& name);

}  // namespace rmlx::tmpl::detail
