// Jinja language features (whitespace control, loops, assignments, macros, call and filter blocks,
// tests): each template renders to exactly what Python jinja2 renders under transformers'
// chat-template environment.
#include <gtest/gtest.h>

#include "language_case.hpp"

namespace rmlx::tmpl::testing {
namespace {

// clang-format off
const RenderCase kCases[] = {
    {R"~(a
  {% if true %}
    x
  {% endif %}
b)~",
     "{}",
     R"~(a
    x
b)~"},
    {R"~(a  {%- if true -%}  x  {%- endif -%}  b)~",
     "{}",
     R"~(axb)~"},
    {R"~(a
  {%+ if true %}x{% endif %}
)~",
     "{}",
     R"~(a
  x)~"},
    {R"~({% if true +%}
x{% endif %})~",
     "{}",
     R"~(
x)~"},
    {R"~(a {{ 'x' }} 
  {{- 'y' -}}
 z)~",
     "{}",
     R"~(a xyz)~"},
    {R"~(  {# comment #}
line)~",
     "{}",
     R"~(line)~"},
    {R"~(a {#- c -#} b)~",
     "{}",
     R"~(ab)~"},
    {R"~({% raw %}{{ not parsed }}{% endraw %}
z)~",
     "{}",
     R"~({{ not parsed }}z)~"},
    {R"~(  {% raw %}
  {{ x }}
  {% endraw %}
q)~",
     "{}",
     R"~(
  {{ x }}
