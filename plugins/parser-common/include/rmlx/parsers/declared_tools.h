// The request's tool list, as far as parsers need it: which names are
// declared and the JSON Schema type of each parameter.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace rmlx::parsers {

class DeclaredTools {
 public:
  DeclaredTools() = default;
  // Accepts OpenAI entries ({"type":"function","function":{"name","parameters"}})
  // and bare ones ({"name","parameters"|"input_schema"}). Throws
  // std::invalid_argument naming the problem when the list is malformed.
  static DeclaredTools parse(std::string_view tools_json);

  bool empty() const { return tools_.empty(); }
  bool has(std::string_view name) const;
  // Whether some declared name starts with `prefix` (a name still streaming in).
  bool has_prefix(std::string_view prefix) const;
  // The parameter's schema type ("string", "integer", ...); empty when unknown.
  std::string param_type(std::string_view tool, std::string_view param) const;

 private:
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> tools_;
};

}  // namespace rmlx::parsers
