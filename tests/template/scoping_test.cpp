// jinja2's scoping rules, which real templates rely on without knowing it: loops and macros get
// their own scope, `if` does not, namespaces carry values out of loops, and a name that a scope
// assigns unconditionally is undefined in nested scopes until the assignment runs.
// Expected outputs are Python jinja2's (context: x = 3).
#include <gtest/gtest.h>

#include "language_case.hpp"

namespace rmlx::tmpl::testing {
namespace {

// clang-format off
const RenderCase kScoping[] = {
    {"{% for i in [1,2] %}{{ x }}{% set x = 5 %}{{ x }}{% endfor %}{{ x }}", R"({"x": 3})", "35353"},
    {"{% if true %}{{ x }}{% set x = 5 %}{% endif %}{{ x }}", R"({"x": 3})", "35"},
    {"{% for i in [1,2] %}{% if i == 2 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}", R"({"x": 3})", "[]"},
    {"{% set x %}[{{ x }}]{% endset %}{{ x }}", R"({"x": 3})", "[]"},
    {"{{ x }}{% set x %}a{% endset %}{{ x }}", R"({"x": 3})", "3a"},
    {"{% set x %}a{% endset %}{% set x %}[{{ x }}]{% endset %}{{ x }}", R"({"x": 3})", "[a]"},
    {"{% for i in [1,2] %}{% for j in [1] %}[{{ x }}]{% endfor %}{% set x = 5 %}{% endfor %}", R"({"x": 3})", "[][]"},
    {"{% macro m() %}{% for j in [1] %}[{{ x }}]{% endfor %}{% set x = 5 %}{% endmacro %}{{ m() }}", R"({"x": 3})", "[]"},
    {"{% for j in [1] %}[{{ m }}]{% endfor %}{% macro m() %}{% endmacro %}", R"({"x": 3})", "[]"},
    {"{% for j in [1] %}[{{ x }}]{% endfor %}{% set x, y = 1, 2 %}", R"({"x": 3})", "[]"},
    {"{% for j in [1] %}[{{ x }}]{% endfor %}{% for x in [1] %}{% endfor %}", R"({"x": 3})", "[3]"},
    {"{% for j in [1] %}[{{ x }}]{% endfor %}{% filter upper %}{% set x = 1 %}{% endfilter %}", R"({"x": 3})", "[3]"},
    {"{% set ns = namespace(a=1) %}{% for j in [1] %}[{{ ns.a }}]{% endfor %}{% set ns.a = 2 %}{{ ns.a }}", R"({"x": 3})", "[1]2"},
    {"{% for j in [1] %}[{{ x }}]{% set x = 3 %}{% endfor %}{% set x = 4 %}[{{ x }}]", R"({"x": 3})", "[][4]"},
    {"{% if false %}{% set x = 5 %}{% endif %}{% for i in [1] %}[{{ x }}]{% endfor %}", R"({"x": 3})", "[3]"},
    {"{% if true %}{% set x = 5 %}{% endif %}{% for i in [1] %}[{{ x }}]{% endfor %}", R"({"x": 3})", "[5]"},
    {"{% for i in [1] %}[{{ x }}]{% endfor %}{% if false %}{% set x = 5 %}{% endif %}", R"({"x": 3})", "[3]"},
    {"{% macro m() %}[{{ x }}]{% endmacro %}{{ m() }}{% set x = 4 %}{{ m() }}", R"({"x": 3})", "[][4]"},
    {"{% with %}[{{ x }}]{% endwith %}{% set x = 4 %}", R"({"x": 3})", "[]"},
    {"{% macro m() %}{{ x }}{% set x = 1 %}{{ x }}{% endmacro %}{{ m() }}{{ x }}", R"({"x": 3})", "313"},
    {"{% with x = 7 %}{{ x }}{% endwith %}{{ x }}", R"({"x": 3})", "73"},
};
// clang-format on

TEST(TemplateScoping, MatchesJinja2) {
  for (const auto& c : kScoping) {
    SCOPED_TRACE(c.source);
    EXPECT_EQ(render(c.source, c.context), c.expected);
  }
}

}  // namespace
}  // namespace rmlx::tmpl::testing
