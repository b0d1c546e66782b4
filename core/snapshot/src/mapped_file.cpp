#include "rmlx/snapshot/mapped_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

#include "rmlx/snapshot/error.h"
#include "rmlx/snapshot/progress.h"

namespace rmlx::snapshot {

namespace {

// Closes the descriptor on every path out of the constructor.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kReadChunk = std::size_t{64} << 20;

// `bytes` (a multiple of kHugePage) of anonymous read-write memory starting on a
// 2 MiB boundary: a larger reservation with the unaligned head and tail unmapped.
void* reserve_huge_aligned(std::size_t bytes) {
  const std::size_t span = bytes + kHugePage;
  void* p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  const auto aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  const std::size_t head = aligned - start;
  if (head > 0) ::munmap(p, head);
  if (span - head > bytes) ::munmap(reinterpret_cast<void*>(aligned + bytes), span - head - bytes);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

MappedFile::MappedFile(const std::string& path, LoadMode mode) : path_(path), mode_(mode) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw SnapshotError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw SnapshotError(path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw SnapshotError(path + ": not a regular file");
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ == 0) return;
  if (mode == LoadMode::read) {
    read_into_memory(f.fd);
    return;
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) throw SnapshotError(path + ": cannot map: " + std::strerror(errno));
  data_ = static_cast<const std::uint8_t*>(p);
  reserved_ = size_;
}

void MappedFile::read_into_memory(int fd) {
  const std::size_t size = std::exchange(size_, 0);  // set once every byte is in
  const auto cannot_allocate = [&](int err) {
    return SnapshotError(path_ + ": cannot allocate " + human_bytes(size) +
                         " of memory to read the file into: " + std::strerror(err));
  };
  // Counts the whole load: on a VM the first touch of fresh memory can cost more than
  // the copy (772 MB: 1.5 s after the host took the free pages back, 0.1 s when not).
  Progress progress("read " + std::filesystem::path(path_).filename().string(), size);
  const std::size_t bytes = (size + kHugePage - 1) / kHugePage * kHugePage;
  void* p = reserve_huge_aligned(bytes);
  if (p == nullptr) throw cannot_allocate(errno);
  data_ = static_cast<const std::uint8_t*>(p);
  reserved_ = bytes;
  try {
    if (::madvise(p, bytes, MADV_HUGEPAGE) != 0) {
      spdlog::debug("{}: madvise(MADV_HUGEPAGE): {} (reading onto 4 KiB pages)", path_,
                    std::strerror(errno));
    }
    auto* out = static_cast<std::uint8_t*>(p);
    std::size_t done = 0;
    while (done < size) {
      const std::size_t want = std::min(kReadChunk, size - done);
      const ssize_t n = ::pread(fd, out + done, want, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        throw SnapshotError(path_ + ": read failed at byte " + std::to_string(done) + ": " +
                            std::strerror(errno));
      }
      if (n == 0) {
        throw SnapshotError(path_ + ": short read: the file ended at byte " + std::to_string(done) +
                            " of " + std::to_string(size) + " (changed while loading?)");
      }
      done += static_cast<std::size_t>(n);
      progress.add(static_cast<std::uint64_t>(n));
    }
  } catch (...) {
    release();
    throw;
  }
  size_ = size;
  // Read-only from now on, as the mapping is.
  ::mprotect(p, bytes, PROT_READ);
  progress.finish("into memory");
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      reserved_(std::exchange(other.reserved_, 0)),
      mode_(other.mode_) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    mode_ = other.mode_;
  }
  return *this;
}

MappedFile::~MappedFile() {
  release();
}

void MappedFile::release() noexcept {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), reserved_);
  data_ = nullptr;
  size_ = 0;
  reserved_ = 0;
}

void MappedFile::will_need(std::size_t offset, std::size_t length) const {
  if (data_ == nullptr || offset >= size_ || mode_ == LoadMode::read) return;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t start = offset / page * page;
  const std::size_t end = std::min(size_, offset + length);
  ::madvise(const_cast<std::uint8_t*>(data_) + start, end - start, MADV_WILLNEED);
}

void MappedFile::dont_need(std::size_t offset, std::size_t length) const {
  if (data_ == nullptr || offset >= size_ || mode_ == LoadMode::read) return;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t start = (offset + page - 1) / page * page;
  const std::size_t end = std::min(size_, offset + length) / page * page;
  if (end > start) ::madvise(const_cast<std::uint8_t*>(data_) + start, end - start, MADV_DONTNEED);
}

}  // namespace rmlx::snapshot
