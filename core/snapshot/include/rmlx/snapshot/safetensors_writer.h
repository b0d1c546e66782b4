// Streaming safetensors writers. The header is fixed up front from the tensor
// list, then tensor bytes are written in any order and in pieces, so a model
// larger than memory can be produced. Output goes to "<path>.partial" and is
// renamed on finish(); an unfinished file is removed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "rmlx/sdk/dtype.h"

namespace rmlx::snapshot {

struct TensorSpec {
  std::string name;
  sdk::DType dtype = sdk::DType::invalid;
  std::vector<std::int64_t> shape;
  std::uint64_t nbytes() const;
};

class SafetensorsWriter {
 public:
  // Tensors are laid out by descending element size, then name, after a header
  // space-padded to a multiple of 8, so every tensor is naturally aligned.
  SafetensorsWriter(std::string path, std::vector<TensorSpec> tensors,
                    std::map<std::string, std::string> metadata = {{"format", "mlx"}});
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;
  ~SafetensorsWriter();

  bool has(const std::string& name) const { return slots_.count(name) != 0; }
  // Writes n bytes of tensor `name` at byte `offset` within that tensor.
  void write(const std::string& name, const void* data, std::uint64_t n, std::uint64_t offset = 0);
  // Checks every tensor was fully written, then renames the file into place.
  void finish();
  std::uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

 private:
  struct Slot {
    std::uint64_t file_offset = 0;
    std::uint64_t nbytes = 0;
    std::uint64_t written = 0;
  };
  std::string path_;
  std::string partial_;
  int fd_ = -1;
  bool finished_ = false;
  std::uint64_t file_size_ = 0;
  std::unordered_map<std::string, Slot> slots_;
};

// An MLX snapshot's weights: model.safetensors, or model-0000i-of-0000N.safetensors
// shards of at most `max_shard_bytes` each, plus model.safetensors.index.json.
class ShardedWriter {
 public:
  static constexpr std::uint64_t kDefaultShardBytes = 5ull << 30;  // as mlx_lm
  ShardedWriter(const std::string& dir, const std::vector<TensorSpec>& tensors,
                std::uint64_t max_shard_bytes = kDefaultShardBytes);
  ~ShardedWriter();
  void write(const std::string& name, const void* data, std::uint64_t n, std::uint64_t offset = 0);
  // Finishes every shard and writes the index (total_parameters is recorded as given).
  void finish(std::uint64_t total_parameters);
  std::uint64_t total_bytes() const { return total_bytes_; }
  std::size_t shard_count() const { return shards_.size(); }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsWriter>> shards_;
  std::unordered_map<std::string, std::size_t> shard_of_;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace rmlx::snapshot
