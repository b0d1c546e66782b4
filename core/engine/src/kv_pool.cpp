#include "kv_pool.h"

#include <algorithm>
#include <new>
#include <stdexcept>

namespace rmlx::engine {

namespace {

void* allocate_aligned(std::size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

std::int64_t KvPool::bytes_per_token(const std::vector<sdk::LayerCache>& layout,
                                     const sdk::KvCodec& k_codec, const sdk::KvCodec& v_codec) {
  std::int64_t total = 0;
  for (const auto& l : layout) {
    if (l.kind == sdk::LayerCacheKind::none) continue;
    total += static_cast<std::int64_t>(l.n_kv_heads) *
             static_cast<std::int64_t>(k_codec.bytes_per_head_token(l.head_dim) +
                                       v_codec.bytes_per_head_token(l.head_dim));
  }
  return total;
}

KvPool::KvPool(const std::vector<sdk::LayerCache>& layout, const sdk::KvCodec& k_codec,
               const sdk::KvCodec& v_codec, int block_size, std::int64_t n_blocks,
               sdk::Ops* device_ops)
    : block_size_(block_size), n_blocks_(n_blocks) {
  const bool on_device = device_ops != nullptr && device_ops->device().kind != sdk::DeviceKind::cpu;
  // On a device the zeroed pool is uploaded once; the backend owns that memory.
  const auto place = [&](std::size_t bytes) -> void* {
    if (!on_device) {
      buffers_.emplace_back(allocate_aligned(bytes));
      return buffers_.back().get();
    }
    sdk::Tensor t;
    t.dtype = sdk::DType::u8;
    t.shape = {static_cast<std::int64_t>(bytes)};
    return device_ops->upload(t).data;
  };
  if (block_size <= 0 || n_blocks <= 0) throw std::invalid_argument("kv cache: empty pool");
  for (const auto& l : layout) {
    sdk::KvLayerView v;
    v.block_size = block_size;
    v.n_kv_heads = l.n_kv_heads;
    v.head_dim = l.head_dim;
    v.k_codec = &k_codec;
    v.v_codec = &v_codec;
    if (l.kind != sdk::LayerCacheKind::none) {
      const auto per_block = [&](const sdk::KvCodec& c) {
        return static_cast<std::size_t>(n_blocks) * static_cast<std::size_t>(block_size) *
               static_cast<std::size_t>(l.n_kv_heads) * c.bytes_per_head_token(l.head_dim);
      };
      v.k_blocks = place(per_block(k_codec));
      v.v_blocks = place(per_block(v_codec));
    }
    views_.push_back(v);
  }
  const auto n = static_cast<std::size_t>(n_blocks);
  refs_.assign(n, 0);
  cached_.resize(n);
  lru_pos_.resize(n);
  in_lru_.assign(n, false);
  free_.reserve(n);
  // Lowest ids handed out first.
  for (std::int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<std::int32_t>(b));
}

std::uint64_t KvPool::chain_hash(std::uint64_t parent, std::span<const std::int32_t> tokens) {
  // FNV-1a over the parent hash and the token ids, then a final avalanche.
  std::uint64_t h = 0xcbf29ce484222325ull ^ parent;
  for (std::int32_t t : tokens) {
    h ^= static_cast<std::uint32_t>(t);
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

std::int32_t KvPool::allocate() {
  std::int32_t b = -1;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else if (!lru_.empty()) {
    b = lru_.front();
    lru_.pop_front();
    in_lru_[static_cast<std::size_t>(b)] = false;
    unpublish(b);
  } else {
    return -1;
  }
  refs_[static_cast<std::size_t>(b)] = 1;
  return b;
}

void KvPool::release(std::int32_t block) {
  const auto i = static_cast<std::size_t>(block);
  if (refs_[i] <= 0) throw std::logic_error("kv cache: block released twice");
  if (--refs_[i] > 0) return;
  if (cached_[i].published) {
    lru_pos_[i] = lru_.insert(lru_.end(), block);
    in_lru_[i] = true;
  } else {
    free_.push_back(block);
  }
}

std::int32_t KvPool::lookup(std::uint64_t hash, std::uint64_t parent,
                            std::span<const std::int32_t> tokens) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return -1;
  const std::int32_t b = it->second;
  const auto i = static_cast<std::size_t>(b);
  const Cached& c = cached_[i];
  if (c.parent != parent || c.tokens.size() != tokens.size() ||
      !std::equal(tokens.begin(), tokens.end(), c.tokens.begin())) {
    return -1;  // a hash collision: treat as a miss
  }
  if (in_lru_[i]) {
    lru_.erase(lru_pos_[i]);
    in_lru_[i] = false;
  }
  ++refs_[i];
  return b;
}

void KvPool::publish(std::int32_t block, std::uint64_t hash, std::uint64_t parent,
                     std::span<const std::int32_t> tokens) {
  const auto i = static_cast<std::size_t>(block);
  if (cached_[i].published || by_hash_.count(hash) != 0) return;
  cached_[i] = Cached{hash, parent, std::vector<std::int32_t>(tokens.begin(), tokens.end()), true};
  by_hash_.emplace(hash, block);
}

void KvPool::unpublish(std::int32_t block) {
  Cached& c = cached_[static_cast<std::size_t>(block)];
  if (!c.published) return;
  by_hash_.erase(c.hash);
  c = Cached{};
}

}  // namespace rmlx::engine
