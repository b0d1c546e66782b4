// GGUF files (versions 2 and 3): metadata and tensor directory, validated, with
// tensor data read through a memory mapping. Every problem is one GgufError line
// naming the file, the key or tensor, and what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/gguf/ggml_types.h"
#include "rmlx/snapshot/mapped_file.h"

namespace rmlx::gguf {

class GgufError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GgufTensor {
  std::string name;
  std::uint32_t type = 0;         // ggml type id
  std::vector<std::uint64_t> ne;  // GGUF order: ne[0] is contiguous
  std::uint64_t offset = 0;       // from the start of the data section
  std::uint64_t nbytes = 0;
  const std::uint8_t* data = nullptr;

  GgmlType ggml_type() const { return static_cast<GgmlType>(type); }
  std::uint64_t numel() const;
  // numpy / safetensors order (reversed ne).
  std::vector<std::int64_t> shape() const;
};

struct GgufContents {
  std::uint32_t version = 0;
  std::uint32_t alignment = 32;
  // Values as JSON: integers, floats (as double), bools, strings, arrays.
  std::map<std::string, nlohmann::json> metadata;
  std::map<std::string, std::uint32_t> metadata_types;  // GGUF value type of each key
  std::vector<GgufTensor> tensors;                      // file order
  std::uint64_t data_start = 0;
};

// Parses and validates a whole file image; tensors' data pointers point into it.
GgufContents parse_gguf(const std::uint8_t* bytes, std::size_t size, const std::string& origin);

class GgufFile {
 public:
  static GgufFile open(const std::string& path);

  const std::string& path() const { return map_.path(); }
  const GgufContents& contents() const { return contents_; }
  const std::vector<GgufTensor>& tensors() const { return contents_.tensors; }
  const GgufTensor* find(const std::string& name) const;
  bool has(const std::string& key) const { return contents_.metadata.count(key) != 0; }
  const nlohmann::json* value(const std::string& key) const;
  // Typed accessors: throw GgufError "<file>: <key>: missing" / "...: expected ...".
  std::string str(const std::string& key) const;
  std::uint64_t uint(const std::string& key) const;
  double number(const std::string& key) const;
  std::uint64_t uint_or(const std::string& key, std::uint64_t fallback) const;
  double number_or(const std::string& key, double fallback) const;
  bool bool_or(const std::string& key, bool fallback) const;

 private:
  GgufFile(snapshot::MappedFile map, GgufContents c)
      : map_(std::move(map)), contents_(std::move(c)) {}
  snapshot::MappedFile map_;
  GgufContents contents_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace rmlx::gguf
