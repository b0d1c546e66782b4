#include "api/json_fields.h"

#include <cmath>

#include "api/api_error.h"

namespace rmlx::api {

std::string json_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "value";
  }
}

std::string child_path(const std::string& parent, const char* key) {
  return parent.empty() ? std::string(key) : parent + "." + key;
}

std::string index_path(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

Json parse_body(const std::string& body) {
  if (body.empty()) throw ApiError(ErrorKind::invalid_request, "the request body is empty");
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; keep the reason.
    auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    // "; last read: ..." would echo the offending (maybe invalid UTF-8) bytes.
    if (auto lr = what.find("; last read"); lr != std::string::npos) what.resize(lr);
    throw ApiError(ErrorKind::invalid_request, "the request body is not valid JSON: " + what);
  }
  if (!j.is_object()) {
    throw ApiError(ErrorKind::invalid_request,
                   "the request body must be a JSON object, got " + json_type_name(j));
  }
  return j;
}

Fields::Fields(const Json& object, std::string path) : obj_(&object), path_(std::move(path)) {
  if (!object.is_object()) {
    throw invalid_field(path_, "must be an object, got " + json_type_name(object));
  }
}

std::string Fields::name(const char* key) const {
  return child_path(path_, key);
}

const Json* Fields::get(const char* key) const {
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool Fields::has(const char* key) const {
  return get(key) != nullptr;
}

std::optional<std::string> Fields::str(const char* key) const {
  const Json* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string())
    throw invalid_field(name(key), "must be a string, got " + json_type_name(*v));
  return v->get<std::string>();
}

std::string Fields::required_str(const char* key) const {
  auto v = str(key);
  if (!v) throw invalid_field(name(key), "is required");
  return *v;
}

std::optional<bool> Fields::boolean(const char* key) const {
  const Json* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    throw invalid_field(name(key), "must be a boolean, got " + json_type_name(*v));
  }
  return v->get<bool>();
}

std::optional<double> Fields::number(const char* key, double min, double max) const {
  const Json* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number())
    throw invalid_field(name(key), "must be a number, got " + json_type_name(*v));
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    throw invalid_field(name(key), "must be between " + Json(min).dump() + " and " +
                                       Json(max).dump() + ", got " + v->dump());
  }
  return d;
}

std::optional<std::int64_t> Fields::integer(const char* key, std::int64_t min,
                                            std::int64_t max) const {
  const Json* v = get(key);
  if (v == nullptr) return std::nullopt;
  bool integral = v->is_number_integer() || v->is_number_unsigned();
  if (v->is_number_float()) {
    double d = v->get<double>();
    integral = std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15;
  }
  if (!integral) throw invalid_field(name(key), "must be an integer, got " + v->dump());
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    throw invalid_field(name(key), "must be at most " + std::to_string(max) + ", got " + v->dump());
  }
  std::int64_t i =
      v->is_number_float() ? static_cast<std::int64_t>(v->get<double>()) : v->get<std::int64_t>();
  if (i < min) {
    throw invalid_field(name(key),
                        "must be at least " + std::to_string(min) + ", got " + v->dump());
  }
  if (i > max) {
    throw invalid_field(name(key), "must be at most " + std::to_string(max) + ", got " + v->dump());
  }
  return i;
}

const Json* Fields::object(const char* key) const {
  const Json* v = get(key);
  if (v != nullptr && !v->is_object()) {
    throw invalid_field(name(key), "must be an object, got " + json_type_name(*v));
  }
  return v;
}

const Json* Fields::array(const char* key) const {
  const Json* v = get(key);
  if (v != nullptr && !v->is_array()) {
    throw invalid_field(name(key), "must be an array, got " + json_type_name(*v));
  }
  return v;
}

std::vector<std::string> Fields::strings(const char* key, std::size_t max_items) const {
  const Json* v = get(key);
  if (v == nullptr) return {};
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) {
    throw invalid_field(name(key),
                        "must be a string or an array of strings, got " + json_type_name(*v));
  }
  if (v->size() > max_items) {
    throw invalid_field(name(key), "may hold at most " + std::to_string(max_items) +
                                       " strings, got " + std::to_string(v->size()));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      throw invalid_field(index_path(name(key), i),
                          "must be a string, got " + json_type_name((*v)[i]));
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

}  // namespace rmlx::api
