// Token <-> id tables shared by the models, plus a flat hash map for BPE merge pairs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json_reader.h"

namespace rmlx::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class Vocab {
 public:
  // Ids index a dense table; real vocabularies stay far below this.
  static constexpr int32_t kMaxId = 1 << 24;
  // Reads {"token": id, ...}.
  static Vocab from_object(const JsonRef& node);
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    const auto it = map_.find(token);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= by_id_.size() || !present_[static_cast<size_t>(id)])
      return nullptr;
    return &by_id_[static_cast<size_t>(id)];
  }
  const std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>& map() const {
    return map_;
  }
  size_t size() const { return map_.size(); }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> map_;
  std::vector<std::string> by_id_;
  std::vector<bool> present_;
};

// Open-addressing map from a (left id, right id) pair to (rank, merged id).
class PairMap {
 public:
  struct Value {
    int32_t rank;
    int32_t id;
  };
  void reserve(size_t n);
  void insert_or_assign(int32_t a, int32_t b, Value v);
  const Value* find(int32_t a, int32_t b) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = pack(a, b);
    for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static size_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<size_t>(k);
  }
  void grow();
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

}  // namespace rmlx::tokenizer
