// Hand-written documents against small schemas, and the exact errors for unsupported input.
#include <gtest/gtest.h>

#include <string>

#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/matcher.h"
#include "rmlx/grammar/vocabulary.h"

namespace rmlx::grammar {
namespace {

using Json = nlohmann::ordered_json;

// One token per byte, plus eos as id 256.
std::shared_ptr<const Vocabulary> byte_vocab() {
  std::vector<std::string> bytes;
  for (int c = 0; c < 256; ++c) bytes.emplace_back(1, static_cast<char>(c));
  bytes.emplace_back();
  return Vocabulary::build(std::move(bytes), {256});
}

bool accepts(const std::shared_ptr<const Grammar>& g, const std::string& doc) {
  Matcher m(g, byte_vocab());
  return m.accept_bytes(doc) && m.is_complete();
}

bool accepts(const char* schema, const std::string& doc, bool strict = false) {
  return accepts(Grammar::from_json_schema(Json::parse(schema), strict), doc);
}

std::string error_of(const char* schema, bool strict = false) {
  try {
    Grammar::from_json_schema(Json::parse(schema), strict);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Schema, ObjectPropertiesInSchemaOrderOptionalMaySkip) {
  const char* s = R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},
    "c":{"type":"boolean"}},"required":["a","c"],"additionalProperties":false})";
  EXPECT_TRUE(accepts(s, R"({"a":1,"b":"x","c":true})"));
  EXPECT_TRUE(accepts(s, R"({"a":-20,"c":false})"));
  EXPECT_FALSE(accepts(s, R"({"a":1})"));                 // c is required
  EXPECT_FALSE(accepts(s, R"({"c":true,"a":1})"));        // schema order only
  EXPECT_FALSE(accepts(s, R"({"a":1,"c":true,"d":1})"));  // undeclared
  EXPECT_FALSE(accepts(s, R"({"a": 1,"c":true})"));       // no whitespace
  EXPECT_FALSE(accepts(s, R"({"a":1.5,"c":true})"));      // integer
  EXPECT_FALSE(accepts(s, R"({"a":01,"c":true})"));       // JSON number syntax
  EXPECT_FALSE(accepts(s, R"({"a":1,"c":true})"
                          "x"));  // nothing after the document
}

TEST(Schema, NumbersFollowJsonSyntax) {
  const char* s = R"({"type":"number"})";
  for (const char* ok : {"0", "-0", "12", "1.5", "-0.25e+10", "3E5", "1e-05"})
    EXPECT_TRUE(accepts(s, ok)) << ok;
  for (const char* bad : {"-", "01", "1.", ".5", "1e", "+1", "1.5.2", "--1"})
    EXPECT_FALSE(accepts(s, bad)) << bad;
}

