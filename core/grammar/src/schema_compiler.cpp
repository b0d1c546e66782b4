#include "schema_compiler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "regex.h"

namespace rmlx::grammar::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::set<std::string> kAnnotations = {
    "title",     "description", "default",     "examples",         "$schema",
    "$id",       "$comment",    "format",      "deprecated",       "readOnly",
    "writeOnly", "$defs",       "definitions", "contentMediaType", "contentEncoding"};
const std::set<std::string> kSupported = {
    "type",  "enum",     "const",    "properties", "required",  "additionalProperties",
    "items", "minItems", "maxItems", "minLength",  "maxLength", "pattern",
    "anyOf", "oneOf",    "$ref",     "uniqueItems"};

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("json schema: " + message);
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char ch : key) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out += ch;
    }
  }
  return out;
}

class Compiler {
 public:
  Compiler(const Json& root, bool strict) : root_(root), strict_(strict) {}

  Program finish(std::uint32_t root) {
    prog_.root = root;
    compute_first_sets();
    check_any_of_cycles();
    return std::move(prog_);
  }

  std::uint32_t compile(const Json& s, const std::string& path) {
    if (depth_ >= kMaxSchemaDepth)
      fail("schema nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels at " + path);
    ++depth_;
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (s.is_boolean()) {
      if (s.get<bool>()) return any_value();
      fail("the schema 'false' at " + path + " allows no value");
    }
    if (!s.is_object()) fail("expected an object or a boolean at " + path);
    for (const auto& [key, value] : s.items()) {
      (void)value;
      if (!kAnnotations.count(key) && !kSupported.count(key))
        fail("unsupported keyword '" + key + "' at " + path);
    }
    const auto validation_keys = [&](std::initializer_list<const char*> except) {
      std::vector<std::string> keys;
      for (const auto& [key, value] : s.items()) {
        (void)value;
        if (kAnnotations.count(key)) continue;
        if (std::find_if(except.begin(), except.end(), [&](const char* e) { return key == e; }) ==
            except.end())
          keys.push_back(key);
      }
      return keys;
    };

    if (s.contains("$ref")) {
      const auto others = validation_keys({"$ref"});
      if (!others.empty())
        fail("'$ref' alongside '" + others[0] + "' at " + path + " is not supported");
      return resolve_ref(s["$ref"], path);
    }
    for (const char* kw : {"anyOf", "oneOf"}) {
      if (!s.contains(kw)) continue;
      const auto others = validation_keys({kw});
      if (!others.empty())
        fail(std::string("'") + kw + "' alongside '" + others[0] + "' at " + path +
             " is not supported");
      const Json& alts = s[kw];
      if (!alts.is_array() || alts.empty())
        fail(std::string("'") + kw + "' at " + path + " must be a non-empty array");
      std::vector<std::uint32_t> ids;
      for (std::size_t i = 0; i < alts.size(); ++i)
        ids.push_back(compile(alts[i], path + "/" + kw + "/" + std::to_string(i)));
      if (ids.size() == 1) return ids[0];
      const std::uint32_t id = new_node(Kind::any_of);
      prog_.nodes[id].alts = std::move(ids);
      return id;
    }

    std::vector<std::string> types;
    if (s.contains("type")) {
      const Json& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const auto& e : t) {
          if (!e.is_string()) fail("'type' at " + path + " must be a string or a list of strings");
          types.push_back(e.get<std::string>());
        }
      } else {
        fail("'type' at " + path + " must be a string or a list of strings");
      }
      for (const auto& name : types)
        if (name != "null" && name != "boolean" && name != "integer" && name != "number" &&
            name != "string" && name != "array" && name != "object")
          fail("unknown type '" + name + "' at " + path + "/type");
    }

    if (s.contains("enum") || s.contains("const")) {
      if (s.contains("enum") && s.contains("const"))
        fail("'enum' alongside 'const' at " + path + " is not supported");
      const auto others = validation_keys({"enum", "const", "type"});
      if (!others.empty())
        fail("'" + others[0] + "' alongside 'enum'/'const' at " + path + " is not supported");
      Json values = Json::array();
      if (s.contains("const")) {
        values.push_back(s["const"]);
      } else {
        if (!s["enum"].is_array() || s["enum"].empty())
          fail("'enum' at " + path + " must be a non-empty array");
        values = s["enum"];
      }
      std::vector<std::string> literals;
      for (const auto& v : values)
        if (types.empty() || std::any_of(types.begin(), types.end(),
                                         [&](const std::string& t) { return has_type(v, t); }))
          literals.push_back(v.dump());
      if (literals.empty())
        fail("no value of 'enum'/'const' at " + path + " has the declared type");
      return literal(literals);
    }

    if (types.empty()) {
      // No type: the keywords present say which kind of value they constrain.
      if (s.contains("properties") || s.contains("required") ||
          s.contains("additionalProperties")) {
        types.push_back("object");
      } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
        types.push_back("array");
      } else if (s.contains("minLength") || s.contains("maxLength") || s.contains("pattern")) {
        types.push_back("string");
      } else {
        return any_value();
      }
    }
    std::vector<std::uint32_t> ids;
    for (const auto& t : types) ids.push_back(compile_typed(s, t, path));
    if (ids.size() == 1) return ids[0];
    const std::uint32_t id = new_node(Kind::any_of);
    prog_.nodes[id].alts = std::move(ids);
    return id;
  }

  std::uint32_t any_object() {
    const std::uint32_t id = new_node(Kind::map);
    prog_.nodes[id].key = free_string();
    prog_.nodes[id].child = any_value();
    return id;
  }

 private:
  static bool has_type(const Json& v, const std::string& t) {
    if (t == "null") return v.is_null();
    if (t == "boolean") return v.is_boolean();
    if (t == "integer")
      return v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                       std::floor(v.get<double>()) == v.get<double>());
    if (t == "number") return v.is_number();
    if (t == "string") return v.is_string();
    if (t == "array") return v.is_array();
    return v.is_object();
  }

  std::uint32_t new_node(Kind kind) {
    prog_.nodes.emplace_back();
    prog_.nodes.back().kind = kind;
    return static_cast<std::uint32_t>(prog_.nodes.size() - 1);
  }

  // Builds a byte trie of (bytes, value) entries; returns its root.
  std::uint32_t add_trie(const std::vector<std::pair<std::string, std::int32_t>>& entries) {
    struct Tmp {
      std::map<std::uint8_t, std::size_t> kids;
      std::int32_t value = kInner;
    };
    std::vector<Tmp> tmp(1);
    for (const auto& [bytes, value] : entries) {
      std::size_t at = 0;
      for (unsigned char ch : bytes) {
        auto it = tmp[at].kids.find(ch);
        if (it == tmp[at].kids.end()) {
          tmp.emplace_back();
          it = tmp[at].kids.emplace(ch, tmp.size() - 1).first;
        }
        at = it->second;
      }
      tmp[at].value = value;
    }
    const auto base = static_cast<std::uint32_t>(prog_.trie.size());
    prog_.trie.resize(prog_.trie.size() + tmp.size());
    for (std::size_t i = 0; i < tmp.size(); ++i) {
      TrieNode& n = prog_.trie[base + i];
      n.value = tmp[i].value;
      n.edge_begin = static_cast<std::uint32_t>(prog_.edges.size());
      for (const auto& [ch, kid] : tmp[i].kids)
        prog_.edges.push_back({ch, base + static_cast<std::uint32_t>(kid)});
      n.edge_end = static_cast<std::uint32_t>(prog_.edges.size());
    }
    return base;
  }

  std::uint32_t literal(const std::vector<std::string>& values) {
    std::vector<std::pair<std::string, std::int32_t>> entries;
    for (const auto& v : values) entries.emplace_back(v, 0);
    const std::uint32_t id = new_node(Kind::literal);
    prog_.nodes[id].trie = add_trie(entries);
    return id;
  }

  std::uint32_t free_string() {
    if (!free_string_) free_string_ = new_node(Kind::string);
    return *free_string_;
  }

  std::uint32_t any_value() {
    if (any_value_) return *any_value_;
    const std::uint32_t id = new_node(Kind::any_of);
    any_value_ = id;
    std::vector<std::uint32_t> alts;
    alts.push_back(any_object());
    const std::uint32_t arr = new_node(Kind::array);
    prog_.nodes[arr].child = id;
    alts.push_back(arr);
    alts.push_back(free_string());
    alts.push_back(new_node(Kind::number));
    alts.push_back(literal({"true", "false", "null"}));
    prog_.nodes[id].alts = std::move(alts);
    return id;
  }

  static std::uint32_t count(const Json& s, const char* key, const std::string& path,
                             std::uint32_t fallback) {
    if (!s.contains(key)) return fallback;
    const Json& v = s[key];
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 0x7FFFFFFF)
      fail(std::string("'") + key + "' at " + path + " must be a non-negative integer");
    return static_cast<std::uint32_t>(v.get<long long>());
  }

  std::uint32_t compile_typed(const Json& s, const std::string& t, const std::string& path) {
    if (t == "null") return literal({"null"});
    if (t == "boolean") return literal({"true", "false"});
    if (t == "integer") return new_node(Kind::integer);
    if (t == "number") return new_node(Kind::number);
    if (t == "string") return compile_string(s, path);
    if (t == "array") return compile_array(s, path);
    return compile_object(s, path);
  }

  std::uint32_t compile_string(const Json& s, const std::string& path) {
    const std::uint32_t min = count(s, "minLength", path, 0);
    const std::uint32_t max = count(s, "maxLength", path, kUnbounded);
    if (min > max)
      fail("minLength " + std::to_string(min) + " > maxLength " + std::to_string(max) + " at " +
           path);
    std::int32_t pattern = -1;
    if (s.contains("pattern")) {
      if (!s["pattern"].is_string()) fail("'pattern' at " + path + " must be a string");
      prog_.dfas.push_back(compile_pattern(s["pattern"].get<std::string>(), path + "/pattern"));
      pattern = static_cast<std::int32_t>(prog_.dfas.size() - 1);
      const std::uint32_t shortest = prog_.dfas.back().min_chars[0];
      if (shortest > max)
        fail("pattern at " + path + " needs at least " + std::to_string(shortest) +
             " characters, more than maxLength " + std::to_string(max));
    }
    if (min == 0 && max == kUnbounded && pattern < 0) return free_string();
    const std::uint32_t id = new_node(Kind::string);
    prog_.nodes[id].min = min;
    prog_.nodes[id].max = max;
    prog_.nodes[id].pattern = pattern;
    return id;
  }

  std::uint32_t compile_array(const Json& s, const std::string& path) {
    const std::uint32_t min = count(s, "minItems", path, 0);
    const std::uint32_t max = count(s, "maxItems", path, kUnbounded);
    if (min > max)
      fail("minItems " + std::to_string(min) + " > maxItems " + std::to_string(max) + " at " +
           path);
    if (s.contains("uniqueItems") &&
        !(s["uniqueItems"].is_boolean() && !s["uniqueItems"].get<bool>()))
      fail("unsupported keyword 'uniqueItems' at " + path);
    std::uint32_t item = 0;
    if (!s.contains("items")) {
      item = any_value();
    } else if (s["items"].is_array()) {
      fail("'items' as a list (tuple validation) at " + path + " is not supported");
    } else if (s["items"].is_boolean() && !s["items"].get<bool>()) {
      if (min > 0) fail("'items' false with minItems > 0 at " + path + " allows no value");
      return literal({"[]"});
    } else {
      item = compile(s["items"], path + "/items");
    }
    const std::uint32_t id = new_node(Kind::array);
    prog_.nodes[id].child = item;
    prog_.nodes[id].min = min;
    prog_.nodes[id].max = max;
    return id;
  }

  std::uint32_t compile_object(const Json& s, const std::string& path) {
    std::vector<std::string> names;
    std::vector<std::uint32_t> values;
    if (s.contains("properties")) {
      if (!s["properties"].is_object()) fail("'properties' at " + path + " must be an object");
      for (const auto& [name, sub] : s["properties"].items()) {
        names.push_back(name);
        values.push_back(compile(sub, path + "/properties/" + escape_pointer(name)));
      }
    }
    std::vector<bool> required(names.size(), false);
    if (s.contains("required")) {
      if (!s["required"].is_array()) fail("'required' at " + path + " must be an array");
      for (const auto& r : s["required"]) {
        if (!r.is_string()) fail("'required' at " + path + " must list strings");
        const auto it = std::find(names.begin(), names.end(), r.get<std::string>());
        if (it == names.end())
          fail("required property '" + r.get<std::string>() + "' at " + path +
               " is not in 'properties'");
        required[static_cast<std::size_t>(it - names.begin())] = true;
      }
    }
    const Json additional = s.contains("additionalProperties") ? s["additionalProperties"] : Json();
    if (!additional.is_null() && !additional.is_boolean() && !additional.is_object())
      fail("'additionalProperties' at " + path + " must be a boolean or a schema");

    if (names.empty()) {
      if (additional.is_object()) {
        const std::uint32_t child = compile(additional, path + "/additionalProperties");
        const std::uint32_t id = new_node(Kind::map);
        prog_.nodes[id].key = free_string();
        prog_.nodes[id].child = child;
        return id;
      }
      if (additional == Json(false) || (strict_ && additional.is_null())) return literal({"{}"});
      return any_object();
    }

    const std::uint32_t id = new_node(Kind::object);
    std::vector<std::uint32_t> roots;
    for (std::size_t pos = 0; pos <= names.size(); ++pos) {
      for (int after = 0; after < 2; ++after) {
        std::vector<std::pair<std::string, std::int32_t>> entries;
        bool can_close = true;
        for (std::size_t j = pos; j < names.size(); ++j) {
          entries.emplace_back((after ? "," : "") + Json(names[j]).dump() + ":",
                               static_cast<std::int32_t>(j));
          if (required[j]) {
            can_close = false;
            break;
          }
        }
        if (can_close) entries.emplace_back("}", kCloseObject);
        roots.push_back(add_trie(entries));
      }
    }
    prog_.nodes[id].key_roots = std::move(roots);
    prog_.nodes[id].props = std::move(values);
    return id;
  }

  std::uint32_t resolve_ref(const Json& ref, const std::string& path) {
    if (!ref.is_string()) fail("'$ref' at " + path + " must be a string");
    const std::string r = ref.get<std::string>();
    if (auto it = refs_.find(r); it != refs_.end()) return it->second;
    if (r.empty() || r[0] != '#')
      fail("'$ref' '" + r + "' at " + path + " is not a local reference");
    const Json* target = nullptr;
    try {
      const Json::json_pointer ptr(r.substr(1));
      if (root_.contains(ptr)) target = &root_.at(ptr);
    } catch (const nlohmann::json::exception&) {
    }
    if (target == nullptr) fail("'$ref' '" + r + "' at " + path + " does not resolve");
    const std::uint32_t id = new_node(Kind::any_of);
    refs_.emplace(r, id);
    const std::uint32_t body = compile(*target, r);
    const Node& b = prog_.nodes[body];
    if (body == id || (b.kind == Kind::any_of && b.alts.empty()))
      fail("'$ref' '" + r + "' at " + path + " refers to itself");
    prog_.nodes[id] = prog_.nodes[body];
    return id;
  }

  void compute_first_sets() {
    for (auto& n : prog_.nodes) {
      const auto add = [&](std::uint8_t c) { n.first[c >> 6] |= std::uint64_t{1} << (c & 63); };
      switch (n.kind) {
        case Kind::literal:
          for (std::uint32_t e = prog_.trie[n.trie].edge_begin; e < prog_.trie[n.trie].edge_end;
               ++e)
            add(prog_.edges[e].byte);
          break;
        case Kind::number:
        case Kind::integer:
          add('-');
          for (char ch = '0'; ch <= '9'; ++ch) add(static_cast<std::uint8_t>(ch));
          break;
        case Kind::string:
          add('"');
          break;
        case Kind::array:
          add('[');
          break;
        case Kind::object:
        case Kind::map:
          add('{');
          break;
        case Kind::any_of:
          break;
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& n : prog_.nodes) {
        if (n.kind != Kind::any_of) continue;
        for (auto alt : n.alts)
          for (int w = 0; w < 4; ++w) {
            const std::uint64_t merged = n.first[w] | prog_.nodes[alt].first[w];
            changed |= merged != n.first[w];
            n.first[w] = merged;
          }
      }
    }
  }

  // anyOf alternatives are chosen without consuming input; a cycle of them would never end.
  void check_any_of_cycles() const {
    std::vector<int> mark(prog_.nodes.size(), 0);
    const auto visit = [&](auto&& self, std::uint32_t id) -> void {
      if (prog_.nodes[id].kind != Kind::any_of) return;
      if (mark[id] == 1) fail("anyOf/$ref cycle that consumes no input");
      if (mark[id] == 2) return;
      mark[id] = 1;
      for (auto alt : prog_.nodes[id].alts) self(self, alt);
      mark[id] = 2;
    };
    for (std::uint32_t i = 0; i < prog_.nodes.size(); ++i) visit(visit, i);
  }

  static constexpr int kMaxSchemaDepth = 128;
  int depth_ = 0;
  const Json& root_;
  bool strict_;
  Program prog_;
  std::map<std::string, std::uint32_t> refs_;
  std::optional<std::uint32_t> any_value_;
  std::optional<std::uint32_t> free_string_;
};

}  // namespace

Program compile_schema(const nlohmann::ordered_json& schema, bool strict) {
  Compiler c(schema, strict);
  const std::uint32_t root = c.compile(schema, "#");
  return c.finish(root);
}

Program compile_any_object() {
  const Json empty = Json::object();
  Compiler c(empty, false);
  const std::uint32_t root = c.any_object();
  return c.finish(root);
}

}  // namespace rmlx::grammar::detail
