// An example KV-cache codec: keeps K and V as plain float32, the exact
// (and largest) encoding. It shows everything a plugin needs: implement one
// SDK interface, then register it with RMLX_PLUGIN.
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
};

}  // namespace

RMLX_PLUGIN("example-kv-f32", "1.0.0",
            rmlx::sdk::component<rmlx::sdk::KvCodec, Float32Codec>("f32"))
