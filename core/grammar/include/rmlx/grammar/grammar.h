// Grammars for structured output: JSON constrained by a JSON Schema, or any JSON object.
//
// Documents are generated in compact layout: no whitespace between tokens (so a small model
// cannot loop on blanks), object properties in the schema's order (optional ones may be
// left out), integers without fraction or exponent, numbers of at most 20 integer and 20
// fraction digits and 2 exponent digits, no lone \u surrogate escapes. Every document the
// grammar allows is valid against the schema; the grammar allows a subset of the valid documents.
//
// Supported keywords: type (one or a list), enum, const, properties, required,
// additionalProperties (false, true or a schema; declared properties are the only ones emitted
// when there are any), items, minItems, maxItems, minLength, maxLength, pattern (a regex subset,
// see regex.cpp; pattern strings carry no backslash escapes), anyOf, oneOf (as anyOf: the
// alternatives should not overlap), $ref to #, #/$defs/... or #/definitions/...; annotations
// (title, description, default, examples, format, $schema, $id, $comment, ...) are ignored. Any
// other keyword is refused with std::invalid_argument naming it and its path.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

namespace rmlx::grammar {

namespace detail {
struct Program;
}

class Grammar {
 public:
  // strict: objects without declared properties or an additionalProperties schema are empty
  // (OpenAI's strict mode); otherwise they take any keys with any values.
  // Properties are emitted in the order the schema object holds them: pass an ordered_json to
  // keep the order of the schema's text (nlohmann::json sorts keys alphabetically).
  static std::shared_ptr<const Grammar> from_json_schema(const nlohmann::ordered_json& schema,
                                                         bool strict);
  static std::shared_ptr<const Grammar> from_json_schema(const nlohmann::json& schema, bool strict);
  // response_format json_object: any JSON object.
  static std::shared_ptr<const Grammar> any_json_object();

  explicit Grammar(std::unique_ptr<detail::Program> program);
  ~Grammar();
  const detail::Program& program() const { return *program_; }

 private:
  std::unique_ptr<detail::Program> program_;
};

}  // namespace rmlx::grammar
