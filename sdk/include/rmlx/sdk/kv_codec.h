// KvCodec: the bytes of K or V in a cache block, and how attention reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rmlx::sdk {

class KvCodec {
 public:
  virtual ~KvCodec() = default;
  virtual std::string name() const = 0;
  // Bytes one token of one KV head occupies in a block.
  virtual std::size_t bytes_per_head_token(int head_dim) const = 0;
  // src: [n_tokens, head_dim] f32 -> dst: n_tokens * bytes_per_head_token bytes.
  virtual void encode(const float* src, int n_tokens, int head_dim, void* dst) const = 0;
  virtual void decode(const void* src, int n_tokens, int head_dim, float* dst) const = 0;
};

}  // namespace rmlx::sdk
