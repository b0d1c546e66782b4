#include "rmlx/parsers/declared_tools.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace rmlx::parsers {
namespace {

using nlohmann::json;

std::string schema_type(const json& schema) {
  if (!schema.is_object()) return {};
  auto t = schema.find("type");
  if (t == schema.end()) return {};
  if (t->is_string()) return t->get<std::string>();
  if (t->is_array()) {
    // ["integer", "null"]: the non-null type decides the conversion.
    for (const auto& e : *t) {
      if (e.is_string() && e.get<std::string>() != "null") return e.get<std::string>();
    }
  }
  return {};
}

}  // namespace

DeclaredTools DeclaredTools::parse(std::string_view tools_json) {
  DeclaredTools out;
  if (tools_json.empty()) return out;
  json list = json::parse(tools_json, nullptr, false);
  if (list.is_discarded()) throw std::invalid_argument("tools_json: not valid JSON");
  if (!list.is_array()) throw std::invalid_argument("tools_json: expected a JSON array of tools");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    const std::string where = "tools_json[" + std::to_string(i) + "]";
    if (!entry.is_object()) throw std::invalid_argument(where + ": expected an object");
    const json* fn = &entry;
    if (auto f = entry.find("function"); f != entry.end()) {
      if (!f->is_object()) throw std::invalid_argument(where + ".function: expected an object");
      fn = &*f;
    }
    auto name = fn->find("name");
    if (name == fn->end() || !name->is_string() || name->get<std::string>().empty()) {
      throw std::invalid_argument(where + ": missing string \"name\"");
    }
    auto& params = out.tools_[name->get<std::string>()];
    const json* schema = nullptr;
    if (auto p = fn->find("parameters"); p != fn->end()) schema = &*p;
    if (auto p = fn->find("input_schema"); p != fn->end()) schema = &*p;
    if (schema == nullptr || !schema->is_object()) continue;
    auto props = schema->find("properties");
    if (props == schema->end() || !props->is_object()) continue;
    for (const auto& [key, prop] : props->items()) params[key] = schema_type(prop);
  }
  return out;
}

bool DeclaredTools::has(std::string_view name) const {
  return tools_.find(name) != tools_.end();
}

bool DeclaredTools::has_prefix(std::string_view prefix) const {
  auto it = tools_.lower_bound(prefix);
  return it != tools_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
}

std::string DeclaredTools::param_type(std::string_view tool, std::string_view param) const {
  auto t = tools_.find(tool);
  if (t == tools_.end()) return {};
  auto p = t->second.find(param);
  return p == t->second.end() ? std::string() : p->second;
}

}  // namespace rmlx::parsers
