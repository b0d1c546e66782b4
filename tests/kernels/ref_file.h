// Reads the reference files written by mlx_refs.py: an int64 header, then raw arrays.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace rmlx::kernels::test {

inline std::filesystem::path mlx_ref_dir() {
  return RMLX_MLX_REF_DIR;
}

// True when mlx_refs.py ran to completion (false: mlx is not installed).
inline bool mlx_refs_available() {
  return std::filesystem::exists(mlx_ref_dir() / "DONE");
}

class RefFile {
 public:
  RefFile(const std::string& name, int header_len) {
    const auto path = mlx_ref_dir() / name;
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open reference " + path.string());
    bytes_.assign(std::istreambuf_iterator<char>(f), {});
    header_.resize(static_cast<std::size_t>(header_len));
    take(header_.data(), header_.size());
  }
  std::int64_t header(int i) const { return header_.at(static_cast<std::size_t>(i)); }
  template <typename T>
  std::vector<T> next(std::size_t count) {
    std::vector<T> v(count);
    take(v.data(), count);
    return v;
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  template <typename T>
  void take(T* dst, std::size_t count) {
    const std::size_t n = count * sizeof(T);
    if (pos_ + n > bytes_.size()) throw std::runtime_error("reference file too short");
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
  }
  std::vector<char> bytes_;
  std::vector<std::int64_t> header_;
  std::size_t pos_ = 0;
};

}  // namespace rmlx::kernels::test