TEST(Schema, StringsEscapesLengthsAndUtf8) {
  const char* s = R"({"type":"string","minLength":2,"maxLength":3})";
  EXPECT_TRUE(accepts(s, R"("ab")"));
  EXPECT_TRUE(accepts(s, R"("a\nb")"));
  EXPECT_TRUE(accepts(s, "\"\xc3\xa9t\xc3\xa9\""));  // "été": three characters
  EXPECT_TRUE(accepts(s, R"("\u00e9\"")"));
  EXPECT_FALSE(accepts(s, R"("a")"));
  EXPECT_FALSE(accepts(s, R"("abcd")"));
  EXPECT_FALSE(accepts(s, "\"a\nb\""));      // raw control character
  EXPECT_FALSE(accepts(s, R"("\ud800x")"));  // lone surrogate escape
  EXPECT_FALSE(accepts(s, "\"\xc3(\""));     // broken UTF-8
  EXPECT_FALSE(accepts(s, R"("\q")"));
}

TEST(Schema, EnumConstAnyOfAndTypeLists) {
  EXPECT_TRUE(accepts(R"({"enum":["red",12,null,{"k":[1]}]})", R"({"k":[1]})"));
  EXPECT_TRUE(accepts(R"({"enum":["red",12,null]})", "12"));
  EXPECT_FALSE(accepts(R"({"enum":["red",12,null]})", "1"));
  EXPECT_TRUE(accepts(R"({"enum":[1,12]})", "1"));
  EXPECT_TRUE(accepts(R"({"const":"v1"})", R"("v1")"));
  // Type filters the enum: only the strings remain.
  EXPECT_FALSE(accepts(R"({"type":"string","enum":["a",1]})", "1"));
  const char* nullable = R"({"type":["integer","null"]})";
  EXPECT_TRUE(accepts(nullable, "null"));
  EXPECT_TRUE(accepts(nullable, "7"));
  EXPECT_FALSE(accepts(nullable, R"("7")"));
  // Alternatives that start alike are followed together until they part.
  const char* shapes = R"({"anyOf":[
    {"type":"object","properties":{"r":{"type":"number"}},"required":["r"],"additionalProperties":false},
    {"type":"object","properties":{"r":{"type":"number"},"h":{"type":"number"}},"required":["r","h"],"additionalProperties":false}]})";
  EXPECT_TRUE(accepts(shapes, R"({"r":1})"));
  EXPECT_TRUE(accepts(shapes, R"({"r":1,"h":2})"));
  EXPECT_FALSE(accepts(shapes, R"({"h":2})"));
}

TEST(Schema, ArraysWithBounds) {
  const char* s = R"({"type":"array","items":{"type":"boolean"},"minItems":1,"maxItems":2})";
  EXPECT_FALSE(accepts(s, "[]"));
  EXPECT_TRUE(accepts(s, "[true]"));
  EXPECT_TRUE(accepts(s, "[true,false]"));
  EXPECT_FALSE(accepts(s, "[true,false,true]"));
  EXPECT_FALSE(accepts(s, "[true,]"));
  EXPECT_TRUE(accepts(R"({"type":"array"})", R"([1,"a",[{}],{"x":null}])"));
}

TEST(Schema, RefsDefsAndRecursion) {
  const char* tree = R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
    "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"],
    "additionalProperties":false}},"$ref":"#/$defs/node"})";
  EXPECT_TRUE(accepts(tree, R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]})"));
  EXPECT_FALSE(accepts(tree, R"({"v":1,"kids":[{"w":2}]})"));
}

TEST(Schema, PatternsAreSearchedUnlessAnchored) {
  const char* anchored = R"({"type":"string","pattern":"^[A-Z]{2}-\\d{3,5}$"})";
  EXPECT_TRUE(accepts(anchored, R"("AB-123")"));
  EXPECT_TRUE(accepts(anchored, R"("XY-12345")"));
  EXPECT_FALSE(accepts(anchored, R"("AB-12")"));
  EXPECT_FALSE(accepts(anchored, R"("xAB-123")"));
  const char* search = R"({"type":"string","pattern":"ok|fine"})";
  EXPECT_TRUE(accepts(search, R"("it is fine!")"));
  EXPECT_FALSE(accepts(search, R"("it is bad")"));
  EXPECT_TRUE(accepts(R"J({"pattern":"^(?:a|bc)+\\.x?$"})J", R"("abca.")"));
  EXPECT_TRUE(accepts(R"({"pattern":"^[^0-9]+$"})", "\"caf\xc3\xa9\""));
}

TEST(Schema, ObjectsWithoutPropertiesAndAnyJsonObject) {
  EXPECT_TRUE(accepts(R"({"type":"object"})", R"({"a":[1,{"b":"c"}],"d":true})"));
  EXPECT_TRUE(accepts(R"({"type":"object"})", R"({"a":1})"));
  EXPECT_FALSE(accepts(R"({"type":"object"})", R"({"a":1})", true));  // strict: nothing declared
  EXPECT_TRUE(accepts(R"({"type":"object"})", "{}", true));
  const char* map = R"({"type":"object","additionalProperties":{"type":"integer"}})";
  EXPECT_TRUE(accepts(map, R"({"x":1,"y":2})"));
  EXPECT_FALSE(accepts(map, R"({"x":"1"})"));
  const auto any = Grammar::any_json_object();
  EXPECT_TRUE(accepts(any, R"({"a":{"b":[1.5,-2,"\u00e9",null,false]}})"));
  EXPECT_FALSE(accepts(any, R"([1])"));
  EXPECT_FALSE(accepts(any, R"("x")"));
}

