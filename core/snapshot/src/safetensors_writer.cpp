#include "rmlx/snapshot/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rmlx/snapshot/error.h"

namespace rmlx::snapshot {

std::uint64_t TensorSpec::nbytes() const {
  std::uint64_t n = sdk::dtype_size(dtype);
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

namespace {

void write_all(int fd, const void* data, std::uint64_t n, std::uint64_t offset,
               const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, 1u << 30));
    ssize_t w = ::pwrite(fd, p, chunk, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw SnapshotError(path + ": write failed: " + std::strerror(errno));
    p += w;
    n -= static_cast<std::uint64_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

}  // namespace

SafetensorsWriter::SafetensorsWriter(std::string path, std::vector<TensorSpec> tensors,
                                     std::map<std::string, std::string> metadata)
    : path_(std::move(path)), partial_(path_ + ".partial") {
  std::stable_sort(tensors.begin(), tensors.end(), [](const TensorSpec& a, const TensorSpec& b) {
    const auto sa = sdk::dtype_size(a.dtype), sb = sdk::dtype_size(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t cursor = 0;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || slots_.count(t.name)) {
      throw SnapshotError(path_ + ": tensor '" + t.name + "': duplicate or reserved name");
    }
    if (sdk::dtype_size(t.dtype) == 0) {
      throw SnapshotError(path_ + ": tensor '" + t.name + "': invalid dtype");
    }
    const std::uint64_t n = t.nbytes();
    header[t.name] = {{"dtype", std::string(sdk::dtype_name(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {cursor, cursor + n}}};
    slots_[t.name] = Slot{cursor, n, 0};
    cursor += n;
  }
  std::string text = header.dump();
  text.append((8 - (text.size() % 8)) % 8, ' ');
  const std::uint64_t data_start = 8 + text.size();
  for (auto& [name, slot] : slots_) slot.file_offset += data_start;
  file_size_ = data_start + cursor;

  fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw SnapshotError(partial_ + ": cannot create: " + std::strerror(errno));
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(text.size() >> (8 * i));
  write_all(fd_, len, 8, 0, partial_);
  write_all(fd_, text.data(), text.size(), 8, partial_);
  if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) {
    throw SnapshotError(partial_ + ": cannot size the file: " + std::strerror(errno));
  }
}

SafetensorsWriter::~SafetensorsWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(partial_.c_str());
}

void SafetensorsWriter::write(const std::string& name, const void* data, std::uint64_t n,
                              std::uint64_t offset) {
  auto it = slots_.find(name);
  if (it == slots_.end()) throw SnapshotError(path_ + ": tensor '" + name + "': not declared");
  Slot& s = it->second;
  if (offset > s.nbytes || n > s.nbytes - offset) {
    throw SnapshotError(path_ + ": tensor '" + name + "': write of " + std::to_string(n) +
                        " bytes at " + std::to_string(offset) + " exceeds its " +
                        std::to_string(s.nbytes) + " bytes");
  }
  write_all(fd_, data, n, s.file_offset + offset, partial_);
  s.written += n;
}

void SafetensorsWriter::finish() {
  for (const auto& [name, s] : slots_) {
    if (s.written != s.nbytes) {
      throw SnapshotError(path_ + ": tensor '" + name + "': " + std::to_string(s.written) + " of " +
                          std::to_string(s.nbytes) + " bytes written");
    }
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw SnapshotError(partial_ + ": close failed: " + std::strerror(errno));
  }
  fd_ = -1;
  if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
    throw SnapshotError(path_ + ": cannot rename into place: " + std::strerror(errno));
  }
  finished_ = true;
}

ShardedWriter::ShardedWriter(const std::string& dir, const std::vector<TensorSpec>& tensors,
                             std::uint64_t max_shard_bytes)
    : dir_(dir) {
  std::vector<std::vector<TensorSpec>> groups(1);
  std::uint64_t in_group = 0;
  for (const auto& t : tensors) {
    const std::uint64_t n = t.nbytes();
    if (in_group > 0 && in_group + n > max_shard_bytes) {
      groups.emplace_back();
      in_group = 0;
    }
    groups.back().push_back(t);
    in_group += n;
    total_bytes_ += n;
  }
  const std::size_t count = groups.size();
  for (std::size_t i = 0; i < count; ++i) {
    char name[64];
    if (count == 1) {
      std::snprintf(name, sizeof name, "model.safetensors");
    } else {
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    }
    for (const auto& t : groups[i]) shard_of_[t.name] = i;
    shards_.push_back(std::make_unique<SafetensorsWriter>(
        (std::filesystem::path(dir) / name).string(), groups[i]));
  }
}

ShardedWriter::~ShardedWriter() = default;

void ShardedWriter::write(const std::string& name, const void* data, std::uint64_t n,
                          std::uint64_t offset) {
  auto it = shard_of_.find(name);
  if (it == shard_of_.end()) throw SnapshotError(dir_ + ": tensor '" + name + "': not declared");
  shards_[it->second]->write(name, data, n, offset);
}

void ShardedWriter::finish(std::uint64_t total_parameters) {
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [name, i] : shard_of_) {
    map[name] = std::filesystem::path(shards_[i]->path()).filename().string();
  }
  for (auto& s : shards_) s->finish();
  nlohmann::json index = {
      {"metadata", {{"total_size", total_bytes_}, {"total_parameters", total_parameters}}},
      {"weight_map", map}};
  const auto path = (std::filesystem::path(dir_) / "model.safetensors.index.json").string();
  std::ofstream out(path);
  out << index.dump(4) << "\n";
  if (!out) throw SnapshotError(path + ": write failed");
}

}  // namespace rmlx::snapshot
