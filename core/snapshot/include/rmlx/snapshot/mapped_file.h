// A whole file in read-only memory, released when destroyed: a memory mapping
// (the default), or a copy read into anonymous memory on 2 MiB pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rmlx::snapshot {

enum class LoadMode {
  // mmap of the file: pages come from the page cache when first touched and
  // stay reclaimable; loading is instant.
  map,
  // The whole file read (pread, 64 MiB at a time) into anonymous memory, 2 MiB
  // aligned and advised MADV_HUGEPAGE: as much resident memory as the file
  // (not reclaimable, beside the page cache's own copy) and a full read at load,
  // for faster streaming of the weights afterwards (fewer TLB misses than the
  // 4 KiB page-table entries of a file mapping).
  read,
};

class MappedFile {
 public:
  MappedFile() = default;
  // Throws SnapshotError naming the path when it cannot be opened, mapped,
  // allocated (LoadMode::read) or read in full.
  explicit MappedFile(const std::string& path, LoadMode mode = LoadMode::map);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  LoadMode mode() const { return mode_; }
  // Asks the kernel to read the range ahead (no-op when out of range, and for
  // LoadMode::read, whose bytes are all resident).
  void will_need(std::size_t offset, std::size_t length) const;
  // Drops this mapping's resident pages lying wholly inside the range (they are
  // read again from the file if touched): used once a range has been copied.
  // A no-op for LoadMode::read (its memory cannot be read again from the file,
  // and a dropped piece would split a 2 MiB page).
  void dont_need(std::size_t offset, std::size_t length) const;

 private:
  void read_into_memory(int fd);
  void release() noexcept;
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t reserved_ = 0;  // bytes to unmap (size_ rounded up to 2 MiB for read)
  LoadMode mode_ = LoadMode::map;
};

}  // namespace rmlx::snapshot
