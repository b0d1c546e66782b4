// The paged KV cache: per layer, one pool of fixed-size blocks for K and one
// for V, encoded by the model's KV codecs. Sequences hold lists of block ids.
//
// Automatic prefix caching: a block whose tokens are all computed is
// published under a hash of (the previous block's hash, its tokens). A new
// sequence starting with the same tokens reuses those blocks. Blocks nobody
// holds stay cached until they are needed (least recently released first).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <list>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "rmlx/sdk/architecture.h"
#include "rmlx/sdk/kv_codec.h"
#include "rmlx/sdk/ops.h"

namespace rmlx::engine {

class KvPool {
 public:
  // With a device backend's ops, the blocks live in its memory (Ops::upload).
  KvPool(const std::vector<sdk::LayerCache>& layout, const sdk::KvCodec& k_codec,
         const sdk::KvCodec& v_codec, int block_size, std::int64_t n_blocks,
         sdk::Ops* device_ops = nullptr);

  // Bytes one token takes across all layers (K and V).
  static std::int64_t bytes_per_token(const std::vector<sdk::LayerCache>& layout,
                                      const sdk::KvCodec& k_codec, const sdk::KvCodec& v_codec);

  // The hash of a full block given its predecessor's (0 for the first).
  static std::uint64_t chain_hash(std::uint64_t parent, std::span<const std::int32_t> tokens);

  int block_size() const { return block_size_; }
  std::int64_t total() const { return n_blocks_; }
  // Blocks that can be handed out: free plus cached-but-unused.
  std::int64_t available() const { return static_cast<std::int64_t>(free_.size() + lru_.size()); }
  std::int64_t used() const { return n_blocks_ - available(); }

  // A block for new tokens (evicting the oldest unused cached block when no
  // free one is left), or -1 when every block is in use.
  std::int32_t allocate();
  // Drops one holder; the block stays cached if it was published.
  void release(std::int32_t block);

  // A cached block with these tokens after `parent`, now held once more; -1 if none.
  std::int32_t lookup(std::uint64_t hash, std::uint64_t parent,
                      std::span<const std::int32_t> tokens);
  void publish(std::int32_t block, std::uint64_t hash, std::uint64_t parent,
               std::span<const std::int32_t> tokens);

  const std::vector<sdk::KvLayerView>& views() const { return views_; }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  struct Cached {
    std::uint64_t hash = 0;
    std::uint64_t parent = 0;
    std::vector<std::int32_t> tokens;
    bool published = false;
  };
  void unpublish(std::int32_t block);

  int block_size_;
  std::int64_t n_blocks_;
  std::vector<std::unique_ptr<void, Free>> buffers_;
  std::vector<sdk::KvLayerView> views_;
  std::vector<std::int32_t> free_;
  std::vector<int> refs_;
  std::vector<Cached> cached_;
  std::unordered_map<std::uint64_t, std::int32_t> by_hash_;
  std::list<std::int32_t> lru_;  // published blocks nobody holds, oldest first
  std::vector<std::list<std::int32_t>::iterator> lru_pos_;
  std::vector<bool> in_lru_;
};

}  // namespace rmlx::engine
