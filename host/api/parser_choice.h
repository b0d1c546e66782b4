// Which ToolParser / ReasoningParser a model's output needs, read from its
// chat template (the markers it renders) and its architecture.
#pragma once

#include <string>

namespace rmlx::api {

struct ParserChoice {
  std::string tool;       // "" when the model has no tool-call format we know
  std::string reasoning;  // "" when it does not think out loud
};

// `overrides` fields, when set, win ("none" turns a parser off).
ParserChoice choose_parsers(const std::string& template_source, const std::string& architecture,
                            const ParserChoice& overrides);

}  // namespace rmlx::api
