// Builds GGUF file images byte by byte for tests (valid ones and broken ones).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace rmlx::gguf::test {

class GgufBuilder {
 public:
  explicit GgufBuilder(std::uint32_t version = 3, const char* magic = "GGUF") {
    bytes_.append(magic, 4);
    u32(version);
    counts_at_ = bytes_.size();
    u64(0);
    u64(0);
  }
  GgufBuilder& u8(std::uint8_t v) { return raw(&v, 1); }
  GgufBuilder& u32(std::uint32_t v) { return raw(&v, 4); }
  GgufBuilder& u64(std::uint64_t v) { return raw(&v, 8); }
  GgufBuilder& f32(float v) { return raw(&v, 4); }
  GgufBuilder& str(const std::string& s) {
    u64(s.size());
    bytes_ += s;
    return *this;
  }
  GgufBuilder& raw(const void* p, std::size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  // Metadata entries (the count in the header is kept in step).
  GgufBuilder& kv_u32(const std::string& k, std::uint32_t v) {
    str(k).u32(4).u32(v);
    return bump_kv();
  }
  GgufBuilder& kv_str(const std::string& k, const std::string& v) {
    str(k).u32(8).str(v);
    return bump_kv();
  }
  GgufBuilder& kv_f32(const std::string& k, float v) {
    str(k).u32(6).f32(v);
    return bump_kv();
  }
  GgufBuilder& kv_strings(const std::string& k, const std::vector<std::string>& v) {
    str(k).u32(9).u32(8).u64(v.size());
    for (const auto& s : v) str(s);
    return bump_kv();
  }
  GgufBuilder& kv_f32s(const std::string& k, const std::vector<float>& v) {
    str(k).u32(9).u32(6).u64(v.size());
    for (auto x : v) raw(&x, 4);
    return bump_kv();
  }
  GgufBuilder& kv_bool(const std::string& k, bool v) {
    str(k).u32(7);
    bytes_.push_back(v ? 1 : 0);
    return bump_kv();
  }
  GgufBuilder& kv_i32s(const std::string& k, const std::vector<std::int32_t>& v) {
    str(k).u32(9).u32(5).u64(v.size());
    for (auto x : v) raw(&x, 4);
    return bump_kv();
  }
  GgufBuilder& bump_kv() {
    std::uint64_t n;
    std::memcpy(&n, bytes_.data() + counts_at_ + 8, 8);
    ++n;
    std::memcpy(bytes_.data() + counts_at_ + 8, &n, 8);
    return *this;
  }
  GgufBuilder& tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type,
                      std::uint64_t offset) {
    str(name).u32(static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) u64(d);
    u32(type).u64(offset);
    std::uint64_t n;
    std::memcpy(&n, bytes_.data() + counts_at_, 8);
    ++n;
    std::memcpy(bytes_.data() + counts_at_, &n, 8);
    return *this;
  }
  // Pads to `alignment` and appends the data section.
  GgufBuilder& data(const std::string& d, std::size_t alignment = 32) {
    while (bytes_.size() % alignment) bytes_ += '\0';
    bytes_ += d;
    return *this;
  }
  GgufBuilder& set_counts(std::uint64_t tensors, std::uint64_t kvs) {
    std::memcpy(bytes_.data() + counts_at_, &tensors, 8);
    std::memcpy(bytes_.data() + counts_at_ + 8, &kvs, 8);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  std::size_t counts_at_ = 0;
};

}  // namespace rmlx::gguf::test
