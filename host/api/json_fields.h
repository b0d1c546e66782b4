// Typed reads of request fields. A field that is absent or null reads as
// unset; a field of the wrong type or out of range throws a 400 that names
// it by its path ("messages[2].content"). Unknown fields are never looked at.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rmlx::api {

using Json = nlohmann::ordered_json;

class Fields {
 public:
  // `object` must outlive this reader; `path` prefixes field names in errors.
  Fields(const Json& object, std::string path);

  bool has(const char* key) const;
  std::optional<std::string> str(const char* key) const;
  std::string required_str(const char* key) const;
  std::optional<bool> boolean(const char* key) const;
  std::optional<double> number(const char* key, double min, double max) const;
  std::optional<std::int64_t> integer(const char* key, std::int64_t min, std::int64_t max) const;
  const Json* object(const char* key) const;
  const Json* array(const char* key) const;
  const Json* get(const char* key) const;  // any type, nullptr when absent or null
  // A string or an array of strings (e.g. "stop"), at most `max_items`.
  std::vector<std::string> strings(const char* key, std::size_t max_items) const;

  std::string name(const char* key) const;
  const std::string& path() const { return path_; }
  const Json& json() const { return *obj_; }

 private:
  const Json* obj_;
  std::string path_;
};

// "object", "array", "string", "integer", "number", "boolean" or "null".
std::string json_type_name(const Json& v);
// Parses a request body; 400 for bad JSON (with the position) or a
// non-object root.
Json parse_body(const std::string& body);
// Reads the top level of a body as an object reader.
std::string child_path(const std::string& parent, const char* key);
std::string index_path(const std::string& parent, std::size_t i);

}  // namespace rmlx::api
