// An example KV-cache codec: keeps K and V as plain float32, the exact
// (and largest) encoding. It shows everything a plugin needs: implement one
// SDK interface, then register it with RMLX_PLUGIN. Use it with
// `rmlx-host --plugins build generate --kv-codec f32 ...` (or `f32:f16` to keep
// only K exact).
//
// What the host relies on (see rmlx/sdk/kv_codec.h):
//  - one row (one token of one KV head) is bytes_per_head_token(head_dim) bytes,
//    whatever the row's values; any scale a row needs is stored inside it;
//  - encode() runs once per row as tokens are computed; rows are never rewritten;
//  - decode() runs for every block of every head at every step (n_tokens = the
//    block size), so it is the codec's hot loop.
#include <rmlx/sdk/plugin.h>

#include <cstring>

namespace {

class Float32Codec final : public rmlx::sdk::KvCodec {
 public:
  std::string name() const override { return "f32"; }
  std::size_t bytes_per_head_token(int head_dim) const override {
    return static_cast<std::size_t>(head_dim) * sizeof(float);
  }
  void encode(const float* src, int n_tokens, int head_dim, void* dst) const override {
    std::memcpy(dst, src, static_cast<std::size_t>(n_tokens) * bytes_per_head_token(head_dim));
  }
  void decode(const void* src, int n_tokens, int head_dim, float* dst) const override {
    std::memcpy(dst, src, static_cast<std::size_t>(n_tokens) * bytes_per_head_token(head_dim));
  }
  // The optional rotation hooks (has_rotation, rotate, unrotate, decode_rotated)
  // keep their defaults: rows are stored in the head's own basis.
};

}  // namespace

RMLX_PLUGIN("example-kv-f32", "1.0.0",
            rmlx::sdk::component<rmlx::sdk::KvCodec, Float32Codec>("f32"))
