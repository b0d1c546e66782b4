// Template errors: runtime failures carry jinja2's message, syntax errors a clear one, and
// both the line and column of the offending token; runaway templates stop at the limits.
#include <gtest/gtest.h>

#include <string>

#include "language_case.hpp"

namespace rmlx::tmpl::testing {
namespace {

// clang-format off
const ErrorCase kRuntimeErrors[] = {
    {R"~({% for x in none %}a{% endfor %})~",
     "{}",
     R"~(chat template: line 1, column 4: 'NoneType' object is not iterable)~"},
    {R"~({% set ns = namespace(_x=1) %})~",
     "{}",
     R"~(chat template: line 1, column 22: Chat templates cannot store underscore-prefixed attributes on a namespace, but got '_x'. Please rename the attribute.)~"},
    {R"~({% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }})~",
     "{}",
     R"~(chat template: line 1, column 42: macro 'm' takes not more than 1 argument(s))~"},
    {R"~({{ x is foo }})~",
     "{}",
     R"~(chat template: line 1, column 9: no test named 'foo')~"},
    {R"~({{ x | tojson }})~",
     "{}",
     R"~(chat template: line 1, column 8: Object of type Undefined is not JSON serializable)~"},
    {R"~({{ x | nofilter }})~",
     "{}",
     R"~(chat template: line 1, column 8: no filter named 'nofilter')~"},
    {R"~({{ 'a' + 1 }})~",
     "{}",
     R"~(chat template: line 1, column 8: can only concatenate str (not "int") to str)~"},
    {R"~({{ 1 + 'a' }})~",
     "{}",
     R"~(chat template: line 1, column 6: unsupported operand type(s) for +: 'int' and 'str')~"},
    {R"~({{ 'a' < 1 }})~",
     "{}",
     R"~(chat template: line 1, column 4: '<' not supported between instances of 'str' and 'int')~"},
    {R"~({{ 1 / 0 }})~",
     "{}",
     R"~(chat template: line 1, column 6: division by zero)~"},
    {R"~({{ 1 // 0 }})~",
     "{}",
     R"~(chat template: line 1, column 6: integer division or modulo by zero)~"},
    {R"~({{ x + 1 }})~",
     "{}",
     R"~(chat template: line 1, column 6: 'x' is undefined)~"},
    {R"~({{ d.nested.q.r }})~",
     kCtx,
     R"~(chat template: line 1, column 14: 'dict object' has no attribute 'q')~"},
    {R"~({{ x.y }})~",
     "{}",
     R"~(chat template: line 1, column 5: 'x' is undefined)~"},
    {R"~({{ [1,2,3][::0] }})~",
     "{}",
     R"~(chat template: line 1, column 11: slice step cannot be zero)~"},
    {R"~({{ 'x'.nomethod() }})~",
     "{}",
     R"~(chat template: line 1, column 16: 'str object' has no attribute 'nomethod')~"},
    {R"~({{ nums.append(4) }})~",
     kCtx,
     R"~(chat template: line 1, column 15: access to attribute 'append' of 'list' object is unsafe.)~"},
    {R"~({% set l = [] %}{% do l.append(1) %})~",
     "{}",
     R"~(chat template: line 1, column 20: tag 'do' is not supported in chat templates)~"},
    {R"~({{ d.update({}) }})~",
     kCtx,
     R"~(chat template: line 1, column 12: access to attribute 'update' of 'dict' object is unsafe.)~"},
    {R"~({{ d.pop('a') }})~",
     kCtx,
     R"~(chat template: line 1, column 9: access to attribute 'pop' of 'dict' object is unsafe.)~"},
    {R"~({{ range(100001) | length }})~",
     "{}",
     R"~(chat template: line 1, column 9: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).)~"},
    {R"~({{ raise_exception('custom failure') }})~",
     "{}",
     R"~(chat template: line 1, column 19: custom failure)~"},
    {R"~({% if messages[0].role != 'user' %}{{ raise_exception('Roles must alternate') }}{% endif %})~",
     kCtx,
     R"~(chat template: line 1, column 54: Roles must alternate)~"},
    {R"~({{ x.y.z }})~",
     "{}",
     R"~(chat template: line 1, column 5: 'x' is undefined)~"},
    {R"~({{ x[0] }})~",
     "{}",
     R"~(chat template: line 1, column 5: 'x' is undefined)~"},
    {R"~({{ x() }})~",
     "{}",
     R"~(chat template: line 1, column 5: 'x' is undefined)~"},
    {R"~({{ d.missing.strip() }})~",
     kCtx,
     R"~(chat template: line 1, column 13: 'dict object' has no attribute 'missing')~"},
    {R"~({{ messages[5] }}|{{ messages[5].role }})~",
     kCtx,
     R"~(chat template: line 1, column 33: list object has no element 5)~"},
    {R"~({{ 'A' ~ 'B' if true }}{{ 1 ~ 2 + 3 }})~",
     "{}",
     R"~(chat template: line 1, column 33: can only concatenate str (not "int") to str)~"},
};
// clang-format on

struct SyntaxCase {
  const char* source;
  const char* what;
};

const SyntaxCase kSyntaxErrors[] = {
    {"{{ }}", "chat template: line 1, column 4: unexpected '}}', expected an expression"},
    {"Hello\n{{ name +  }}",
     "chat template: line 2, column 12: unexpected '}}', expected an expression"},
    {"{% if x %}\nno end",
     "chat template: line 1, column 4: unclosed 'if' tag: expected 'elif' or 'else' or 'endif' "
     "before the end of the template"},
    {"{% for x in %}{% endfor %}",
     "chat template: line 1, column 13: unexpected '%}', expected an expression"},
    {"{% for x in y %}\n{% endif %}", "chat template: line 2, column 4: unexpected 'endif' tag"},
    {"{{ 'unterminated }}", "chat template: line 1, column 4: unterminated string literal"},
    {"line1\n  {% set = 3 %}", "chat template: line 2, column 10: unexpected '=', expected a name"},
    {"{% foo %}", "chat template: line 1, column 4: unknown tag 'foo'"},
    {"{{ x | }}", "chat template: line 1, column 8: unexpected '}}', expected a name"},
    {"{{ (1, 2 }}", "chat template: line 1, column 10: unexpected '}', expected ')'"},
    {"{% macro m(a=1, b) %}{% endmacro %}",
     "chat template: line 1, column 18: non-default argument follows default argument"},
    {"a\n  {# never closed", "chat template: line 2, column 3: missing end of comment tag"},
    {"{% raw %}abc", "chat template: line 1, column 1: missing end of raw directive"},
    {"{% break %}", "chat template: line 1, column 4: 'break' outside of a loop"},
    {"a\nb\n{% endfor %}", "chat template: line 3, column 4: unexpected 'endfor' tag"},
    {"{{ 1 2 }}", "chat template: line 1, column 6: unexpected number 2, expected '}}'"},
    {"{{ '\\x4' }}", "chat template: line 1, column 5: truncated \\x escape in string literal"},
    {"{{ {'a' 1} }}", "chat template: line 1, column 9: unexpected number 1, expected ':'"},
    {"{{ x ) }}", "chat template: line 1, column 6: unexpected ')'"},
    {"{% set x %}never ends",
     "chat template: line 1, column 4: unclosed 'set' tag: expected 'endset' before the end of the "
     "template"},
    {"{{ x.'a' }}",
     "chat template: line 1, column 6: unexpected string literal, expected a name or number"},
    {"{{ a ? b }}", "chat template: line 1, column 6: unexpected character '?'"},
    {"x {% if true %}{% else %}{% else %}{% endif %}",
     "chat template: line 1, column 29: unexpected 'else' tag"},
    {"{% call m %}{% endcall %}", "chat template: line 1, column 4: expected a call after 'call'"},
    {"é✓ {{ 1 + }}", "chat template: line 1, column 11: unexpected '}}', expected an expression"},
    {"{% include 'other.jinja' %}",
     "chat template: line 1, column 4: tag 'include' is not supported in chat templates"},
};

TEST(TemplateErrors, RuntimeErrorsCarryJinjaMessagesAndPositions) {
  for (const auto& c : kRuntimeErrors) {
    SCOPED_TRACE(c.source);
    try {
      render(c.source, c.context);
      ADD_FAILURE() << "rendered without error";
    } catch (const TemplateError& e) {
      EXPECT_EQ(std::string(e.what()), c.what);
    }
  }
}

TEST(TemplateErrors, SyntaxErrorsNameLineAndColumn) {
  for (const auto& c : kSyntaxErrors) {
    SCOPED_TRACE(c.source);
    try {
      ChatTemplate::parse(c.source);
      ADD_FAILURE() << "parsed without error";
    } catch (const TemplateError& e) {
      EXPECT_EQ(e.kind(), TemplateError::Kind::Syntax);
      EXPECT_EQ(std::string(e.what()), c.what);
    }
  }
}

TEST(TemplateErrors, ErrorFieldsAreExposed) {
  try {
    ChatTemplate::parse(
        "{% for m in messages %}\n  {{ raise_exception('bad role: ' ~ m.role) }}\n{% endfor %}")
        .render(nlohmann::ordered_json::parse(R"({"messages": [{"role": "robot"}]})"));
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.kind(), TemplateError::Kind::Raised);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 21);
    EXPECT_EQ(e.message(), "bad role: robot");
    EXPECT_EQ(std::string(e.what()), "chat template: line 2, column 21: bad role: robot");
  }
}

