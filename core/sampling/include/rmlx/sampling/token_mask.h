// A set of allowed token ids: one bit per vocabulary entry. The grammar fills
// it, the sampler reads it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rmlx::sampling {

class TokenMask {
 public:
  TokenMask() = default;
  explicit TokenMask(std::size_t size, bool allowed = false)
      : size_(size), words_((size + 63) / 64, allowed ? ~std::uint64_t{0} : 0) {
    trim();
  }

  std::size_t size() const { return size_; }
  bool test(std::size_t id) const { return id < size_ && ((words_[id >> 6] >> (id & 63)) & 1u); }
  void set(std::size_t id) {
    check(id);
    words_[id >> 6] |= std::uint64_t{1} << (id & 63);
  }
  void reset(std::size_t id) {
    check(id);
    words_[id >> 6] &= ~(std::uint64_t{1} << (id & 63));
  }
  void set_all() {
    for (auto& w : words_) w = ~std::uint64_t{0};
    trim();
  }
  void clear_all() {
    for (auto& w : words_) w = 0;
  }
  std::size_t count() const {
    std::size_t n = 0;
    for (auto w : words_) n += static_cast<std::size_t>(std::popcount(w));
    return n;
  }
  // Raw words for bulk operations; bit i of word w is token 64*w + i.
  std::span<std::uint64_t> words() { return words_; }
  std::span<const std::uint64_t> words() const { return words_; }

 private:
  void check(std::size_t id) const {
    if (id >= size_)
      throw std::out_of_range("token mask: id " + std::to_string(id) + " outside vocabulary of " +
                              std::to_string(size_));
  }
  void trim() {
    if (size_ % 64 != 0 && !words_.empty()) words_.back() &= (std::uint64_t{1} << (size_ % 64)) - 1;
  }

  std::size_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace rmlx::sampling
