// The schemas of schemas.json (shared with the Python scripts), compiled once.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "rmlx/grammar/grammar.h"

namespace rmlx::grammar::testing {

inline std::map<std::string, std::shared_ptr<const Grammar>> load_test_schemas(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const auto list = nlohmann::ordered_json::parse(in);
  std::map<std::string, std::shared_ptr<const Grammar>> out;
  for (const auto& e : list)
    out[e["name"].get<std::string>()] = Grammar::from_json_schema(e["schema"], true);
  out["json_object"] = Grammar::any_json_object();
  return out;
}

}  // namespace rmlx::grammar::testing