TemplateError limit_error(const std::string& source, RenderLimits limits = {}) {
  try {
    ChatTemplate::parse(source, limits).render(nlohmann::ordered_json::object());
  } catch (const TemplateError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << source;
  return TemplateError(TemplateError::Kind::Runtime, 0, 0, "");
}

TEST(TemplateErrors, OutputSizeIsBounded) {
  RenderLimits small;
  small.max_output_bytes = 1000;
  auto e = limit_error("{% for i in range(100) %}{{ 'x' * 20 }}{% endfor %}", small);
  EXPECT_EQ(e.kind(), TemplateError::Kind::Limit);
  EXPECT_EQ(std::string(e.what()),
            "chat template: line 1, column 29: output exceeds the limit of 1000 bytes");
  e = limit_error("{{ 'x' * 100000000000 }}");
  EXPECT_EQ(std::string(e.what()),
            "chat template: line 1, column 8: output exceeds the limit of 67108864 bytes");
  e = limit_error("{{ [1, 2] * 100000000000 }}");
  EXPECT_EQ(e.kind(), TemplateError::Kind::Limit);
}

TEST(TemplateErrors, LoopIterationsAreBounded) {
  RenderLimits small;
  small.max_loop_iterations = 50;
  auto e = limit_error(
      "{% for i in range(10) %}\n{% for j in range(10) %}{{ j }}{% endfor %}\n{% endfor %}", small);
  EXPECT_EQ(e.kind(), TemplateError::Kind::Limit);
  EXPECT_EQ(std::string(e.what()),
            "chat template: line 2, column 4: loop iterations exceed the limit of 50");
  e = limit_error("{{ range(100001) | length }}");
  EXPECT_EQ(e.message(),
            "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
}

TEST(TemplateErrors, RecursionIsBounded) {
  RenderLimits small;
  small.max_call_depth = 10;
  auto e = limit_error("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", small);
  EXPECT_EQ(e.kind(), TemplateError::Kind::Limit);
  EXPECT_EQ(std::string(e.what()),
            "chat template: line 1, column 21: macro calls nested deeper than 10");
  e = limit_error("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}");
  EXPECT_EQ(e.message(), "macro calls nested deeper than 200");
}

TEST(TemplateErrors, DeepNestingIsRejectedWhileParsing) {
  std::string deep = "{{ " + std::string(150, '(') + "1" + std::string(150, ')') + " }}";
  auto e = limit_error(deep);
  EXPECT_EQ(e.kind(), TemplateError::Kind::Syntax);
  EXPECT_EQ(std::string(e.what()),
            "chat template: line 1, column 54: template nested too deeply (more than 100 levels)");
  std::string blocks;
  for (int i = 0; i < 150; ++i) blocks += "{% if true %}";
  for (int i = 0; i < 150; ++i) blocks += "{% endif %}";
  EXPECT_EQ(limit_error(blocks).kind(), TemplateError::Kind::Syntax);
}

TEST(TemplateErrors, IntegerOverflowIsAnError) {
  auto e = limit_error("{{ 9223372036854775807 + 1 }}");
  EXPECT_EQ(std::string(e.what()), "chat template: line 1, column 24: integer overflow");
  EXPECT_EQ(limit_error("{{ 2 ** 64 }}").message(), "integer overflow");
}

TEST(TemplateErrors, SelfReferencingNamespaceDoesNotRecurseForever) {
  auto e = limit_error("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns }}");
  EXPECT_EQ(e.message(), "value nested too deeply to format");
}

}  // namespace
}  // namespace rmlx::tmpl::testing
