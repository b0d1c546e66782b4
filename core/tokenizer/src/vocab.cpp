#include "vocab.h"

namespace rmlx::tokenizer {

Vocab Vocab::from_object(const JsonRef& node) {
  node.object();
  Vocab v;
  v.map_.reserve(node.size());
  for (const auto& [key, value] : node.raw().items()) {
    // Fast path for well-formed ids; the path string is only built for the error message.
    if (value.is_number_integer()) {
      const auto id = value.get<int64_t>();
      if (id >= 0 && id < kMaxId) {
        v.add(key, static_cast<int32_t>(id));
        continue;
      }
    }
    const JsonRef ref(value, node.file(), node.path() + "[\"" + key + "\"]");
    const int32_t id = ref.id();
    ref.fail("a token id below " + std::to_string(kMaxId) + ", got " + std::to_string(id));
  }
  return v;
}

void Vocab::add(std::string token, int32_t id) {
  const auto idx = static_cast<size_t>(id);
  if (idx >= by_id_.size()) {
    by_id_.resize(idx + 1);
    present_.resize(idx + 1, false);
  }
  by_id_[idx] = token;
  present_[idx] = true;
  map_.insert_or_assign(std::move(token), id);
}

void PairMap::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  if (cap <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  count_ = 0;
  for (const Slot& s : old) {
    if (s.key != kEmpty)
      insert_or_assign(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFF),
                       s.value);
  }
}

void PairMap::grow() {
  reserve(slots_.empty() ? 8 : slots_.size());
}

void PairMap::insert_or_assign(int32_t a, int32_t b, Value v) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const uint64_t key = pack(a, b);
  for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.key == key) {
      s.value = v;
      return;
    }
    if (s.key == kEmpty) {
      s.key = key;
      s.value = v;
      ++count_;
      return;
    }
  }
}

}  // namespace rmlx::tokenizer
