#include "rmlx/grammar/grammar.h"

#include "program.h"
#include "schema_compiler.h"

namespace rmlx::grammar {

Grammar::Grammar(std::unique_ptr<detail::Program> program) : program_(std::move(program)) {}
Grammar::~Grammar() = default;

std::shared_ptr<const Grammar> Grammar::from_json_schema(const nlohmann::ordered_json& schema,
                                                         bool strict) {
  return std::make_shared<const Grammar>(
      std::make_unique<detail::Program>(detail::compile_schema(schema, strict)));
}

std::shared_ptr<const Grammar> Grammar::from_json_schema(const nlohmann::json& schema,
                                                         bool strict) {
  return from_json_schema(nlohmann::ordered_json::parse(schema.dump()), strict);
}

std::shared_ptr<const Grammar> Grammar::any_json_object() {
  return std::make_shared<const Grammar>(
      std::make_unique<detail::Program>(detail::compile_any_object()));
}

}  // namespace rmlx::grammar
