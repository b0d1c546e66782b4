// Typed access to nlohmann::json with error messages that name the file and the field path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::tokenizer {

// A JSON node plus where it came from (file and dotted path), for one-line errors.
class JsonRef {
 public:
  JsonRef(const nlohmann::json& node, std::string file, std::string path)
      : node_(&node), file_(std::move(file)), path_(std::move(path)) {}

  [[noreturn]] void fail(std::string_view expected) const {
    throw Error(file_ + ": field '" + path_ + "': expected " + std::string(expected));
  }
  const nlohmann::json& raw() const { return *node_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  bool has(const char* key) const {
    return node_->is_object() && node_->contains(key) && !(*node_)[key].is_null();
  }
  JsonRef at(const char* key) const {
    if (!node_->is_object()) fail("an object");
    const auto it = node_->find(key);
    const std::string sub = path_.empty() ? key : path_ + "." + key;
    if (it == node_->end()) JsonRef(*node_, file_, sub).fail("a value (field is missing)");
    return JsonRef(*it, file_, sub);
  }
  JsonRef item(size_t i) const {
    return JsonRef((*node_)[i], file_, path_ + "[" + std::to_string(i) + "]");
  }
  size_t size() const { return node_->size(); }
  bool is_null() const { return node_->is_null(); }

  std::string str() const {
    if (!node_->is_string()) fail("a string");
    return node_->get<std::string>();
  }
  bool boolean() const {
    if (!node_->is_boolean()) fail("true or false");
    return node_->get<bool>();
  }
  int64_t integer() const {
    if (!node_->is_number_integer()) fail("an integer");
    return node_->get<int64_t>();
  }
  double number() const {
    if (!node_->is_number()) fail("a number");
    return node_->get<double>();
  }
  JsonRef array() const {
    if (!node_->is_array()) fail("an array");
    return *this;
  }
  JsonRef object() const {
    if (!node_->is_object()) fail("an object");
    return *this;
  }
  // Typed optional fields (missing or null gives the default).
  std::string str_or(const char* key, std::string def) const {
    return has(key) ? at(key).str() : def;
  }
  bool bool_or(const char* key, bool def) const { return has(key) ? at(key).boolean() : def; }
  int64_t int_or(const char* key, int64_t def) const { return has(key) ? at(key).integer() : def; }
  // A token id: a non-negative integer that fits int32.
  int32_t id() const {
    const int64_t v = integer();
    if (v < 0 || v > INT32_MAX) fail("a token id between 0 and 2147483647");
    return static_cast<int32_t>(v);
  }

 private:
  const nlohmann::json* node_;
  std::string file_;
  std::string path_;
};

}  // namespace rmlx::tokenizer
