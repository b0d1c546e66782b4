// KvCodec: the bytes of K or V in a cache block, and how attention reads them.
//
// A layer's cache holds, for K and for V separately, blocks of block_size
// tokens laid out [block][kv_head][token_in_block][row]: one row is one token of
// one KV head, bytes_per_head_token(head_dim) bytes, and the rows of one head
// in one block are contiguous. A codec owns the bytes of a row completely
// (codes, scales, offsets: everything it needs to read the row back).
//
// The engine encodes each new row once, when its token is computed (prompt
// rows in chunks, decode rows one at a time), and never rewrites it. Attention
// decodes one block of one head at a time into a small float tile and consumes
// it at once, so decode() should be fast for n_tokens = block_size; the cache is
// never expanded to float as a whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rmlx::sdk {

class KvCodec {
 public:
  virtual ~KvCodec() = default;
  virtual std::string name() const = 0;
  // Bytes one token of one KV head occupies in a block. May throw
  // std::invalid_argument for a head_dim the codec cannot store.
  virtual std::size_t bytes_per_head_token(int head_dim) const = 0;
  // src: [n_tokens, head_dim] f32 -> dst: n_tokens * bytes_per_head_token bytes.
  virtual void encode(const float* src, int n_tokens, int head_dim, void* dst) const = 0;
  virtual void decode(const void* src, int n_tokens, int head_dim, float* dst) const = 0;

  // Optional, for codecs that quantize rows in a fixed orthogonal basis R
  // (x = R^T y). Dot products and weighted sums survive an orthogonal change of
  // basis, so attention may rotate each query once (q.x = Rq . Rx), read cached
  // rows as y = R x with decode_rotated (no per-row inverse transform), and
  // rotate its output back once when V is in the basis. A codec that answers
  // true must implement all three; the defaults describe R = identity.
  virtual bool has_rotation() const { return false; }
  // x <- R x (rotate) or x <- R^T x (unrotate), for n rows of head_dim values.
  virtual void rotate(float* /*x*/, int /*n*/, int /*head_dim*/) const {}
  virtual void unrotate(float* /*x*/, int /*n*/, int /*head_dim*/) const {}
  // Like decode, but the rows come out in the rotated basis: dst = R x.
  virtual void decode_rotated(const void* src, int n_tokens, int head_dim, float* dst) const {
    decode(src, n_tokens, head_dim, dst);
  }
};

}  // namespace rmlx::sdk