q)~"},
    {"x\015\ny\015\n",
     "{}",
     R"~(x
y)~"},
    {R"~(trailing
)~",
     "{}",
     R"~(trailing)~"},
    {R"~(trailing

)~",
     "{}",
     R"~(trailing
)~"},
    {R"~({% for m in messages %}
  {{ m.role }}
{% endfor %}
)~",
     kCtx,
     R"~(  system
  user
  assistant
)~"},
    {R"~(  {{ 'indented var' }}
)~",
     "{}",
     R"~(  indented var)~"},
    {"a\n\011 {% set x = 1 %}\n\011b{{ x }}",
     "{}",
     "a\n\011b1"},
    {R"~({% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %})~",
     kCtx,
     R"~(1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|)~"},
    {R"~({% for x in nums %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %})~",
     kCtx,
     R"~(-1;3-2;1-;)~"},
    {R"~({% for x in [] %}a{% else %}empty{% endfor %})~",
     "{}",
     R"~(empty)~"},
    {R"~({% for x in nums if x > 1 %}{{ x }}{{ loop.index }}{{ loop.length }} {% endfor %})~",
     kCtx,
     R"~(312 222 )~"},
    {R"~({% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %})~",
     kCtx,
     R"~(a=1;b=[1, 2, 3];s=Hello World;n=None;t=True;f=1.5;u=héllo wörld;nested={'x': {'y': 'deep'}};)~"},
    {R"~({% for k in d %}{{ k }},{% endfor %})~",
     kCtx,
     R"~(a,b,s,n,t,f,u,nested,)~"},
    {R"~({% for c in 'héy' %}[{{ c }}]{% endfor %})~",
     "{}",
     R"~([h][é][y])~"},
    {R"~({% for x in nums %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %})~",
     kCtx,
     R"~(32)~"},
    {R"~({% for x in nums %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %})~",
     kCtx,
     R"~(3)~"},
    {R"~({% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %})~",
     "{}",
     R"~(3 7 )~"},
    {R"~({% for (a, b) in [(1, 2)] %}{{ a }}{{ b }}{% endfor %})~",
     "{}",
     R"~(12)~"},
    {R"~({% for x in nums %}{{ loop.cycle('odd', 'even') }}{% endfor %})~",
     kCtx,
     R"~(oddevenodd)~"},
    {R"~({% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }} {% endfor %}{% endfor %})~",
     "{}",
     R"~(10 20 21 )~"},
    {R"~({% for x in nums %}{% set y = x %}{% endfor %}{{ y }})~",
     kCtx,
     R"~()~"},
    {R"~({% set y = 5 %}{% for x in nums %}{% set y = x %}{% endfor %}{{ y }})~",
     kCtx,
     R"~(5)~"},
    {R"~({% for x in undefined_var %}a{% endfor %}b)~",
     "{}",
     R"~(b)~"},
    {R"~({% for x in items|selectattr('ok') %}{{ x.name }}{% endfor %})~",
     kCtx,
     R"~(bC)~"},
    {R"~({% set ns = namespace(a=1, b='x') %}{% for x in nums %}{% set ns.a = ns.a + x %}{% endfor %}{{ ns.a }}{{ ns.b }})~",
     kCtx,
     R"~(7x)~"},
    {R"~({% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}])~",
     "{}",
     R"~([block 2])~"},
    {R"~({% set x | upper %}shout{% endset %}{{ x }})~",
     "{}",
     R"~(SHOUT)~"},
    {R"~({% set a, b = 1, 2 %}{{ a }}{{ b }})~",
     "{}",
     R"~(12)~"},
    {R"~({% set ns = namespace() %}{% set ns.x = [1] %}{{ ns.x }})~",
     "{}",
     R"~([1])~"},
    {R"~({{ namespace(a=1) }})~",
     "{}",
     R"~(<Namespace {'a': 1}>)~"},
    {R"~({% set x = 1 %}{% set x = x + 1 %}{{ x }})~",
     "{}",
     R"~(2)~"},
    {R"~({% if true %}{% set x = 3 %}{% endif %}{{ x }})~",
     "{}",
     R"~(3)~"},
    {R"~({% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }})~",
     "{}",
     R"~(Hello, Bob! Hi, Al!)~"},
    {R"~({% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }})~",
     "{}",
     R"~((1, 2){'x': 3})~"},
    {R"~({% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %})~",
     "{}",
     R"~(<b>bold</b>)~"},
    {R"~({% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}[{{ v }}]{% endcall %})~",
     "{}",
     R"~([1][2])~"},
    {R"~({% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }})~",
     "{}",
     R"~(4321)~"},
    {R"~({% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}|)~",
     "{}",
     R"~(1-|)~"},
    {R"~({% set v = 'outer' %}{% macro m() %}{{ v }}{% endmacro %}{{ m() }})~",
     "{}",
     R"~(outer)~"},
    {R"~({% filter upper %}hello {{ 'x' }}{% endfilter %})~",
     "{}",
     R"~(HELLO X)~"},
    {R"~({% filter trim | upper %}  hi  {% endfilter %})~",
     "{}",
     R"~(HI)~"},
    {R"~({{ x is defined }}{{ d is defined }}{{ x is undefined }}{{ d.n is none }}{{ d.s is string }}{{ d.a is number }}{{ d.f is number }}{{ d.a is integer }}{{ d.f is integer }}{{ d.f is float }})~",
     kCtx,
     R"~(FalseTrueTrueTrueTrueTrueTrueTrueFalseTrue)~"},
    {R"~({{ d is mapping }}{{ d.b is mapping }}{{ d.b is iterable }}{{ d.s is iterable }}{{ d.a is iterable }}{{ d.b is sequence }}{{ d.t is boolean }}{{ d.t is true }}{{ d.t is false }}{{ 0 is false }})~",
     kCtx,
     R"~(TrueFalseTrueTrueFalseTrueTrueTrueFalseFalse)~"},
    {R"~({{ 2 in d.b }}{{ 5 in d.b }}{{ 'a' in d }}{{ 'ell' in d.s }}{{ 2 is in d.b }}{{ 3 is odd }}{{ 3 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }})~",
     kCtx,
     R"~(TrueFalseTrueTrueTrueTrueFalseTrueFalse)~"},
    {R"~({{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 2 is gt 1 }}{{ 1 is le 1 }}{{ 1 is ge 2 }}{{ 'a' is equalto 'a' }}{{ none is sameas none }}{{ true is sameas true }})~",
     "{}",
     R"~(TrueTrueTrueTrueTrueFalseTrueTrueTrue)~"},
    {R"~({{ 'abc' is lower }}{{ 'ABC' is upper }}{{ d.x is not defined }}{{ x is not none }}{{ d.s is callable }}{{ d.s.upper is callable }})~",
     kCtx,
     R"~(TrueTrueTrueTrueFalseTrue)~"},
    {R"~({{ 'tojson' is filter }}{{ 'nope' is filter }}{{ 'defined' is test }})~",
     "{}",
     R"~(TrueFalseTrue)~"},
    {R"~({{ d | tojson }})~",
     kCtx,
     R"~({"a": 1, "b": [1, 2, 3], "s": "Hello World", "n": null, "t": true, "f": 1.5, "u": "héllo wörld", "nested": {"x": {"y": "deep"}}})~"},
    {R"~({{ d | tojson(indent=2) }})~",
     kCtx,
     R"~({
  "a": 1,
  "b": [
    1,
    2,
    3
  ],
  "s": "Hello World",
  "n": null,
  "t": true,
  "f": 1.5,
  "u": "héllo wörld",
  "nested": {
    "x": {
      "y": "deep"
    }
  }
})~"},
    {R"~({{ d | tojson(indent=2, sort_keys=true) }})~",
     kCtx,
     R"~({
  "a": 1,
  "b": [
    1,
    2,
    3
  ],
  "f": 1.5,
  "n": null,
  "nested": {
    "x": {
      "y": "deep"
    }
  },
  "s": "Hello World",
  "t": true,
  "u": "héllo wörld"
})~"},
    {R"~({{ d | tojson(separators=(',', ':')) }})~",
     kCtx,
     R"~({"a":1,"b":[1,2,3],"s":"Hello World","n":null,"t":true,"f":1.5,"u":"héllo wörld","nested":{"x":{"y":"deep"}}})~"},
    {R"~({{ {'k': 'ü\n"q"\t\u0001 </script>'} | tojson }})~",
     "{}",
     R"~({"k": "ü\n\"q\"\t\u0001 </script>"})~"},
    {R"~({{ {'k': 'ü'} | tojson(ensure_ascii=true) }})~",
     "{}",
     R"~({"k": "\u00fc"})~"},
    {R"~({{ [] | tojson(indent=2) }}{{ {} | tojson(indent=2) }}{{ [[]] | tojson(indent='\t') }})~",
     "{}",
     "[]{}[\n\011[]\n]"},
    {R"~({{ [1.0, 1e20, 1.5e-7, 100.0, 0.1, -0.0] | tojson }})~",
     "{}",
     R"~([1.0, 1e+20, 1.5e-07, 100.0, 0.1, -0.0])~"},
    {R"~({{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ d.b | length }}{{ d.s | length }}{{ d.u | length }}{{ d | length }}{{ d.b | count }})~",
     kCtx,
     R"~(a b|a|3111183)~"},
    {R"~({{ d | items | list }})~",
     kCtx,
     R"~([('a', 1), ('b', [1, 2, 3]), ('s', 'Hello World'), ('n', None), ('t', True), ('f', 1.5), ('u', 'héllo wörld'), ('nested', {'x': {'y': 'deep'}})])~"},
    {R"~({{ items | selectattr('ok') | map(attribute='name') | join(', ') }})~",
     kCtx,
     R"~(b, C)~"},
    {R"~({{ items | rejectattr('ok') | map(attribute='name') | list }})~",
     kCtx,
     R"~(['a'])~"},
    {R"~({{ items | selectattr('v', 'gt', 1) | map(attribute='v') | list }}{{ items | selectattr('name', 'equalto', 'a') | list | length }})~",
     kCtx,
     R"~([2, 3]1)~"},
    {R"~({{ nums | select('odd') | list }}{{ nums | reject('odd') | list }}{{ [0, 1, '', 'a', none] | select | list }})~",
     kCtx,
     R"~([3, 1][2][1, 'a'])~"},
    {R"~({{ words | map('upper') | join }}{{ words | map('replace', 'a', 'A') | join(' ') }})~",
     kCtx,
     R"~(BANANAAPPLECHERRYAPPLEbAnAnA Apple cherry Apple)~"},
    {R"~({{ items | map(attribute='missing', default='?') | join }}{{ items | map(attribute='missing') | list }})~",
     kCtx,
     R"~(???[Undefined, Undefined, Undefined])~"},
    {R"~({{ 'a-b-c' | replace('-', '+') }}{{ 'aaa' | replace('a', 'b', 2) }}{{ 'x' | replace('', '.') }})~",
     "{}",
     R"~(a+b+cbba.x.)~"},
    {R"~({{ x | default('dflt') }}{{ '' | default('e') }}{{ '' | default('e', true) }}{{ none | d('n') }}{{ d.n | default('n2') }})~",
     kCtx,
     R"~(dflteNoneNone)~"},
    {R"~({{ d.b | first }}{{ d.b | last }}{{ 'abc' | first }}{{ [] | first }}|{{ d | first }})~",
     kCtx,
     R"~(13a|a)~"},
    {R"~({{ 'hELLo wORLD' | lower }} {{ 'straße' | upper }} {{ 'hello WORLD' | capitalize }} {{ "they're bill's-friends (x)" | title }})~",
     "{}",
     R"~(hello world STRASSE Hello world They're Bill's-Friends (X))~"},
    {R"~({{ 42 | string }}{{ none | string }}{{ [1, 'a'] | string }}{{ '3' | int + 1 }}{{ '3.7' | int }}{{ 'x' | int }}{{ 'x' | int(5) }}{{ 3.9 | int }}{{ '0x1A' | int(0, 16) }})~",
     "{}",
     R"~(42None[1, 'a']4305326)~"},
    {R"~({{ '2.5' | float }}{{ 'x' | float }}{{ 3 | float }}{{ -3 | abs }}{{ -2.5 | abs }}{{ 2.5 | round }}{{ 3.5 | round }}{{ 2.675 | round(2) }}{{ 2.1 | round(0, 'ceil') }}{{ 2.9 | round(method='floor') }}{{ 7 | round }})~",
     "{}",
     R"~(2.50.03.032.52.04.02.673.02.07)~"},
    {R"~({{ 'abc' | list }}{{ words | unique | list }}{{ words | unique(case_sensitive=true) | list }}{{ words | sort | list }}{{ words | sort(reverse=true, case_sensitive=true) }}{{ items | sort(attribute='name') | map(attribute='v') | list }})~",
     kCtx,
     R"~(['a', 'b', 'c']['banana', 'Apple', 'cherry']['banana', 'Apple', 'cherry', 'apple']['Apple', 'apple', 'banana', 'cherry']['cherry', 'banana', 'apple', 'Apple'][1, 2, 3])~"},
    {R"~({{ nums | reverse | list }}{{ 'abc' | reverse }}{{ nums | sum }}{{ items | sum(attribute='v') }}{{ nums | max }}{{ nums | min }}{{ words | max }})~",
     kCtx,
     R"~([2, 1, 3]cba6631cherry)~"},
    {R"~({{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(2, blank=true) }}|{{ 'x\ny' | indent('> ') }})~",
     "{}",
     R"~(a
    b

    c|  a
  b|a
  
  b|x
> y)~"},
    {R"~({{ '<a href="x">&</a>' | e }}{{ '<b>' | safe }}{{ '<b>' | escape }})~",
     "{}",
     R"~(&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;<b>&lt;b&gt;)~"},
    {R"~({{ 'one two  three, four' | wordcount }}{{ nums | batch(2) | list }}{{ nums | batch(2, 'x') | list }}{{ [1,2,3,4,5] | slice(2) | list }})~",
     kCtx,
     R"~(4[[3, 1], [2]][[3, 1], [2, 'x']][[1, 2, 3], [4, 5]])~"},
    {R"~({{ {'b': 1, 'a': 2, 'C': 0} | dictsort }}{{ {'b': 1, 'a': 2} | dictsort(by='value', reverse=true) }})~",
     "{}",
     R"~([('a', 2), ('b', 1), ('C', 0)][('a', 2), ('b', 1)])~"},
    {R"~({{ items | groupby('ok') }})~",
     kCtx,
     R"~([(False, [{'name': 'a', 'v': 1, 'ok': False}]), (True, [{'name': 'b', 'v': 2, 'ok': True}, {'name': 'C', 'v': 3, 'ok': True}])])~"},
    {R"~({{ '%s-%d-%.2f-%5s|%-4s|%03d %%' | format('a', 3, 2.5, 'r', 'l', 7) }}{{ 'Hi %s' % 'you' }}{{ '%s and %s' % (1, 2) }})~",
     "{}",
     R"~(a-3-2.50-    r|l   |007 %Hi you1 and 2)~"},
    {R"~({{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }})~",
     "{}",
     R"~(7 9 3.5 3 -4 1 2 1024 64 0.5 3.0 1.5)~"},
    {R"~({{ 'a' ~ 1 ~ none ~ x ~ [1] }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'x' + 'y' }} {{ 1 + 1.5 }} {{ true + 1 }})~",
     "{}",
     R"~(a1None[1] ababab [1, 1] [1, 2] xy 2.5 2)~"},
    {R"~({{ 1 == 1.0 }}{{ 1 != 2 }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 2 >= 2 }}{{ none == none }}{{ x == y }}{{ x == none }})~",
     "{}",
     R"~(TrueTrueTrueTrueTrueFalseTrueTrueTrueFalse)~"},
    {R"~({{ not true }}{{ not x }}{{ true and 'yes' }}{{ false or 'fallback' }}{{ '' or [] }}{{ 0 and 1 }}{{ 3 not in [1, 2] }}{{ 'z' not in 'abc' }})~",
     "{}",
     R"~(FalseTrueyesfallback[]0TrueTrue)~"},
};
// clang-format on

TEST(TemplateLanguage, PartARendersLikeJinja2) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.source);
    try {
      EXPECT_EQ(render(c.source, c.context), c.expected);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  }
}

}  // namespace
}  // namespace rmlx::tmpl::testing
