// A read-only memory mapping of a whole file, unmapped when destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rmlx::snapshot {

class MappedFile {
 public:
  MappedFile() = default;
  // Throws SnapshotError naming the path when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Asks the kernel to read the range ahead (no-op when out of range).
  void will_need(std::size_t offset, std::size_t length) const;
  // Drops this mapping's resident pages lying wholly inside the range (they are
  // read again from the file if touched): used once a range has been copied.
  void dont_need(std::size_t offset, std::size_t length) const;

 private:
  void release() noexcept;
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace rmlx::snapshot
