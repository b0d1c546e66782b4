// safetensors files: header parsing with full validation, and a memory-mapped
// reader that hands out zero-copy tensor views.
//
// Layout: u64 LE header length N, N bytes of JSON, then the data buffer. Every
// problem is reported as one SnapshotError line "<file>: tensor '<name>': <problem>"
// (or "<file>: <problem>" for the header as a whole).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rmlx/sdk/dtype.h"
#include "rmlx/snapshot/mapped_file.h"

namespace rmlx::snapshot {

// The reference implementation's limit on the JSON header.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct TensorInfo {
  std::string name;
  sdk::DType dtype = sdk::DType::invalid;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // offsets into the data buffer, end exclusive
  std::uint64_t end = 0;

  std::uint64_t nbytes() const { return end - begin; }
  std::int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // sorted by data offset
  std::map<std::string, std::string> metadata;
  std::uint64_t data_start = 0;  // file offset of the data buffer (8 + N)
};

// Validates a whole file image (`size` bytes at `bytes`): header length, JSON,
// dtypes, shapes, byte counts, and that the tensors tile the data buffer exactly
// (in range, no overlap, no gap). `origin` names the file in errors.
SafetensorsHeader parse_safetensors(const std::uint8_t* bytes, std::size_t size,
                                    const std::string& origin);

class SafetensorsFile {
 public:
  // Maps (or, with LoadMode::read, reads into memory) and validates the file;
  // throws SnapshotError.
  static SafetensorsFile open(const std::string& path, LoadMode mode = LoadMode::map);

  const std::string& path() const { return map_.path(); }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  std::uint64_t file_size() const { return map_.size(); }
  // Start of a tensor's bytes inside the mapping (not necessarily aligned).
  const std::uint8_t* data(const TensorInfo& t) const {
    return map_.data() + header_.data_start + t.begin;
  }
  const MappedFile& mapping() const { return map_; }

 private:
  SafetensorsFile(MappedFile map, SafetensorsHeader header)
      : map_(std::move(map)), header_(std::move(header)) {}
  MappedFile map_;
  SafetensorsHeader header_;
};

}  // namespace rmlx::snapshot