TEST(Schema, UnsupportedInputIsNamedWithItsPath) {
  EXPECT_EQ(error_of(R"({"type":"object","properties":{"age":{"type":"integer","minimum":0}}})"),
            "json schema: unsupported keyword 'minimum' at #/properties/age");
  EXPECT_EQ(error_of(R"({"type":"strin"})"), "json schema: unknown type 'strin' at #/type");
  EXPECT_EQ(error_of(R"({"$ref":"#/$defs/missing"})"),
            "json schema: '$ref' '#/$defs/missing' at # does not resolve");
  EXPECT_EQ(error_of(R"({"type":"object","properties":{"a":{}},"required":["b"]})"),
            "json schema: required property 'b' at # is not in 'properties'");
  EXPECT_EQ(error_of(R"({"type":"array","minItems":3,"maxItems":2})"),
            "json schema: minItems 3 > maxItems 2 at #");
  EXPECT_EQ(error_of(R"J({"properties":{"p":{"pattern":"(?=x)"}}})J"),
            "json schema: pattern at #/properties/p/pattern: unsupported group '(?' (offset 1)");
  EXPECT_EQ(error_of(R"({"pattern":"^\"$"})"),
            "json schema: pattern at #/pattern matches no string that can be written without "
            "escapes");
  EXPECT_EQ(error_of(R"({"anyOf":[{"$ref":"#"},{"type":"null"}]})"),
            "json schema: anyOf/$ref cycle that consumes no input");
  EXPECT_EQ(error_of(R"({"items":false,"minItems":1})"),
            "json schema: 'items' false with minItems > 0 at # allows no value");
  EXPECT_EQ(error_of("false"), "json schema: the schema 'false' at # allows no value");
  EXPECT_EQ(error_of(R"({"pattern":"^abcd$","maxLength":3})"),
            "json schema: pattern at # needs at least 4 characters, more than maxLength 3");
  std::string deep = "true";
  for (int i = 0; i < 200; ++i) deep = R"({"items":)" + deep + "}";
  EXPECT_EQ(error_of(deep.c_str()).substr(0, 55),
            "json schema: schema nested deeper than 128 levels at #/");
  const std::string parens =
      R"({"pattern":")" + std::string(100, '(') + std::string(100, ')') + R"("})";
  EXPECT_EQ(error_of(parens.c_str()),
            "json schema: pattern at #/pattern: groups nested too deeply (offset 64)");
}

TEST(Matcher, TokensEosAndTermination) {
  const auto g = Grammar::from_json_schema(Json::parse(R"({"enum":[1,12]})"), false);
  std::vector<std::string> bytes{"1", "2", "12", "", "x"};
  const auto vocab = Vocabulary::build(bytes, {3});
  Matcher m(g, vocab);
  TokenMask mask;
  m.fill_mask(mask);
  EXPECT_TRUE(mask.test(0));
  EXPECT_TRUE(mask.test(2));
  EXPECT_FALSE(mask.test(1));
  EXPECT_FALSE(mask.test(3));  // eos only once whole
  EXPECT_FALSE(m.accept(4));
  EXPECT_TRUE(m.accept(0));
  m.fill_mask(mask);
  EXPECT_TRUE(mask.test(1));  // "1" may go on to "12"
  EXPECT_TRUE(mask.test(3));  // or end
  EXPECT_EQ(mask.count(), 2u);
  EXPECT_TRUE(m.accept(3));
  EXPECT_TRUE(m.is_terminated());
  m.fill_mask(mask);
  EXPECT_EQ(mask.count(), 0u);
  EXPECT_THROW(Vocabulary::build({"a"}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace rmlx::grammar
